"""Per-cycle portfolio statistics: the equity curve.

Stored by column so that recording a cycle is three list appends; statistics are floats
(DESIGN: floats are for statistics, never for balances).

A backtest does not record every cycle: its equity only changes shape at a trade or a balance
update, and between two such changes it is the cash plus each holding's quantity times its
candle price. So a backtest records ``segments``, one per change, and the per-cycle columns are
rebuilt from the candles when a report needs them (``runner.equity.materialise``): the state
file grows with trades, not with bars. A state with ``segments`` read back from a file has empty
per-cycle columns until they are rebuilt.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

PER_CYCLE_COLUMNS = ("timestamps", "total_equity", "cash", "open_positions")


@dataclass(slots=True)
class Holding:
    """An open position's pair, its quantity, and the price the curve valued it at on the segment's first cycle."""

    ticker: str
    quantity: float
    price: float


@dataclass(slots=True)
class EquitySegment:
    """From cycle ``cycle`` (an index into the backtest's cycles) until the next segment: nothing but prices changed.

    ``base`` is the cash plus the value of frozen positions (not revalued); equity at a cycle is
    ``base`` plus each holding's quantity times its price at that cycle, added in this order.
    """

    cycle: int
    base: float
    cash: float
    open_positions: int
    holdings: list[Holding] = field(default_factory=list)


@dataclass(slots=True)
class Statistics:
    timestamps: list[datetime.datetime] = field(default_factory=list)
    total_equity: list[float] = field(default_factory=list)
    cash: list[float] = field(default_factory=list)
    open_positions: list[int] = field(default_factory=list)
    segments: list[EquitySegment] | None = None  # a backtest's curve between changes (see the module's text)

    def record(self, timestamp: datetime.datetime, total_equity: float, cash: float, open_positions: int) -> None:
        self.timestamps.append(timestamp)
        self.total_equity.append(total_equity)
        self.cash.append(cash)
        self.open_positions.append(open_positions)

    def __len__(self) -> int:
        return len(self.timestamps)
