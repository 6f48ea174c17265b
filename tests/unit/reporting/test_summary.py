"""The backtest summary: exact numbers from a hand-built State and the guide's table layout."""

from __future__ import annotations

import dataclasses
import datetime
import math
from decimal import Decimal

import pandas as pd
import pytest

from trade_executor.reporting.metrics import sharpe, sortino
from trade_executor.reporting.summary import (
    ROWS,
    BacktestSummary,
    calculate_summary,
    equity_curve,
    format_summary_table,
    summary_as_dict,
)
from trade_executor.state import State

# The sample from the deployment guide, character for character.
GUIDE_SAMPLE = """\
Trading period length                     440 days
Return %                                   -32.68%
Annualised return %                        -27.11%
Cash at start                           $10,000.00
Value at end                             $6,732.17
Trade win percent                           22.86%
Total trades done                               35
Won trades                                       8
Lost trades                                     27
Stop losses triggered                           27
Stop loss % of all                          77.14%
Stop loss % of lost                        100.00%
Zero profit trades                               0
Positions open at the end                        0
Realised profit and loss                $-3,267.83
Portfolio unrealised value                   $0.00
Extra returns on lending pool interest       $0.00
Cash left at the end                     $6,732.17
Average winning trade profit %               6.96%
Average losing trade loss %                 -4.00%
Biggest winning trade %                     13.90%
Biggest losing trade %                     -12.28%
Average duration of winning trades          2 days
Average duration of losing trades           1 days"""

GUIDE_LABELS = [line[:40].rstrip() for line in GUIDE_SAMPLE.splitlines()]


def line(label: str, value: str) -> str:
    return f"{label:<40}{value:>10}"


def guide_summary() -> BacktestSummary:
    return BacktestSummary(
        trading_period_length=datetime.timedelta(days=440, hours=3),
        return_pct=-0.3268, annualised_return_pct=-0.2711,
        cash_at_start=Decimal("10000"), value_at_end=Decimal("6732.17"),
        trade_win_pct=8 / 35, total_trades=35, won_trades=8, lost_trades=27,
        stop_losses_triggered=27, stop_loss_pct_of_all=27 / 35, stop_loss_pct_of_lost=1.0,
        zero_profit_trades=0, positions_open_at_end=0,
        realised_profit=Decimal("-3267.83"), unrealised_value=Decimal(0), interest_returns=Decimal(0),
        cash_left_at_end=Decimal("6732.17"),
        average_winning_trade_pct=0.0696, average_losing_trade_pct=-0.04,
        biggest_winning_trade_pct=0.139, biggest_losing_trade_pct=-0.1228,
        average_duration_of_winning_trades=datetime.timedelta(days=2, hours=7),
        average_duration_of_losing_trades=datetime.timedelta(days=1),
        cagr=-0.2799, take_profits_triggered=0, max_drawdown=-0.35, sharpe=-1.234, sortino=float("nan"),
        profit_factor=0.5, lp_fees_paid=Decimal("123.4"), gas_paid=Decimal(0), swaps_executed=70,
        data_gaps=0, trades_skipped=0,
    )  # fmt: skip


def test_table_reproduces_the_guide_sample():
    lines = format_summary_table(guide_summary()).splitlines()
    assert lines[0] == "Backtest summary"
    assert "\n".join(lines[1:25]) == GUIDE_SAMPLE


def test_rows_follow_the_guide_then_the_extras():
    labels = [label for label, _, _ in ROWS]
    assert labels[:24] == GUIDE_LABELS
    assert labels[24:] == [
        "CAGR %", "Take profits triggered", "Max drawdown %", "Sharpe ratio", "Sortino ratio", "Profit factor",
        "LP fees paid", "Gas paid", "Swaps executed", "Data gaps", "Trades skipped",
    ]  # fmt: skip
    assert {name for _, name, _ in ROWS} == {f.name for f in dataclasses.fields(BacktestSummary)}


def test_extra_rows_format_ratios_and_money():
    values = summary_as_dict(guide_summary())
    assert values["Sharpe ratio"] == "-1.23"
    assert values["Sortino ratio"] == "n/a"
    assert values["Profit factor"] == "0.50"
    assert values["LP fees paid"] == "$123.40"
    assert values["Max drawdown %"] == "-35.00%"


def test_wide_values_keep_the_column_aligned():
    summary = dataclasses.replace(guide_summary(), value_at_end=Decimal("1234567.891"))
    rows = format_summary_table(summary).splitlines()[1:]
    assert "$1,234,567.89" in rows[4]
    assert len({len(row) for row in rows}) == 1


def test_summary_money_is_exact(sample_state: State):
    summary = calculate_summary(sample_state)
    assert summary.cash_at_start == Decimal("10000")
    assert summary.value_at_end == Decimal("10100")
    assert summary.cash_left_at_end == Decimal("7600")
    assert summary.realised_profit == Decimal("-4")
    assert summary.unrealised_value == Decimal("2500")
    assert summary.interest_returns == Decimal("5")
    assert summary.lp_fees_paid == Decimal("25.2")
    assert summary.gas_paid == Decimal("5")


