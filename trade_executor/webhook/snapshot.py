"""Immutable copies of what the live trader knows, made on its thread and read by the HTTP thread.

The HTTP thread never touches the live State: the tracker copies what the API shows into these
frozen objects (strings, Decimals, floats, tuples) and swaps one reference. Each snapshot encodes
its JSON answers once, on first request, so a busy /status costs a dictionary lookup.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property

import msgspec

from trade_executor.secrets import mask
from trade_executor.state import BalanceUpdateCause, State, TradeExecution, TradeStatus, TradingPosition
from trade_executor.webhook.closed_trades import closed_trades
from trade_executor.webhook.config import ExecutorMetadata

ZERO = Decimal(0)
RECENT_TRADES = 50
MAX_TRADE_MARKERS = 500
MAX_CURVE_POINTS = 2000

_encoder = msgspec.json.Encoder(decimal_format="string")


def encode(value) -> bytes:
    """JSON with Decimals as exact strings and NaN as null."""
    return _encoder.encode(value)


def unix_seconds(when: datetime.datetime | None) -> float | None:
    """State times are naive UTC."""
    if when is None:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=datetime.UTC)
    return when.timestamp()


def iso(when: datetime.datetime | None) -> str | None:
    if when is None:
        return None
    if when.tzinfo is not None:
        when = when.astimezone(datetime.UTC).replace(tzinfo=None)
    return when.isoformat() + "Z"


@dataclass(frozen=True)
class PriceSeries:
    """Recent closes of one pair, for /visualisation and the data age."""

    ticker: str
    timestamps: tuple[float, ...]
    closes: tuple[float, ...]
    closed_at: float | None = None  # when the newest candle closed (unix seconds): the data age


@dataclass(frozen=True)
class IndicatorSeries:
    name: str
    colour: str
    timestamps: tuple[float, ...]
    values: tuple[float, ...]


@dataclass(frozen=True)
class TradeMarker:
    ticker: str
    timestamp: float
    price: float
    is_buy: bool


@dataclass(frozen=True)
class PortfolioView:
    """The portfolio at one save: numbers and rows copied out of State, never a reference into it."""

    name: str = ""
    completed_cycle: int = 0
    equity: Decimal = ZERO
    cash: Decimal = ZERO
    net_deposits: Decimal = ZERO
    open_positions: tuple[dict, ...] = ()
    frozen_positions: tuple[dict, ...] = ()
    recent_trades: tuple[dict, ...] = ()
    trade_counts: tuple[tuple[str, int], ...] = tuple((status.value, 0) for status in TradeStatus)
    equity_timestamps: tuple[datetime.datetime, ...] = ()
    equity_values: tuple[float, ...] = ()
    trade_markers: tuple[TradeMarker, ...] = ()
    indicators: tuple[IndicatorSeries, ...] = ()
    last_cycle_at: datetime.datetime | None = None

    @property
    def return_fraction(self) -> float | None:
        """Equity over the money put in, less one; unknown before the first deposit."""
        if self.net_deposits <= 0:
            return None
        return float((self.equity - self.net_deposits) / self.net_deposits)

    @property
    def successful_trades(self) -> int:
        return dict(self.trade_counts).get(TradeStatus.success.value, 0)

    @cached_property
    def json(self) -> bytes:
        """The dashboard's data (/portfolio), encoded once."""
        return encode(
            {
                "name": self.name,
                "completed_cycle": self.completed_cycle,
                "equity": self.equity,
                "cash": self.cash,
                "net_deposits": self.net_deposits,
                "return": self.return_fraction,
                "open_positions": list(self.open_positions),
                "frozen_positions": list(self.frozen_positions),
                "recent_trades": list(self.recent_trades),
                "trade_counts": dict(self.trade_counts),
                "equity_curve": _curve(self.equity_timestamps, self.equity_values),
                "last_cycle_at": iso(self.last_cycle_at),
            }
        )


