"""Where the price charts mark trades: every settled swap, by what made it.

Failed swaps moved nothing and are not drawn. The kinds are disjoint, so the marker counts
of a chart add up to the swaps of its pair.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from trade_executor.state import State, TradeExecution, TradeType


class MarkerKind(StrEnum):
    entry = "entry"
    exit = "exit"
    stop_loss = "stop_loss"
    take_profit = "take_profit"
    trailing_stop_loss = "trailing_stop_loss"

    @property
    def label(self) -> str:
        return MARKER_LABELS[self]


MARKER_LABELS = {
    MarkerKind.entry: "Entries",
    MarkerKind.exit: "Exits",
    MarkerKind.stop_loss: "Stop losses",
    MarkerKind.take_profit: "Take profits",
    MarkerKind.trailing_stop_loss: "Trailing stops",
}
TRIGGER_KINDS = {
    TradeType.stop_loss: MarkerKind.stop_loss,
    TradeType.take_profit: MarkerKind.take_profit,
    TradeType.trailing_stop_loss: MarkerKind.trailing_stop_loss,
}


@dataclass(frozen=True)
class TradeMarker:
    trade_id: int
    position_id: int
    at: datetime.datetime
    price: Decimal
    quantity: Decimal
    trigger_price: Decimal | None


def marker_kind(trade: TradeExecution) -> MarkerKind:
    """A buy enters; a sell exits, unless a stop loss, take profit or trailing stop fired it."""
    if trade.executed_quantity > 0:
        return MarkerKind.entry
    return TRIGGER_KINDS.get(trade.trade_type, MarkerKind.exit)


def trade_markers(state: State) -> dict[str, dict[MarkerKind, list[TradeMarker]]]:
    """Per pair ticker, the markers of each kind in time order (kinds without trades left out)."""
    found: dict[str, dict[MarkerKind, list[TradeMarker]]] = {}
    for position in state.portfolio.get_all_positions():
        for trade in position.trades.values():
            if not trade.is_success:
                continue
            marker = TradeMarker(
                trade.trade_id,
                position.position_id,
                trade.executed_at,
                trade.executed_price,
                trade.executed_quantity,
                trade.trigger_price,
            )
            found.setdefault(position.pair.ticker, {}).setdefault(marker_kind(trade), []).append(marker)
    for per_kind in found.values():
        for markers in per_kind.values():
            markers.sort(key=lambda m: (m.at, m.trade_id))
    return found
