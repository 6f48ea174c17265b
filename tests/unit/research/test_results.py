"""Ranking and the console table of a search."""

from __future__ import annotations

import math

from trade_executor.research.evaluate import Job, Result
from trade_executor.research.results import format_table, sort_results


def result(fast: int, sharpe: float, drawdown: float) -> Result:
    metrics = {"return_pct": 0.1 * fast, "cagr": 0.05, "max_drawdown": drawdown, "sharpe": sharpe, "sortino": 1.5, "profit_factor": math.inf,
               "win_rate": 0.5, "trades": 12.0, "final_equity": 11_000.5, "stop_losses": 1.0, "fees_paid": 10.0}
    return Result(Job.of({"fast_sma": fast, "slow_sma": 96}), metrics)


def test_best_first_undefined_last_ties_keep_their_order():
    results = [result(1, math.nan, -0.3), result(2, 0.5, -0.1), result(3, 1.5, -0.2), result(4, 0.5, -0.5)]
    assert [r.job.as_dict()["fast_sma"] for r in sort_results(results, "sharpe")] == [3, 2, 4, 1]
    assert [r.job.as_dict()["fast_sma"] for r in sort_results(results, "max_drawdown")] == [2, 3, 1, 4]  # the smallest fall first


def test_table_has_one_aligned_row_per_combination():
    table = format_table([result(3, 1.5, -0.2), result(2, math.nan, -0.1)])
    assert table.splitlines() == [
        "#  fast_sma  slow_sma  Return %  CAGR %  Max drawdown %  Sharpe  Sortino  Profit factor   Win %  Trades  Final equity",
        "1         3        96    30.00%   5.00%         -20.00%    1.50     1.50            inf  50.00%      12    $11,000.50",
        "2         2        96    20.00%   5.00%         -10.00%     n/a     1.50            inf  50.00%      12    $11,000.50",
    ]