def _curve(timestamps: tuple[datetime.datetime, ...], values: tuple[float, ...]) -> dict:
    """At most MAX_CURVE_POINTS points, evenly picked, always keeping the latest."""
    step = max(1, -(-len(values) // MAX_CURVE_POINTS))
    picked = list(range(len(values) - 1, -1, -step))[::-1]
    return {"timestamps": [iso(timestamps[i]) for i in picked], "equity": [values[i] for i in picked]}


def portfolio_view(state: State) -> PortfolioView:
    """Copy what the API shows out of ``state`` (called on the trader's thread)."""
    portfolio = state.portfolio
    tally, trades = closed_trades(portfolio.closed_positions, MAX_TRADE_MARKERS)  # the history, tallied once (closed_trades.py)
    current = [t for p in (*portfolio.frozen_positions.values(), *portfolio.open_positions.values()) for t in p.trades.values()]
    trades = sorted(trades + current, key=lambda t: t.trade_id)
    counts = {status.value: tally[status.value] for status in TradeStatus}
    for trade in current:
        counts[trade.status.value] += 1
    net_deposits = sum((u.quantity for u in portfolio.balance_updates if u.cause in (BalanceUpdateCause.deposit, BalanceUpdateCause.withdrawal)), ZERO)
    stats = state.stats
    return PortfolioView(
        name=state.name,
        completed_cycle=state.cycle,
        equity=portfolio.get_total_equity() if portfolio.reserves else ZERO,
        cash=portfolio.get_cash() if portfolio.reserves else ZERO,
        net_deposits=net_deposits,
        open_positions=tuple(_position_row(p) for p in portfolio.open_positions.values()),
        frozen_positions=tuple(_position_row(p) for p in portfolio.frozen_positions.values()),
        recent_trades=tuple(_trade_row(t) for t in reversed(trades[-RECENT_TRADES:])),
        trade_counts=tuple(counts.items()),
        equity_timestamps=tuple(stats.timestamps),
        equity_values=tuple(stats.total_equity),
        trade_markers=tuple(_marker(t) for t in trades[-MAX_TRADE_MARKERS:] if t.is_success and t.executed_at is not None),
        indicators=tuple(
            IndicatorSeries(plot.name, plot.colour, tuple(unix_seconds(t) for t in plot.timestamps), tuple(plot.values))
            for plot in state.visualisation.plots.values()
        ),
        last_cycle_at=state.live.last_cycle_at if state.live else None,
    )


def _position_row(position: TradingPosition) -> dict:
    return {
        "position_id": position.position_id,
        "pair": position.pair.ticker,
        "quantity": position.get_quantity(),
        "value": position.get_value(),
        "last_price": position.last_token_price,
        "profit": position.get_total_profit(),
        "profit_pct": position.get_profit_pct(),
        "opened_at": iso(position.opened_at),
        "stop_loss": position.stop_loss,
        "take_profit": position.take_profit,
        "frozen_at": iso(position.frozen_at),
        "frozen_reason": mask(position.frozen_reason) if position.frozen_reason else None,
    }


def _trade_row(trade: TradeExecution) -> dict:
    settled = trade.executed_quantity is not None
    transactions = trade.blockchain_transactions
    return {
        "trade_id": trade.trade_id,
        "position_id": trade.position_id,
        "pair": trade.pair.ticker,
        "side": "buy" if trade.is_buy else "sell",
        "type": trade.trade_type.value,
        "status": trade.status.value,
        "quantity": abs(trade.executed_quantity if settled else trade.planned_quantity),
        "price": trade.executed_price if trade.executed_price is not None else trade.planned_price,
        "value": trade.executed_reserve if trade.executed_reserve is not None else abs(trade.planned_reserve),
        "time": iso(trade.executed_at or trade.opened_at),
        "tx_hash": transactions[-1].tx_hash if transactions else None,
        "failure_reason": mask(trade.failure_reason) if trade.failure_reason else None,
    }


def _marker(trade: TradeExecution) -> TradeMarker:
    return TradeMarker(trade.pair.ticker, unix_seconds(trade.executed_at), float(trade.executed_price), trade.is_buy)


@dataclass(frozen=True)
class Snapshot:
    """Everything the HTTP API answers with at one moment; replaced whole, never changed."""

    refreshed_at: float
    version: str
    metadata: ExecutorMetadata = field(default_factory=ExecutorMetadata)
    started_at: float | None = None
    executor_running: bool = False
    cycles: int = 0
    position_trigger_checks: int = 0
    hot_wallet_gas: Decimal | None = None
    last_cycle_seconds: float | None = None
    exception: dict | None = None
    crashed_at: float | None = None
    node_outage: dict | None = None
    paused: dict | None = None  # {"since": unix seconds, "by": who} while the operator's pause holds
    control_enabled: bool = False
    control_commands: tuple[dict, ...] = ()  # newest first (control_rows.py)
    portfolio: PortfolioView = field(default_factory=PortfolioView)
    prices: tuple[PriceSeries, ...] = ()
    latest_data_at: float | None = None

    @cached_property
    def status_json(self) -> bytes:
        return encode(
            {
                "last_refreshed_at": self.refreshed_at,
                "executor_running": self.executor_running,
                "completed_cycle": self.portfolio.completed_cycle,
                "cycles": self.cycles,
                "position_trigger_checks": self.position_trigger_checks,
                "exception": self.exception,
                "crashed_at": self.crashed_at,
                "node_outage": self.node_outage,
                "hot_wallet_gas": self.hot_wallet_gas,
                "version": self.version,
                "frozen_positions": len(self.portfolio.frozen_positions),
                "paused": self.paused is not None,
                "paused_since": self.paused["since"] if self.paused else None,
                "paused_by": self.paused["by"] if self.paused else None,
                "control_enabled": self.control_enabled,
                "control_commands": list(self.control_commands),
            }
        )

    @cached_property
    def metadata_json(self) -> bytes:
        meta, portfolio = self.metadata, self.portfolio
        return encode(
            {
                "executor_id": mask(meta.executor_id),
                "name": mask(meta.name or portfolio.name),
                "short_description": mask(meta.short_description),
                "long_description": mask(meta.long_description),
                "icon_url": mask(meta.icon_url),
                "started_at": self.started_at,
                "executor_running": self.executor_running,
                "summary_statistics": {
                    "equity": portfolio.equity,
                    "cash": portfolio.cash,
                    "return": portfolio.return_fraction,
                    "open_positions": len(portfolio.open_positions),
                    "frozen_positions": len(portfolio.frozen_positions),
                    "trades": portfolio.successful_trades,
                },
            }
        )
