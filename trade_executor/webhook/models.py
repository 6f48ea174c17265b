"""Response shapes for the OpenAPI docs at /docs.

Routes answer with bytes encoded once per snapshot (for speed), so these models document the
answers without being used to validate each one; tests check the answers match them.
"""

from __future__ import annotations

from pydantic import BaseModel, Field


class Pong(BaseModel):
    ping: str = "pong"


class ExceptionInfo(BaseModel):
    type: str
    message: str
    traceback: str


class NodeOutage(BaseModel):
    since: float = Field(description="Unix seconds when the node stopped answering.")
    error: str = Field(description="What the last attempt got (node URL redacted).")


class ControlCommandRow(BaseModel):
    command_id: str
    action: str = Field(description="pause, resume, close-position or close-all.")
    position_id: int | None
    requested_by: str = Field(description="The webhook user and the client's address.")
    requested_at: float = Field(description="Unix seconds.")
    status: str = Field(description="queued, then done, refused (nothing was done: message says why) or failed (part of it was done).")
    message: str | None
    executed_at: float | None
    trade_ids: list[int] = Field(description="Trades the command made.")


class ControlQueued(BaseModel):
    command_id: str
    action: str
    position_id: int | None
    status: str = "queued"
    detail: str


class Status(BaseModel):
    last_refreshed_at: float = Field(description="Unix seconds of the last change.")
    executor_running: bool
    completed_cycle: int = Field(description="Number of the last completed strategy cycle (from state).")
    cycles: int = Field(description="Cycles completed by this process.")
    position_trigger_checks: int
    exception: ExceptionInfo | None = Field(description="Why the executor stopped, when it crashed; null otherwise.")
    crashed_at: float | None
    node_outage: NodeOutage | None = Field(description="While the node does not answer: since when and why (the trader waits, up to RPC_OUTAGE_TOLERANCE_SECONDS); null otherwise.")
    hot_wallet_gas: str | None = Field(description="Native token balance (decimal string) at the last check.")
    version: str
    frozen_positions: int
    paused: bool = Field(description="The operator paused the executor (/control/pause): the strategy's buys are skipped; sells go on.")
    paused_since: float | None
    paused_by: str | None
    control_enabled: bool = Field(description="The /control endpoints are on (HTTP_USERNAME and HTTP_PASSWORD are set).")
    control_commands: list[ControlCommandRow] = Field(description="Recent control commands, newest first, with their outcome.")


class SummaryStatistics(BaseModel):
    equity: str
    cash: str
    return_: float | None = Field(alias="return", description="Equity over net deposits, less one (0.05 = +5%).")
    open_positions: int
    frozen_positions: int
    trades: int = Field(description="Successfully executed trades.")


class Metadata(BaseModel):
    executor_id: str
    name: str
    short_description: str
    long_description: str
    icon_url: str
    started_at: float | None
    executor_running: bool
    summary_statistics: SummaryStatistics


class LogRecord(BaseModel):
    time: float = Field(description="Unix seconds.")
    level: str
    logger: str
    message: str


class Portfolio(BaseModel):
    """The dashboard's data: positions, recent trades and the equity curve."""

    name: str
    completed_cycle: int
    equity: str
    cash: str
    net_deposits: str
    return_: float | None = Field(alias="return")
    open_positions: list[dict]
    frozen_positions: list[dict]
    recent_trades: list[dict]
    trade_counts: dict[str, int]
    equity_curve: dict[str, list]
    last_cycle_at: str | None


class Problem(BaseModel):
    detail: str