def test_summary_counts(sample_state: State):
    summary = calculate_summary(sample_state)
    assert (summary.total_trades, summary.won_trades, summary.lost_trades, summary.zero_profit_trades) == (2, 1, 1, 0)
    assert (summary.stop_losses_triggered, summary.take_profits_triggered) == (1, 0)
    assert summary.positions_open_at_end == 1
    assert summary.swaps_executed == 5  # the failed swap does not count
    assert (summary.data_gaps, summary.trades_skipped) == (3, 1)


def test_summary_ratios(sample_state: State):
    summary = calculate_summary(sample_state)
    assert summary.trading_period_length == datetime.timedelta(days=10)
    assert summary.return_pct == pytest.approx(0.01)
    assert summary.annualised_return_pct == pytest.approx(0.365)
    assert summary.cagr == pytest.approx(1.01**36.5 - 1)
    assert summary.average_winning_trade_pct == pytest.approx(198 / 1001)
    assert summary.biggest_losing_trade_pct == pytest.approx(-202 / 2001)
    assert summary.max_drawdown == pytest.approx(9900 / 10100 - 1)
    assert summary.profit_factor == pytest.approx(198 / 202)
    returns = pd.Series([10100 / 10000 - 1, 9900 / 10100 - 1, 10050 / 9900 - 1, 10100 / 10050 - 1])
    assert summary.sharpe == pytest.approx(sharpe(returns))
    assert summary.sortino == pytest.approx(sortino(returns))
    assert summary.average_duration_of_winning_trades == datetime.timedelta(days=2)
    assert summary.average_duration_of_losing_trades == datetime.timedelta(hours=5)


def test_summary_table_lines(sample_state: State):
    table = format_summary_table(calculate_summary(sample_state))
    lines = table.splitlines()
    for expected in [
        line("Trading period length", "10 days"),
        line("Return %", "1.00%"),
        line("Annualised return %", "36.50%"),
        line("Cash at start", "$10,000.00"),
        line("Value at end", "$10,100.00"),
        line("Trade win percent", "50.00%"),
        line("Stop loss % of all", "50.00%"),
        line("Stop loss % of lost", "100.00%"),
        line("Realised profit and loss", "$-4.00"),
        line("Portfolio unrealised value", "$2,500.00"),
        line("Extra returns on lending pool interest", "$5.00"),
        line("Cash left at the end", "$7,600.00"),
        line("Average winning trade profit %", "19.78%"),
        line("Average losing trade loss %", "-10.09%"),
        line("Average duration of winning trades", "2 days"),
        line("Average duration of losing trades", "5 hours"),
        line("CAGR %", "43.79%"),
        line("Max drawdown %", "-1.98%"),
        line("Profit factor", "0.98"),
        line("LP fees paid", "$25.20"),
        line("Gas paid", "$5.00"),
        line("Swaps executed", "5"),
    ]:
        assert expected in lines


def test_summary_as_dict_matches_table(sample_state: State):
    summary = calculate_summary(sample_state)
    values = summary_as_dict(summary)
    assert list(values) == [label for label, _, _ in ROWS]
    table_lines = format_summary_table(summary).splitlines()[1:]
    assert table_lines == [line(label, value) for label, value in values.items()]


def test_warnings_follow_the_table(sample_state: State):
    table = format_summary_table(calculate_summary(sample_state), ["2 data gaps in WETH-USDC", "1 trade skipped"])
    assert table.splitlines()[-2:] == ["Warning: 2 data gaps in WETH-USDC", "Warning: 1 trade skipped"]
    assert "Warning" not in format_summary_table(calculate_summary(sample_state))


def test_idle_backtest_formats_with_na(empty_state: State):
    summary = calculate_summary(empty_state)
    assert summary.total_trades == 0
    assert math.isnan(summary.trade_win_pct)
    assert summary.average_duration_of_winning_trades is None
    values = summary_as_dict(summary)
    assert values["Trading period length"] == "0 minutes"
    assert values["Return %"] == "0.00%"
    assert values["Annualised return %"] == "n/a"
    for label in ["Trade win percent", "Stop loss % of all", "Stop loss % of lost", "Average winning trade profit %",
                  "Biggest losing trade %", "Average duration of losing trades", "Sharpe ratio", "Profit factor",
                  "CAGR %"]:  # fmt: skip
        assert values[label] == "n/a", label
    assert values["Max drawdown %"] == "0.00%"
    assert values["Realised profit and loss"] == "$0.00"
    assert values["Data gaps"] == "0"
    assert format_summary_table(summary).startswith("Backtest summary\n")


def test_no_state_at_all_formats():
    values = summary_as_dict(calculate_summary(State()))
    assert values["Cash at start"] == "$0.00"
    assert values["Return %"] == "n/a"
    assert values["Max drawdown %"] == "n/a"
    assert equity_curve(State()).empty
