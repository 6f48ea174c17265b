"""The control queue, the pause as an approval step, which positions an operator may sell, and the command runner."""

from __future__ import annotations

import datetime
from decimal import Decimal
from types import SimpleNamespace

import pytest

from trade_executor.identifiers import AssetIdentifier, TradingPairIdentifier, synthetic_address
from trade_executor.runner.control import ControlQueue
from trade_executor.runner.control_runner import ControlRunner
from trade_executor.runner.observers import LiveObserver, ObserverGroup
from trade_executor.runner.operations import PositionNotClosable, position_to_close
from trade_executor.runner.pause import approval_while_paused
from trade_executor.state import LiveInfo, State, TradeExecution, TradeStatus, TradeType, TradingPosition
from trade_executor.state.control import Pause

USDC = AssetIdentifier(31337, synthetic_address("USDC"), "USDC", 6)
ETH = AssetIdentifier(31337, synthetic_address("ETH"), "ETH", 18)
ETH_USDC = TradingPairIdentifier(ETH, USDC, synthetic_address("pool", "ETH-USDC"), "uniswap-v2")
NOW = datetime.datetime(2026, 1, 5, 12)


def position(state: State, quantity: str, *, status: TradeStatus = TradeStatus.success) -> TradingPosition:
    """An open position with one trade of ``quantity`` (positive: a buy) at 1,500."""
    portfolio = state.portfolio
    held = TradingPosition(portfolio.allocate_position_id(), ETH_USDC, USDC, NOW, Decimal(1500), NOW)
    portfolio.open_positions[held.position_id] = held
    add_trade(state, held, quantity, status)
    return held


def add_trade(state: State, held: TradingPosition, quantity: str, status: TradeStatus = TradeStatus.success) -> TradeExecution:
    amount = Decimal(quantity)
    trade = TradeExecution(state.portfolio.allocate_trade_id(), held.position_id, ETH_USDC, USDC, TradeType.rebalance, NOW, amount, abs(amount) * 1500, Decimal(1500))
    held.trades[trade.trade_id] = trade
    if status is TradeStatus.success:
        trade.mark_success(executed_at=NOW, quantity=amount, reserve=abs(amount) * 1500, lp_fees=Decimal(0), price_impact=Decimal(0), gas_native=Decimal(0), gas_usd=Decimal(0))
    else:
        trade.status = status
    return trade


def test_a_command_stays_queued_until_done_and_its_arrival_wakes_the_loop():
    queue = ControlQueue(clock=lambda: NOW)
    assert queue.next() is None and not queue.arrived.is_set()
    command = queue.submit("close-position", "alice", 3)
    assert queue.arrived.is_set() and (command.action, command.position_id, command.requested_at, command.describe()) == ("close-position", 3, NOW, "close-position #3")
    assert queue.next() is command and queue.next() is command  # a step retried after an outage runs it again
    queue.done(command)
    assert queue.next() is None and not queue.arrived.is_set() and len(queue) == 0
    with pytest.raises(ValueError, match="Unknown control action 'sell-everything'"):
        queue.submit("sell-everything", "alice")


def test_while_paused_buys_are_recorded_as_skipped_with_the_reason_and_sells_go_on():
    state = State(live=LiveInfo())
    held = position(state, "1")
    sell = add_trade(state, held, "-1", TradeStatus.planned)
    new = position(state, "2", status=TradeStatus.planned)
    approved = []

    def approve(trades):
        approved.extend(trades)
        return trades

    assert approval_while_paused(state, approve) is approve  # not paused: the approval as configured
    state.live.pause = Pause(NOW, "alice (webhook, 127.0.0.1)")
    buy = new.trades[3]
    kept = approval_while_paused(state, approve)([sell, buy])
    assert kept == [sell] and approved == [sell]
    assert buy.status is TradeStatus.skipped and buy.failure_reason.startswith("paused by the operator (alice (webhook, 127.0.0.1), since 2026-01-05 12:00:00 UTC)")
    assert state.portfolio.unfilled_trades == {3: buy} and new.position_id not in state.portfolio.open_positions  # the new position never happened


def test_an_operator_may_sell_only_an_open_position_and_is_told_why_not():
    state = State(live=LiveInfo())
    open_ = position(state, "1")
    frozen = position(state, "1")
    state.portfolio.freeze_position(frozen, NOW, "Swap reverted: INSUFFICIENT_OUTPUT_AMOUNT")
    closed = position(state, "1")
    state.portfolio.close_position(closed, NOW)
    selling = position(state, "1")
    add_trade(state, selling, "-1", TradeStatus.broadcasted)

    assert position_to_close(state, open_.position_id) is open_
    expected = {
        frozen.position_id: "Position #2 ETH-USDC is frozen (Swap reverted: INSUFFICIENT_OUTPUT_AMOUNT)",
        closed.position_id: "Position #3 ETH-USDC is already closed (at 2026-01-05 12:00:00)",
        selling.position_id: "Position #4 ETH-USDC is already being sold",
        9: "There is no position #9. Open positions: #1 ETH-USDC, #4 ETH-USDC",
    }
    for position_id, message in expected.items():
        with pytest.raises(PositionNotClosable, match=message.replace("(", r"\(").replace(")", r"\)")):
            position_to_close(state, position_id)


class Recorder(LiveObserver):
    def __init__(self):
        self.records = []

    def control_executed(self, record, state):
        self.records.append((record, state.live.pause is not None))


def test_pause_and_resume_are_recorded_saved_and_reported_and_a_repeat_is_refused():
    state = State(live=LiveInfo())
    recorder, saves = Recorder(), []
    trader = SimpleNamespace(state=state, config=SimpleNamespace(clock=lambda: NOW), save=lambda: saves.append(len(state.live.control_log)), observers=ObserverGroup([recorder]))
    queue = ControlQueue(clock=lambda: NOW)
    for action in ("resume", "pause", "pause", "resume"):
        queue.submit(action, "alice")
    assert ControlRunner(trader, queue).run_pending() == 4 and len(queue) == 0
    assert [(r.action, r.outcome, paused) for r, paused in recorder.records] == [("resume", "refused", False), ("pause", "done", True), ("pause", "refused", True), ("resume", "done", False)]
    assert recorder.records[2][0].message == "Already paused since 2026-01-05 12:00:00 UTC by alice."
    assert saves == [1, 2, 3, 4]  # each record is saved before anyone hears of it
    assert state.live.control_log == [record for record, _ in recorder.records]
