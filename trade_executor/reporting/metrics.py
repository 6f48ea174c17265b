"""Performance metrics over an equity curve.

Pure functions of plain series and numbers, so the summary, the HTML report and tests
can share them without a State. Statistics are floats (money stays Decimal in state);
a metric that is mathematically undefined returns ``nan`` rather than raising, because a
short or idle backtest is a normal outcome and the report must still print.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from decimal import Decimal

import numpy as np
import pandas as pd

NAN = float("nan")


def max_drawdown(equity: pd.Series) -> float:
    """Deepest fall from a running peak, as a negative fraction (-0.25 = lost a quarter).

    Points before the first positive peak (an empty account before its deposit) are
    skipped: a fall from zero is not a drawdown. ``nan`` when there is nothing to measure.
    """
    values = np.asarray(equity, dtype="float64")  # numpy, in place where it can: a million-bar curve makes no copies of its index
    if np.isnan(values).any():
        values = values[~np.isnan(values)]
    peak = np.maximum.accumulate(values)
    positive = peak > 0  # the running peak never falls: once positive, positive to the end
    if not positive.any():
        return NAN
    first = int(positive.argmax())
    drawdowns = values[first:] / peak[first:]
    drawdowns -= 1.0
    return float(min(drawdowns.min(), 0.0))


def daily_returns(equity: pd.Series) -> pd.Series:
    """Calendar-day returns of an equity curve sampled at any (irregular) frequency.

    Days without a sample carry the previous day's equity forward (nothing happened, so
    the return is 0). Returns that are not finite (a day starting from zero equity) are
    dropped, since a percentage change from nothing has no meaning.
    """
    values = pd.Series(equity, dtype="float64").dropna()
    if values.empty:
        return values
    values.index = pd.DatetimeIndex(values.index)
    daily = values.sort_index().resample("1D").last().ffill()
    returns = daily.pct_change().replace([np.inf, -np.inf], np.nan)
    return returns.dropna()


def sharpe(daily_returns: pd.Series, periods_per_year: int = 365) -> float:
    """Annualised Sharpe ratio with a zero risk-free rate (crypto trades every day: 365)."""
    returns = _clean(daily_returns)
    if len(returns) < 2:
        return NAN
    deviation = float(returns.std(ddof=1))
    if not deviation or not math.isfinite(deviation):
        return NAN
    return float(returns.mean()) / deviation * math.sqrt(periods_per_year)


def sortino(daily_returns: pd.Series, periods_per_year: int = 365) -> float:
    """Annualised Sortino ratio: like Sharpe, but only losses count as risk.

    Downside deviation is sqrt(mean(min(r, 0)^2)) over all periods, target return 0.
    """
    returns = _clean(daily_returns)
    if len(returns) < 2:
        return NAN
    downside = math.sqrt(float((returns.clip(upper=0.0) ** 2).mean()))
    if not downside:
        return NAN
    return float(returns.mean()) / downside * math.sqrt(periods_per_year)


def cagr(start_value: float | Decimal, end_value: float | Decimal, days: float) -> float:
    """Compound annual growth rate: the yearly rate that turns start into end in ``days``.

    ``nan`` when there was no money at the start, no time passed, or the end is negative; ``inf``
    when a gain compounded over a year is beyond a float (a 2% gain in three minutes).
    """
    start, end = float(start_value), float(end_value)
    if start <= 0 or days <= 0 or end < 0:
        return NAN
    try:
        return (end / start) ** (365.0 / days) - 1.0
    except OverflowError:
        return math.inf


def profit_factor(profits: Iterable[Decimal]) -> float:
    """Gross profit over gross loss of closed trades.

    ``inf`` when there were gains but no losses; ``nan`` when there were no trades, or
    only break-even ones (0/0 says nothing about the strategy).
    """
    profits = list(profits)
    gains = sum((p for p in profits if p > 0), Decimal(0))
    losses = sum((p for p in profits if p < 0), Decimal(0))
    if not profits or (not gains and not losses):
        return NAN
    if not losses:
        return math.inf
    return float(gains / abs(losses))


def _clean(returns: pd.Series) -> pd.Series:
    """Finite float returns only; a stray nan must not turn every ratio into nan."""
    values = pd.Series(returns, dtype="float64")
    return values[np.isfinite(values)]
