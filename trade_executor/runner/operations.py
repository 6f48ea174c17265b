"""Operator actions on a live trader, shared by the CLI commands and the webhook's control commands.

An operator's sale obeys the same rules as a cycle's: priced from the reference (the pool's TWAP),
not sent into a pool whose spot deviates from it, capped in price impact, with ``amountOutMin`` from
the reference (execution/guards.py). Only ``price_reference="spot"`` (close-all/close-position
``--accept-spot-price``) measures from the spot instead.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from trade_executor.errors import ConfigurationError
from trade_executor.state import State, TradeExecution, TradingPosition
from trade_executor.strategy.position_manager import PositionManager


class PositionNotClosable(ConfigurationError):
    """The position asked for cannot be sold: unknown, closed, frozen or already being sold."""


def position_to_close(state: State, position_id: int) -> TradingPosition:
    """The open position ``position_id``, or PositionNotClosable saying why not and what to do."""
    portfolio = state.portfolio
    position = portfolio.open_positions.get(position_id)
    if position is not None:
        if position.get_quantity() - position.get_pending_sell_quantity() <= 0:
            raise PositionNotClosable(
                f"Position #{position_id} {position.pair.ticker} is already being sold: a sell sent earlier awaits its confirmation. "
                "Wait for it (show-positions shows its status), or run `trade-executor repair` if the executor is stopped."
            )
        return position
    frozen = portfolio.frozen_positions.get(position_id)
    if frozen is not None:
        raise PositionNotClosable(
            f"Position #{position_id} {frozen.pair.ticker} is frozen ({frozen.frozen_reason}): its last swap's outcome was unclear, so its "
            "quantity is not known for sure. Fix: stop the executor and run `trade-executor repair`, which settles it to the wallet's balance; then close it."
        )
    closed = portfolio.closed_positions.get(position_id)
    if closed is not None:
        raise PositionNotClosable(f"Position #{position_id} {closed.pair.ticker} is already closed (at {closed.closed_at}): there is nothing to sell.")
    listed = ", ".join(f"#{p.position_id} {p.pair.ticker}" for p in portfolio.open_positions.values()) or "none"
    raise PositionNotClosable(f"There is no position #{position_id}. Open positions: {listed} (`trade-executor show-positions` lists them all).")


def close_now(trader, positions: list[TradingPosition], timestamp: datetime.datetime, notes: str) -> list[TradeExecution]:
    """Sell ``positions`` now through the router, with a cycle's safety rules; save, and tell the observers.

    A position with no reference price yet gets no trade: the caller compares what it asked for
    with what it got.
    """
    universe = trader.universe or trader.build_universe()
    trader.read_prices(universe, timestamp)
    try:
        manager = PositionManager(trader.state, universe, trader.pricing, Decimal(0))
        manager.begin_cycle(timestamp)
        trades = [trade for position in positions for trade in manager.close_position(position, notes=notes)]
        if trades:
            trader.execution.execute_trades(timestamp, trader.state, trades)
    finally:
        trader.routing.end_snapshot()
    trader.save()
    if trades and trader.observers:
        trader.observers.trades_executed(trades, trader.state)
    return trades


def refusal(positions: list[TradingPosition], trades: list[TradeExecution]) -> str | None:
    """Why not every position was sold (one reason per position), or None when every sale succeeded."""
    sold = {trade.position_id for trade in trades if trade.is_success}
    reasons = []
    for position in positions:
        if position.position_id in sold:
            continue
        trade = next((t for t in trades if t.position_id == position.position_id), None)
        why = trade.failure_reason if trade is not None else "no manipulation-resistant reference price yet (the pool's TWAP needs a few minutes of chain time)"
        reasons.append(f"#{position.position_id} {position.pair.ticker}: {why or f'{trade.status.value}, not confirmed yet'}")
    return "; ".join(reasons) or None
