"""The operator's pause (webhook /control/pause): no new positions; stop losses, take profits and sells go on.

It works as an approval step (the cycle's approve hook already drops what is not approved), so the
strategy still runs and decides as usual: the decision is in the log and the state, only its buys
are held back, each recorded as a skipped trade with the reason. Trigger checks and operator
closes never go through the approval, so they sell as before.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from trade_executor.state import State, TradeExecution

logger = logging.getLogger(__name__)

PAUSED = "paused by the operator"

Approve = Callable[[list[TradeExecution]], list[TradeExecution]]


def approval_while_paused(state: State, approve: Approve | None) -> Approve | None:
    """The cycle's approval step: ``approve`` as it is while not paused; while paused, buys held back first."""
    pause = state.live.pause if state.live is not None else None
    if pause is None:
        return approve
    reason = f"{PAUSED} ({pause.paused_by}, since {pause.paused_at:%Y-%m-%d %H:%M:%S} UTC): no new positions until /control/resume"

    def hold_buys(trades: list[TradeExecution]) -> list[TradeExecution]:
        kept = []
        for trade in trades:
            if not trade.is_buy:
                kept.append(trade)
                continue
            trade.mark_failed(trade.opened_at, reason, skipped=True)
            state.portfolio.record_unfilled(trade)  # moved nothing: its position stays as it was (a new one goes)
            logger.warning("Trade #%d buy %s not executed: %s", trade.trade_id, trade.pair.ticker, reason)
        if kept and approve is not None:
            return approve(kept)
        return kept

    return hold_buys
