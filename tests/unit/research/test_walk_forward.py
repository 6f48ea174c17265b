"""Walk-forward on real backtests: the in-sample best is chosen and judged on the next window."""

import math
from pathlib import Path

import pandas as pd
import pytest

from trade_executor.research.evaluate import Evaluator, expand_grid, search_space
from trade_executor.research.objective import Objective
from trade_executor.research.optimise import optuna_chooser
from trade_executor.research.walk_forward import WalkForwardSpec, backtest_period, grid_walk_forward, split_windows, walk_forward
from trade_executor.runner.backtest import BacktestOptions, BacktestRun

STRATEGY = Path(__file__).resolve().parents[2] / "strategies" / "sma_search_space.py"
PERIOD = (pd.Timestamp("2018-01-01"), pd.Timestamp("2018-03-01"))


@pytest.fixture(scope="module")
def evaluator() -> Evaluator:
    return Evaluator(STRATEGY)


@pytest.fixture(scope="module")
def report(evaluator):
    combinations = [job.parameters for job in expand_grid(search_space(STRATEGY))]
    windows = split_windows(*PERIOD, WalkForwardSpec(train_days=20, test_days=10))
    return grid_walk_forward(combinations, windows, Objective("sharpe"), lambda jobs: [evaluator.run(j) for j in jobs], PERIOD)


def test_each_window_chooses_the_in_sample_best_and_tests_it_on_the_next_days(evaluator, report):
    assert [(str(r.window.train_start.date()), str(r.window.test_start.date()), str(r.window.test_end.date())) for r in report.windows] == [
        ("2018-01-01", "2018-01-21", "2018-01-31"),
        ("2018-01-11", "2018-01-31", "2018-02-10"),
        ("2018-01-21", "2018-02-10", "2018-02-20"),
        ("2018-01-31", "2018-02-20", "2018-03-02"),
    ][: len(report.windows)]
    assert len(report.windows) == 3  # a fourth test span would end after the period
    for row in report.windows:
        grid = expand_grid(search_space(STRATEGY), *row.window.train_range())
        direct = [evaluator.run(job) for job in grid]
        best = max(direct, key=lambda r: r.metrics["sharpe"])
        assert row.in_sample == best
        assert row.candidates == 15
        assert row.out_of_sample == evaluator.run(row.window.test_job(best.job.parameters))
        assert row.out_of_sample.job.start == row.window.test_start.isoformat()


def test_the_test_backtest_starts_at_the_window_start_with_indicators_already_warm(evaluator, report):
    """The first cycle of a test window already sees a 120-hour SMA: the candles before the window are loaded."""
    window = report.windows[0].window
    job = window.test_job((("fast_sma", 6), ("slow_sma", 120)))
    run = BacktestRun(evaluator.strategy_for(job), evaluator.universe(job.start, job.end), BacktestOptions(pd.Timestamp(job.start), pd.Timestamp(job.end)))

    assert (run.timestamps[0], run.timestamps[-1]) == (pd.Timestamp("2018-01-21 00:00").to_pydatetime(), pd.Timestamp("2018-01-30 23:00").to_pydatetime())
    run.indicators.cursor = 0
    assert run.indicators.get_closed_candle_count() > 120
    assert not math.isnan(run.indicators.get("slow_sma"))


def test_aggregate_out_of_sample_return_compounds_the_test_windows_and_the_ratio_compares_per_day(report):
    returns = [row.out_of_sample.metrics["return_pct"] for row in report.windows]
    assert report.out_of_sample_return() == pytest.approx((1 + returns[0]) * (1 + returns[1]) * (1 + returns[2]) - 1, rel=1e-12)

    in_sharpe = sum(row.in_sample.metrics["sharpe"] for row in report.windows) / 3
    out_sharpe = sum(row.out_of_sample.metrics["sharpe"] for row in report.windows) / 3
    assert report.ratio() == pytest.approx(out_sharpe / in_sharpe, rel=1e-12)
    in_daily = sum(row.in_sample.metrics["return_pct"] / 20 for row in report.windows) / 3
    out_daily = sum(row.out_of_sample.metrics["return_pct"] / 10 for row in report.windows) / 3
    expected = out_daily / in_daily if in_daily > 0 else math.nan
    assert report.ratio("return_pct") == pytest.approx(expected, rel=1e-12, nan_ok=True)
    assert report.unused_days() == 9.0  # 2018-02-20..2018-02-28: too short for a fourth test span


def test_walk_forward_with_optuna_chooses_the_best_of_its_trials(evaluator):
    period = (pd.Timestamp("2018-01-01"), pd.Timestamp("2018-03-02"))
    windows = split_windows(*period, WalkForwardSpec(train_days=20, test_days=20))
    tried = []

    def run_training_jobs(jobs):
        results = [evaluator.run(j) for j in jobs]
        tried.extend(results)
        return results

    chooser = optuna_chooser(search_space(STRATEGY), Objective("return_pct"), run_training_jobs, trials=6, seed=5, batch_size=2)
    report = walk_forward(windows, chooser, lambda jobs: [evaluator.run(j) for j in jobs], Objective("return_pct"), period)

    assert len(report.windows) == 2
    for row in report.windows:
        in_window = [r for r in tried if (r.job.start, r.job.end) == row.window.train_range()]
        assert row.in_sample.metrics["return_pct"] == max(r.metrics["return_pct"] for r in in_window)
        assert row.candidates == len(in_window)
        assert row.out_of_sample.job == row.window.test_job(row.in_sample.job.parameters)


def test_the_period_is_the_data_unless_the_command_narrows_it(evaluator):
    assert backtest_period(evaluator) == (pd.Timestamp("2017-10-01 00:00"), pd.Timestamp("2019-10-01 01:00"))
    assert backtest_period(evaluator, "2018-01-01", "2018-02-28 23:00") == (pd.Timestamp("2018-01-01"), pd.Timestamp("2018-03-01"))
