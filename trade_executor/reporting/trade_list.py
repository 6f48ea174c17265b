"""The report's trade list: one row per position (a round trip), from State alone.

Money and prices stay Decimal so the CSV export can write them exactly; a price is the
volume-weighted price of the position's settled swaps (LP fee and price impact included,
gas apart, like ``TradeExecution.executed_price``).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from trade_executor.state import State, TradeExecution, TradingPosition

ZERO = Decimal(0)


@dataclass(frozen=True)
class PositionRow:
    position_id: int
    pair: str
    opened_at: datetime.datetime
    closed_at: datetime.datetime | None
    entry_price: Decimal | None
    exit_price: Decimal | None
    quantity: Decimal
    bought: Decimal
    sold: Decimal
    lp_fees: Decimal
    gas: Decimal
    profit: Decimal
    profit_pct: float
    reason: str
    """Why it closed: ``rebalance`` (the strategy sold), ``stop_loss``, ``take_profit``,
    ``trailing_stop_loss``..., or ``open`` / ``frozen`` while it is not closed."""


def position_rows(state: State) -> list[PositionRow]:
    """Every position, closed, frozen and open, in the order they were opened.

    ``profit`` of a closed position is realised; of an open one it is marked to the last price.
    """
    return [_row(position, _status(state, position)) for position in state.portfolio.get_all_positions()]


def _status(state: State, position: TradingPosition) -> str:
    if position.position_id in state.portfolio.frozen_positions:
        return "frozen"
    if position.is_open():
        return "open"
    closed_by = position.closed_by()
    return closed_by.value if closed_by else "closed"


def _row(position: TradingPosition, reason: str) -> PositionRow:
    settled = [t for t in position.trades.values() if t.is_success]
    buys = [t for t in settled if t.executed_quantity > 0]
    sells = [t for t in settled if t.executed_quantity < 0]
    closed = reason not in ("open", "frozen")
    return PositionRow(
        position_id=position.position_id,
        pair=position.pair.ticker,
        opened_at=position.opened_at,
        closed_at=position.closed_at,
        entry_price=average_price(buys),
        exit_price=average_price(sells),
        quantity=sum((t.executed_quantity for t in buys), ZERO),
        bought=sum((t.executed_reserve for t in buys), ZERO),
        sold=sum((t.executed_reserve for t in sells), ZERO),
        lp_fees=position.get_lp_fees_paid(),
        gas=position.get_gas_paid_usd(),
        profit=position.get_realised_profit() if closed else position.get_total_profit(),
        profit_pct=position.get_profit_pct(),
        reason=reason,
    )


def average_price(trades: list[TradeExecution]) -> Decimal | None:
    """Volume-weighted executed price; one swap's own ``executed_price``; ``None`` without swaps."""
    if not trades:
        return None
    if len(trades) == 1:
        return trades[0].executed_price
    quantity = sum((abs(t.executed_quantity) for t in trades), ZERO)
    return sum((t.executed_reserve for t in trades), ZERO) / quantity
