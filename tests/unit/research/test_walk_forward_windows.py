"""Walk-forward windows: exact dates, the leftover days, and clear errors for bad window sizes."""

import pandas as pd
import pytest

from trade_executor.errors import ConfigurationError
from trade_executor.research.walk_forward import WalkForwardSpec, parse_walk_forward, span, split_windows

T = pd.Timestamp


def test_windows_slide_by_the_test_length_and_test_spans_follow_each_other():
    windows = split_windows(T("2018-01-01"), T("2018-12-31"), WalkForwardSpec(train_days=90, test_days=30))

    assert [(span(w.train_start, w.train_end), span(w.test_start, w.test_end)) for w in windows] == [
        ("2018-01-01..2018-03-31", "2018-04-01..2018-04-30"),
        ("2018-01-31..2018-04-30", "2018-05-01..2018-05-30"),
        ("2018-03-02..2018-05-30", "2018-05-31..2018-06-29"),
        ("2018-04-01..2018-06-29", "2018-06-30..2018-07-29"),
        ("2018-05-01..2018-07-29", "2018-07-30..2018-08-28"),
        ("2018-05-31..2018-08-28", "2018-08-29..2018-09-27"),
        ("2018-06-30..2018-09-27", "2018-09-28..2018-10-27"),
        ("2018-07-30..2018-10-27", "2018-10-28..2018-11-26"),
        ("2018-08-29..2018-11-26", "2018-11-27..2018-12-26"),
    ]
    assert [w.number for w in windows] == list(range(1, 10))
    for earlier, later in zip(windows, windows[1:], strict=False):
        assert later.test_start == earlier.test_end


def test_a_window_that_exactly_fills_the_period_is_used():
    windows = split_windows(T("2018-01-01"), T("2018-01-11"), WalkForwardSpec(7, 3))

    assert [(w.train_start, w.test_start, w.test_end) for w in windows] == [(T("2018-01-01"), T("2018-01-08"), T("2018-01-11"))]


def test_backtest_jobs_end_one_second_before_the_next_window_so_no_cycle_is_counted_twice():
    window = split_windows(T("2018-01-01"), T("2018-03-01"), WalkForwardSpec(30, 14))[0]
    parameters = (("fast_sma", 12), ("slow_sma", 48))

    train, test = window.train_job(parameters), window.test_job(parameters)

    assert (train.parameters, train.start, train.end) == (parameters, "2018-01-01T00:00:00", "2018-01-30T23:59:59")
    assert (test.parameters, test.start, test.end) == (parameters, "2018-01-31T00:00:00", "2018-02-13T23:59:59")
    assert (window.train_days(), window.test_days()) == (30.0, 14.0)


def test_a_start_inside_a_day_keeps_its_hour():
    window = split_windows(T("2018-01-01 06:00"), T("2018-02-01"), WalkForwardSpec(10, 5))[0]

    assert span(window.train_start, window.train_end) == "2018-01-01 06:00..2018-01-11 05:59"
    assert window.test_job(()).start == "2018-01-11T06:00:00"


def test_windows_longer_than_the_period_name_the_option_the_need_and_the_fix():
    with pytest.raises(ConfigurationError) as error:
        split_windows(T("2018-01-01"), T("2018-03-01"), WalkForwardSpec(365, 90))

    assert str(error.value) == (
        "--walk-forward=365,90 needs at least 455 days of history, but the backtest period 2018-01-01 to 2018-02-28 has 59 days. "
        "Use shorter windows, or a longer period (--backtest-start/--backtest-end, or the strategy's data)."
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [("365,90", WalkForwardSpec(365, 90)), (" 60 , 7 ", WalkForwardSpec(60, 7))],
)
def test_parse_walk_forward(text, expected):
    assert parse_walk_forward(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("30", "--walk-forward='30' is not train_days,test_days. Give two whole numbers of days, training then testing, e.g. --walk-forward 365,90."),
        ("30,0", "--walk-forward='30,0': test_days '0' is not a whole number of days above 0. Give two whole numbers of days, training then testing, e.g. --walk-forward 365,90."),
        ("1.5,7", "--walk-forward='1.5,7': train_days '1.5' is not a whole number of days above 0. Give two whole numbers of days, training then testing, e.g. --walk-forward 365,90."),
        ("30,7,7", "--walk-forward='30,7,7' is not train_days,test_days. Give two whole numbers of days, training then testing, e.g. --walk-forward 365,90."),
    ],
)
def test_bad_walk_forward_text_says_what_to_write(text, message):
    with pytest.raises(ConfigurationError) as error:
        parse_walk_forward(text)

    assert str(error.value) == message
