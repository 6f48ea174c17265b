"""Run queued control commands on the trader's thread, between steps of the live loop.

Each command is recorded in the state (``state.live.control_log``: who, when, what, the outcome)
and saved before the observers hear of it (the webhook's /status, notifications). A command that
cannot be done (an unknown position, a sale a safety rule refused) is recorded as ``refused`` with
the reason; the trader goes on. An error that would stop a cycle (the state cannot be saved...)
stops the trader as it would in a cycle.
"""

from __future__ import annotations

import datetime
import logging

from trade_executor.runner.control import ControlCommand, ControlQueue
from trade_executor.runner.operations import PositionNotClosable, close_now, position_to_close, refusal
from trade_executor.state import TradeExecution
from trade_executor.state.control import ControlRecord, Pause

logger = logging.getLogger(__name__)

Outcome = tuple[str, str, list[TradeExecution]]  # outcome, message, trades made


class ControlRunner:
    def __init__(self, trader, queue: ControlQueue):
        self.trader = trader
        self.queue = queue

    def run_pending(self, timestamp: datetime.datetime | None = None) -> int:
        """Run every queued command, oldest first; return how many ran."""
        ran = 0
        while (command := self.queue.next()) is not None:
            self.run(command)
            self.queue.done(command)
            ran += 1
        return ran

    def run(self, command: ControlCommand) -> ControlRecord:
        trader = self.trader
        action = {"pause": self._pause, "resume": self._resume, "close-position": self._close_position, "close-all": self._close_all}[command.action]
        try:
            outcome, message, trades = action(command)
        except PositionNotClosable as e:
            outcome, message, trades = "refused", str(e), []
        record = ControlRecord(
            command.command_id, command.action, command.requested_by, command.requested_at, trader.config.clock(), outcome, message,
            command.position_id, [t.trade_id for t in trades],
        )
        trader.state.live.control_log.append(record)
        trader.save()
        log = logger.warning if outcome == "done" else logger.error
        log("Control command %s (%s) from %s: %s: %s", command.describe(), command.command_id, command.requested_by, outcome, message)
        trader.observers.control_executed(record, trader.state)
        return record

    # --- the actions -------------------------------------------------------------------------

    def _pause(self, command: ControlCommand) -> Outcome:
        live = self.trader.state.live
        if live.pause is not None:
            return "refused", f"Already paused since {live.pause.paused_at:%Y-%m-%d %H:%M:%S} UTC by {live.pause.paused_by}.", []
        live.pause = Pause(self.trader.config.clock(), command.requested_by)
        return "done", "Paused: no new positions (the strategy's buys are skipped); stop losses, take profits and sells go on. /control/resume ends it.", []

    def _resume(self, command: ControlCommand) -> Outcome:
        live = self.trader.state.live
        if live.pause is None:
            return "refused", "Not paused: nothing to resume.", []
        since = live.pause.paused_at
        live.pause = None
        return "done", f"Resumed (paused since {since:%Y-%m-%d %H:%M:%S} UTC): the strategy's buys are executed again.", []

    def _close_position(self, command: ControlCommand) -> Outcome:
        self.trader.settle_mined()  # a sell sent earlier and mined since is settled first: the position may be closed already
        position = position_to_close(self.trader.state, command.position_id)
        return self._sell([position], command)

    def _close_all(self, command: ControlCommand) -> Outcome:
        self.trader.settle_mined()
        portfolio = self.trader.state.portfolio
        positions = [p for p in portfolio.open_positions.values() if p.get_quantity() - p.get_pending_sell_quantity() > 0]
        if not positions:
            return "refused", "No open position to sell.", []
        return self._sell(positions, command)

    def _sell(self, positions, command: ControlCommand) -> Outcome:
        trader = self.trader
        trades = close_now(trader, positions, trader.config.clock(), notes=f"{command.action} by {command.requested_by}")
        names = ", ".join(f"#{p.position_id} {p.pair.ticker}" for p in positions)
        why = refusal(positions, trades)
        if why is None:
            return "done", f"Sold {names}.", trades
        sold = sum(t.is_success for t in trades)
        outcome = "failed" if sold else "refused"
        return outcome, (
            f"Sold {sold} of {len(positions)} position(s); not sold: {why}. Try again later; if the market really moved and you accept the "
            "pool's price now, stop the executor and run `trade-executor close-position --position-id=N --accept-spot-price`."
        ), trades
