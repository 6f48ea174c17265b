"""Equity-curve views for the report: the drawdown under the curve and returns per month.

Pure functions of the float equity series (``summary.equity_curve``), like ``metrics``, so
the HTML report, the CSV export and tests read the same numbers.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def drawdown_series(equity: pd.Series) -> pd.Series:
    """How far below its running peak the equity is at each point, as a fraction (-0.1 = 10% down).

    Points before the first positive peak are ``nan``: a fall from an empty account is not a
    drawdown (the same rule as ``metrics.max_drawdown``, whose value is this series' minimum).
    """
    values = pd.Series(equity, dtype="float64")
    peak = values.cummax()
    drawdown = values / peak - 1.0
    return drawdown.where(peak > 0)


def monthly_returns(equity: pd.Series) -> pd.DataFrame:
    """Return of each calendar month, a year per row, months ``Jan``..``Dec`` then ``Year``.

    A period's return compares its last equity with the previous period's last (the first
    period with the curve's first point), so a year's return is its months compounded.
    Months the curve does not cover are ``nan``, and so is a period that starts from zero.
    """
    values = pd.Series(equity, dtype="float64").dropna().sort_index()
    columns = [*MONTHS, "Year"]
    if values.empty:
        return pd.DataFrame(columns=columns, dtype="float64")
    values.index = pd.DatetimeIndex(values.index)
    months, years = _period_returns(values, "ME"), _period_returns(values, "YE")
    table = pd.DataFrame(np.nan, index=pd.Index(years.index.year, name="year"), columns=columns, dtype="float64")
    for when, value in months.items():
        table.loc[when.year, MONTHS[when.month - 1]] = value
    table["Year"] = years.to_numpy()
    return table


def _period_returns(values: pd.Series, rule: str) -> pd.Series:
    ends = values.resample(rule).last().ffill()
    previous = ends.shift(1)
    previous.iloc[0] = values.iloc[0]
    return (ends / previous.where(previous > 0) - 1.0).replace([np.inf, -np.inf], np.nan)
