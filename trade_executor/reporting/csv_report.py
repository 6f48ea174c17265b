"""`--csv-report=DIR`: the trade list and the equity curve as CSV for a spreadsheet or pandas.

Decimal values are written exactly as the state holds them, in plain notation (``20000``,
never ``2E+4``, which some spreadsheets misread), with no float on the way; the equity curve is the state's float statistics, written with ``repr()`` so they read
back to the same floats. Times are UTC, ``YYYY-MM-DD HH:MM:SS``.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime
from decimal import Decimal
from pathlib import Path

from trade_executor.reporting.summary import require_per_cycle_curve
from trade_executor.reporting.trade_list import PositionRow, position_rows
from trade_executor.state import State

TRADE_COLUMNS = [f.name for f in dataclasses.fields(PositionRow)]
EQUITY_COLUMNS = ["timestamp", "total_equity", "cash", "open_positions"]


def write_csv_report(state: State, folder: Path) -> list[Path]:
    """Write ``trades.csv`` and ``equity.csv`` into ``folder`` (made if missing); return their paths."""
    folder.mkdir(parents=True, exist_ok=True)
    trades, equity = folder / "trades.csv", folder / "equity.csv"
    with trades.open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(TRADE_COLUMNS)
        for row in position_rows(state):
            writer.writerow([_cell(getattr(row, name)) for name in TRADE_COLUMNS])
    stats = state.stats
    require_per_cycle_curve(stats)
    with equity.open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(EQUITY_COLUMNS)
        for when, total, cash, positions in zip(
            stats.timestamps, stats.total_equity, stats.cash, stats.open_positions, strict=True
        ):
            writer.writerow([_cell(when), repr(total), repr(cash), positions])
    return [trades, equity]


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)
