"""Metric functions on tiny series whose answers are worked out by hand."""

from __future__ import annotations

import math
from decimal import Decimal

import pandas as pd
import pytest

from trade_executor.reporting.metrics import cagr, daily_returns, max_drawdown, profit_factor, sharpe, sortino


def series(values: list[float], start: str = "2021-01-01", freq: str = "1D") -> pd.Series:
    return pd.Series(values, index=pd.date_range(start, periods=len(values), freq=freq), dtype="float64")


def test_max_drawdown_from_running_peak():
    assert max_drawdown(series([100, 120, 90, 110])) == pytest.approx(-0.25)


def test_max_drawdown_of_rising_curve_is_zero():
    assert max_drawdown(series([100, 110, 120])) == 0.0


def test_max_drawdown_ignores_empty_account_before_deposit():
    assert max_drawdown(series([0, 100, 80])) == pytest.approx(-0.2)


def test_max_drawdown_of_nothing_is_nan():
    assert math.isnan(max_drawdown(series([])))


def test_daily_returns_take_last_value_per_day_and_carry_gaps():
    index = pd.to_datetime(["2021-01-01 00:00", "2021-01-01 12:00", "2021-01-02 06:00", "2021-01-04 00:00"])
    equity = pd.Series([100.0, 110.0, 121.0, 133.1], index=index)
    returns = daily_returns(equity)
    assert list(returns.index.day) == [2, 3, 4]
    assert returns.tolist() == pytest.approx([0.1, 0.0, 0.1])


def test_daily_returns_of_empty_curve_are_empty():
    assert daily_returns(series([])).empty


def test_sharpe_is_annualised_mean_over_sample_deviation():
    returns = pd.Series([0.01, -0.01, 0.02])
    mean = 0.02 / 3
    deviation = math.sqrt(((0.01 - mean) ** 2 + (-0.01 - mean) ** 2 + (0.02 - mean) ** 2) / 2)
    assert sharpe(returns) == pytest.approx(mean / deviation * math.sqrt(365))
    assert sharpe(returns, periods_per_year=252) == pytest.approx(mean / deviation * math.sqrt(252))


def test_sortino_counts_only_losses_as_risk():
    # downside deviation = sqrt((0 + 0.01^2 + 0) / 3) = 0.01 / sqrt(3); mean = 0.02 / 3
    assert sortino(pd.Series([0.01, -0.01, 0.02])) == pytest.approx(2 / math.sqrt(3) * math.sqrt(365))


@pytest.mark.parametrize("ratio", [sharpe, sortino])
def test_ratios_are_nan_when_undefined(ratio):
    assert math.isnan(ratio(pd.Series([0.01])))
    assert math.isnan(ratio(pd.Series([], dtype="float64")))
    assert math.isnan(ratio(pd.Series([0.0, 0.0, 0.0])))


def test_sortino_is_nan_without_losing_days():
    assert math.isnan(sortino(pd.Series([0.01, 0.02])))


def test_cagr():
    assert cagr(100, 200, 365) == pytest.approx(1.0)
    assert cagr(Decimal(100), Decimal(400), 730) == pytest.approx(1.0)
    assert cagr(100, 50, 365) == pytest.approx(-0.5)
    assert math.isnan(cagr(0, 100, 365))
    assert math.isnan(cagr(100, 200, 0))


def test_profit_factor():
    assert profit_factor([Decimal(10), Decimal(-5)]) == 2.0
    assert profit_factor([Decimal(10), Decimal(0)]) == math.inf
    assert math.isnan(profit_factor([]))
    assert math.isnan(profit_factor([Decimal(0)]))
