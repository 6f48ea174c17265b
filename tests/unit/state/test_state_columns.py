"""Statistics and plots stored by column and run: exact both ways, and a long regular series costs almost nothing."""

from __future__ import annotations

import datetime
import math

import msgspec
import numpy as np
import pandas as pd
import pytest

from trade_executor.state import State
from trade_executor.state.columns import decode_numbers, decode_times, encode_numbers, encode_times
from trade_executor.state.serialisation import state_from_json, state_to_json

T0 = datetime.datetime(2024, 1, 1)
UTC = datetime.UTC


@pytest.mark.parametrize(
    "timestamps",
    [
        [],
        [T0],
        [T0 + datetime.timedelta(minutes=i) for i in range(10)],
        [T0, T0 + datetime.timedelta(hours=1), T0 + datetime.timedelta(hours=5), T0 + datetime.timedelta(hours=6), T0 + datetime.timedelta(hours=6)],
        [T0 + datetime.timedelta(microseconds=i * 7) for i in range(5)],
        [datetime.datetime(1969, 12, 31, 23, 59, 59, 999_999), datetime.datetime(2262, 1, 1)],
        [T0.replace(tzinfo=UTC), T0],  # a time zone: kept as it is
    ],
    ids=["empty", "one", "regular", "gaps and a repeat", "microseconds", "far apart", "with a time zone"],
)
def test_timestamps_round_trip_exactly(timestamps):
    column = encode_times(timestamps)
    again = msgspec.json.decode(msgspec.json.encode(column), type=type(column))
    assert decode_times(again) == timestamps


@pytest.mark.parametrize(
    ("values", "kind"),
    [
        ([], float),
        ([1.5], float),
        ([10_000.0] * 5 + [9_999.123456789012, 0.1 + 0.2, -0.0, 5e-324, 1.7976931348623157e308] + [3.0] * 3, float),
        ([float("nan"), float("inf"), float("-inf"), float("inf"), 2.0], float),
        ([0, 0, 1, 1, 1, 2, 0], int),
    ],
    ids=["empty", "one", "runs and extremes", "not finite", "ints"],
)
def test_numbers_round_trip_exactly(values, kind):
    column = encode_numbers(values, kind)
    decoded = decode_numbers(msgspec.json.decode(msgspec.json.encode(column), type=type(column)), kind)
    assert [repr(v) for v in decoded] == [repr(v) for v in values]
    assert all(type(v) is kind for v in decoded)


def test_a_long_regular_curve_is_its_numbers_only():
    """A million one-minute bars: the timestamps are one run, a flat cash and position count a run each."""
    state = State()
    for i in range(100_000):
        state.stats.record(T0 + datetime.timedelta(minutes=i), 10_000.0 + (i % 7), 2_500.0 if i < 50_000 else 0.0, 1)
    stats = msgspec.json.decode(state_to_json(state))["stats"]
    assert len(msgspec.json.encode(stats["timestamps"])) < 80
    assert len(msgspec.json.encode(stats["cash"])) < 80 and len(msgspec.json.encode(stats["open_positions"])) < 80
    assert state_from_json(state_to_json(state)) == state


def test_a_plot_of_nan_values_loads_again():
    """A plain list wrote NaN as null, which the decoder refused: the state of a strategy plotting an SMA's first bars could not be loaded."""
    state = State()
    for i, value in enumerate([math.nan, math.nan, 101.5]):
        state.visualisation.plot_indicator(T0 + datetime.timedelta(hours=i), "sma", value)
    loaded = state_from_json(state_to_json(state))
    values = loaded.visualisation.plots["sma"].values
    assert math.isnan(values[0]) and math.isnan(values[1]) and values[2] == 101.5


def test_an_array_column_reads_like_the_list_it_replaces():
    """A backtest's rebuilt curve: items, slices and iteration give the Python values a list held."""
    from trade_executor.state.columns import ArrayColumn

    times = np.array(["2021-01-01T00:00", "2021-01-01T00:01", "2021-01-01T00:02"], dtype="datetime64[ns]")
    column, equity = ArrayColumn(times), ArrayColumn(np.array([1.5, 2.25, 3.0]))
    as_list = [datetime.datetime(2021, 1, 1, 0, m) for m in range(3)]
    assert column == as_list and list(column) == as_list and column[1:] == as_list[1:] and column[-1] == as_list[-1]
    assert type(column[0]) is datetime.datetime and type(equity[0]) is float
    assert equity == [1.5, 2.25, 3.0] and equity != [1.5, 2.25] and equity == ArrayColumn(np.array([1.5, 2.25, 3.0]))
    assert np.asarray(equity) is equity.array  # numpy and pandas take the array itself


def test_cycle_times_are_made_when_read_and_equal_the_list():
    from trade_executor.market.cycle_times import BLOCK, CycleTimes

    grid = pd.date_range("2021-01-01", periods=BLOCK + 5, freq="1min")
    times = CycleTimes(grid.as_unit("ns").asi8)
    expected = list(grid.to_pydatetime())
    assert len(times) == len(expected) and times[0] == expected[0] and times[-1] == expected[-1]
    assert times[BLOCK - 2 : BLOCK + 2] == expected[BLOCK - 2 : BLOCK + 2]
    assert list(times) == expected and times == expected
