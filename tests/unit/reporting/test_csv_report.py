"""`--csv-report`: the trade list and equity curve, every value exactly as the state holds it."""

from __future__ import annotations

import csv
from decimal import Decimal

from trade_executor.reporting.csv_report import write_csv_report
from trade_executor.reporting.trade_list import position_rows
from trade_executor.state import State


def test_trades_csv_has_one_exact_row_per_position(sample_state: State, tmp_path):
    write_csv_report(sample_state, tmp_path)

    assert (tmp_path / "trades.csv").read_text().splitlines() == [
        "position_id,pair,opened_at,closed_at,entry_price,exit_price,quantity,bought,sold,lp_fees,gas,profit,profit_pct,reason",
        f"1,WETH-USDC,2021-01-01 00:00:00,2021-01-03 00:00:00,1000,1200,1,1000,1200,6.6,2,198,{198 / 1001!r},rebalance",
        f"2,WBTC-USDC,2021-01-02 00:00:00,2021-01-02 05:00:00,20000,18000,0.1,2000,1800,11.4,2,-202,{-202 / 2001!r},stop_loss",
        # open: profit marked to the last price, 2 x 1250 - 2401
        f"3,WETH-USDC,2021-01-04 00:00:00,,1200,,2,2400,0,7.2,1,99,{99 / 2401!r},open",
    ]


def test_equity_csv_is_the_recorded_curve(sample_state: State, tmp_path):
    write_csv_report(sample_state, tmp_path)

    assert (tmp_path / "equity.csv").read_text().splitlines() == [
        "timestamp,total_equity,cash,open_positions",
        "2021-01-01 00:00:00,10000.0,0.0,1",
        "2021-01-02 00:00:00,10100.0,0.0,1",
        "2021-01-03 00:00:00,9900.0,0.0,1",
        "2021-01-04 00:00:00,10050.0,0.0,1",
        "2021-01-05 00:00:00,10100.0,0.0,1",
    ]


def test_decimals_read_back_unchanged(sample_state: State, tmp_path):
    """No float on the way: 28-digit prices survive the round trip, and sums match the state."""
    position = sample_state.portfolio.open_positions[3]
    buy = next(iter(position.trades.values()))
    buy.executed_price = Decimal("1200.000000000000000000000000123")
    write_csv_report(sample_state, tmp_path)

    with (tmp_path / "trades.csv").open() as f:
        rows = list(csv.DictReader(f))
    assert Decimal(rows[2]["entry_price"]) == Decimal("1200.000000000000000000000000123")
    assert sum(Decimal(r["lp_fees"]) for r in rows) == sum(r.lp_fees for r in position_rows(sample_state)) == Decimal("25.2")


def test_a_state_without_trades_writes_headers_only(empty_state: State, tmp_path):
    paths = write_csv_report(empty_state, tmp_path / "new" / "folder")

    assert [p.name for p in paths] == ["trades.csv", "equity.csv"]
    assert (tmp_path / "new" / "folder" / "trades.csv").read_text().count("\n") == 1
