"""Repair frozen positions once a person has looked: settle them to what the chain holds."""

from __future__ import annotations

import datetime
from decimal import Decimal

from trade_executor.state import State, TradeStatus


def repair_frozen_positions(state: State, on_chain_quantity: dict[str, Decimal], timestamp: datetime.datetime) -> list[str]:
    """Mark failed trades of frozen positions repaired; reopen or close each as the chain's balance says.

    ``on_chain_quantity``: token address (lower case) -> what the wallet holds, for base tokens of
    frozen positions. A frozen position whose settled quantity differs from the chain is left
    frozen: that needs a person, not a rule.
    """
    report = []
    portfolio = state.portfolio
    for position_id, position in list(portfolio.frozen_positions.items()):
        quantity = position.get_quantity()
        held = on_chain_quantity.get(position.pair.base.address.lower(), Decimal(0))
        others = sum((p.get_quantity() for p in portfolio.open_positions.values() if p.pair.base.address.lower() == position.pair.base.address.lower()), Decimal(0))
        if quantity + others != held:
            report.append(
                f"position #{position_id} {position.pair.ticker}: state holds {quantity}, chain {held - others}; left frozen. "
                "Fix: `trade-executor correct-accounts` books the difference, then repair again"
            )
            continue
        for trade in position.trades.values():
            if trade.status is TradeStatus.failed:
                trade.status = TradeStatus.repaired
                trade.notes = (trade.notes + "; " if trade.notes else "") + f"repaired at {timestamp}"
        del portfolio.frozen_positions[position_id]
        position.frozen_at = None
        if quantity > 0:
            portfolio.open_positions[position_id] = position
            report.append(f"position #{position_id} {position.pair.ticker}: reopened with {quantity}")
        else:
            position.closed_at = timestamp
            portfolio.closed_positions[position_id] = position
            report.append(f"position #{position_id} {position.pair.ticker}: nothing held, closed")
    return report
