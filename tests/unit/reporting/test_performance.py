"""Monthly returns and the drawdown beneath the equity chart, checked by hand."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from trade_executor.reporting.metrics import max_drawdown
from trade_executor.reporting.performance import MONTHS, drawdown_series, monthly_returns


def curve(points: dict[str, float]) -> pd.Series:
    return pd.Series(list(points.values()), index=pd.DatetimeIndex(list(points)), dtype="float64")


def test_monthly_returns_compare_month_ends_and_compound_into_the_year():
    equity = curve({
        "2021-11-15": 100.0,  # the first point is the base of the first month
        "2021-11-30 23:00": 110.0,
        "2021-12-31": 99.0,
        "2022-01-10": 99.0,
        # February has no point: nothing happened, so 0%
        "2022-03-05": 148.5,
    })  # fmt: skip

    table = monthly_returns(equity)

    assert list(table.columns) == [*MONTHS, "Year"]
    assert list(table.index) == [2021, 2022]
    assert table.loc[2021, "Nov"] == pytest.approx(0.10, abs=1e-12)
    assert table.loc[2021, "Dec"] == pytest.approx(-0.10, abs=1e-12)
    assert table.loc[2021, "Year"] == pytest.approx(99 / 100 - 1, abs=1e-12)
    assert table.loc[2022, "Jan"] == 0.0
    assert table.loc[2022, "Feb"] == 0.0
    assert table.loc[2022, "Mar"] == pytest.approx(0.5, abs=1e-12)
    assert table.loc[2022, "Year"] == pytest.approx(0.5, abs=1e-12)
    assert math.isnan(table.loc[2021, "Oct"]) and math.isnan(table.loc[2022, "Apr"])  # before and after the curve


def test_a_month_starting_from_zero_equity_has_no_return():
    table = monthly_returns(curve({"2021-01-01": 0.0, "2021-01-31": 0.0, "2021-02-28": 50.0, "2021-03-31": 75.0}))

    assert math.isnan(table.loc[2021, "Jan"]) and math.isnan(table.loc[2021, "Feb"])
    assert table.loc[2021, "Mar"] == pytest.approx(0.5, abs=1e-12)


def test_no_equity_gives_an_empty_table():
    assert monthly_returns(pd.Series(dtype="float64")).empty


def test_drawdown_is_the_fall_below_the_running_peak():
    equity = curve({"2021-01-01": 0.0, "2021-01-02": 100.0, "2021-01-03": 80.0, "2021-01-04": 120.0, "2021-01-05": 90.0})

    drawdown = drawdown_series(equity)

    assert math.isnan(drawdown.iloc[0])  # no peak yet: an empty account cannot fall
    assert drawdown.iloc[1:].tolist() == pytest.approx([0.0, -0.2, 0.0, -0.25], abs=1e-12)
    assert drawdown.min() == max_drawdown(equity) == pytest.approx(-0.25, abs=1e-12)
