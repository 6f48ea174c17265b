"""What a strategy module is told about the run it is in."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import pandas as pd


class ExecutionMode(StrEnum):
    backtesting = "backtesting"
    real_trading = "real_trading"
    unit_testing = "unit_testing"

    @property
    def is_live(self) -> bool:
        return self is ExecutionMode.real_trading


@dataclass(frozen=True, slots=True)
class ExecutionContext:
    mode: ExecutionMode
    engine_version: str


@dataclass(frozen=True, slots=True)
class UniverseOptions:
    """Run options the universe builder may honour (the CLI's backtest overrides)."""

    start_at: pd.Timestamp | None = None
    end_at: pd.Timestamp | None = None
    candle_time_frame_override: pd.Timedelta | None = None
    stop_loss_time_frame_override: pd.Timedelta | None = None
