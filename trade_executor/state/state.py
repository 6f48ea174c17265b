"""The root of the persistent truth."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from trade_executor.state.control import ControlRecord, Pause
from trade_executor.state.portfolio import Portfolio
from trade_executor.state.statistics import Statistics
from trade_executor.state.visualisation import Visualisation

STATE_SCHEMA_VERSION = 2  # 2: time series stored by column (state/encoding.py); version 1 files are migrated


@dataclass(slots=True)
class BacktestInfo:
    """How a backtest was run, so a report made later from the file says so."""

    strategy_file: str
    start_at: datetime.datetime
    end_at: datetime.datetime
    cycle_duration: str
    stop_loss_time_frame: str
    fill_model: str
    cycles: int = 0
    warnings: list[str] = field(default_factory=list)
    data_gaps: dict[str, int] = field(default_factory=dict)
    skipped_trades: int = 0


@dataclass(slots=True)
class LiveInfo:
    """Where a live executor is: the last block whose treasury transfers are in state, cycle times."""

    chain_id: int | None = None
    hot_wallet: str | None = None
    treasury_synced_block: int | None = None
    last_cycle_at: datetime.datetime | None = None
    cycles_completed: int = 0
    # "replay" when the run traded on a throwaway chain: such a file is never a real live state.
    rehearsal: str | None = None
    # Set by the webhook's /control/pause: no new positions until /control/resume (survives a restart).
    pause: Pause | None = None
    # Every control command the trader ran (webhook /control/...), oldest first.
    control_log: list[ControlRecord] = field(default_factory=list)


@dataclass(slots=True)
class State:
    schema_version: int = STATE_SCHEMA_VERSION
    name: str = ""
    created_at: datetime.datetime | None = None
    last_updated_at: datetime.datetime | None = None
    cycle: int = 0
    portfolio: Portfolio = field(default_factory=Portfolio)
    stats: Statistics = field(default_factory=Statistics)
    visualisation: Visualisation = field(default_factory=Visualisation)
    backtest: BacktestInfo | None = None
    live: LiveInfo | None = None
