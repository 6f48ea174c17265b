"""What the live trader's events say in a chat: trades, cycle summaries, start, stop and crashes.

The message texts are plain functions of the trades and the state, so they are tested without a
network; NotificationObserver hands them to the senders, which never block the trader.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from decimal import Decimal

from trade_executor.monitoring.notifications import NotificationSender
from trade_executor.runner.observers import CycleReport, LiveObserver
from trade_executor.secrets import mask
from trade_executor.state import State, TradeExecution

logger = logging.getLogger(__name__)


def _money(value: Decimal | None) -> str:
    return "?" if value is None else f"{value:,.2f}"


def _price(value: Decimal | None) -> str:
    return "?" if value is None else f"{value:,.6g}"


def _reserve_symbol(state: State) -> str:
    reserves = state.portfolio.reserves
    return next(iter(reserves.values())).asset.token_symbol if reserves else ""


def format_trade(trade: TradeExecution) -> str:
    """One line: number, side, pair, value, executed price, status, transaction hash."""
    side = "buy" if trade.is_buy else "sell"
    value = trade.executed_reserve if trade.executed_reserve is not None else trade.planned_reserve
    executed = trade.executed_price is not None
    price = f"executed price {_price(trade.executed_price)}" if executed else f"planned price {_price(trade.planned_price)}"
    kind = f" ({trade.trade_type.value})" if trade.trade_type.is_trigger else ""
    line = f"Trade #{trade.trade_id} {side}{kind} {trade.pair.ticker}: value {_money(value)} {trade.reserve_currency.token_symbol}, {price}, status {trade.status.value}"
    if trade.failure_reason:
        line += f" ({mask(trade.failure_reason)})"
    if trade.blockchain_transactions:
        line += f", tx {trade.blockchain_transactions[-1].tx_hash}"
    return line


def format_trades(trades: Sequence[TradeExecution], state: State) -> str:
    return "\n".join([f"{state.name}: {len(trades)} trade(s)", *(format_trade(t) for t in trades)])


def format_portfolio(state: State) -> str:
    portfolio = state.portfolio
    symbol = _reserve_symbol(state)
    cash = portfolio.get_cash() if portfolio.reserves else Decimal(0)
    equity = portfolio.get_total_equity() if portfolio.reserves else Decimal(0)
    return f"equity {_money(equity)} {symbol}, cash {_money(cash)} {symbol}, {len(portfolio.open_positions)} open position(s)"


def format_cycle(report: CycleReport, state: State) -> str:
    return f"{state.name}: cycle {report.cycle} at {report.timestamp:%Y-%m-%d %H:%M:%S} done in {report.seconds:.2f} s, {len(report.trades)} trade(s); {format_portfolio(state)}"


def format_control(record, state: State) -> str:
    """An operator's control command (webhook /control/...): who asked for what, and what came of it."""
    return f"{state.name}: {record.requested_by} asked to {record.action}{f' #{record.position_id}' if record.position_id is not None else ''}: {record.outcome}. {mask(record.message)}"


def format_crash(error: BaseException, state: State | None) -> str:
    name = state.name if state is not None else "trade-executor"
    return f"{name}: trading stopped by an error: {type(error).__name__}: {mask(str(error))}"


class NotificationObserver(LiveObserver):
    """Turns trader events into messages for every sender; a stop or crash waits (bounded) for delivery."""

    def __init__(self, senders: Sequence[NotificationSender], *, cycle_summaries: bool = False, flush_seconds: float = 5.0):
        self.senders = list(senders)
        self.cycle_summaries = cycle_summaries
        self.flush_seconds = flush_seconds
        self.name = ""

    def send(self, text: str) -> None:
        for sender in self.senders:
            sender.submit(text)

    def close(self) -> None:
        for sender in self.senders:
            if not sender.close(self.flush_seconds):
                logger.warning("Notifications to %s not all delivered within %.0f s", sender.endpoint.name, self.flush_seconds)

    def started(self, state: State) -> None:
        self.name = state.name
        self.send(f"{state.name}: trading started; {format_portfolio(state)}")

    def trades_executed(self, trades: list[TradeExecution], state: State) -> None:
        self.send(format_trades(trades, state))

    def cycle_finished(self, report: CycleReport, state: State) -> None:
        if self.cycle_summaries:
            self.send(format_cycle(report, state))

    def control_executed(self, record, state: State) -> None:
        self.send(format_control(record, state))

    def node_unreachable(self, error: BaseException) -> None:
        self.send(f"{self.name or 'trade-executor'}: the node does not answer ({type(error).__name__}); trading waits and retries")

    def node_back(self, seconds: float) -> None:
        self.send(f"{self.name or 'trade-executor'}: the node answers again after {seconds:.0f} s; trading goes on")

    def crashed(self, error: BaseException, state: State | None) -> None:
        self.send(format_crash(error, state))
        self.close()

    def stopped(self, cycles: int) -> None:
        self.send(f"{self.name or 'trade-executor'}: trading stopped after {cycles} cycle(s)")
        self.close()
