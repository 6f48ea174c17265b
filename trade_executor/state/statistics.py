"""Per-cycle portfolio statistics: the equity curve.

Stored by column so that recording a cycle is three list appends; statistics are floats
(DESIGN: floats are for statistics, never for balances).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field


@dataclass(slots=True)
class Statistics:
    timestamps: list[datetime.datetime] = field(default_factory=list)
    total_equity: list[float] = field(default_factory=list)
    cash: list[float] = field(default_factory=list)
    open_positions: list[int] = field(default_factory=list)

    def record(self, timestamp: datetime.datetime, total_equity: float, cash: float, open_positions: int) -> None:
        self.timestamps.append(timestamp)
        self.total_equity.append(total_equity)
        self.cash.append(cash)
        self.open_positions.append(open_positions)

    def __len__(self) -> int:
        return len(self.timestamps)
