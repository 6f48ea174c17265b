"""What the operator reads in the chat for each trader event, sent through a real webhook request."""

from __future__ import annotations

import datetime

from trade_executor.errors import StopError
from trade_executor.monitoring.notification_observer import NotificationObserver, format_trade
from trade_executor.monitoring.notifications import DiscordWebhook, NotificationSender
from trade_executor.runner.observers import CycleReport, ObserverGroup
from trade_executor.secrets import register_secret
from trade_executor.state import TradeStatus, TradeType

from .conftest import TX_HASH, make_state, make_trade


def observer_for(http_server, **kw) -> NotificationObserver:
    return NotificationObserver([NotificationSender(DiscordWebhook(http_server.url + "/api/webhooks/1/token-abcdef"))], **kw)


def test_trades_are_one_message_with_pair_side_value_price_status_and_tx(http_server):
    observer = observer_for(http_server)
    state = make_state()
    buy = make_trade(1)
    sell = make_trade(2, buy=False, status=TradeStatus.failed, trade_type=TradeType.stop_loss)
    observer.trades_executed([buy, sell], state)
    observer.stopped(1)
    first, last = http_server.wait_for(2)
    assert first.body["content"] == (
        "eth-usd-sma: 2 trade(s)\n"
        f"Trade #1 buy ETH-USDC: value 4,987.25 USDC, executed price 302.258, status success, tx {TX_HASH}\n"
        "Trade #2 sell (stop_loss) ETH-USDC: value 5,000.00 USDC, planned price 303.03, status failed "
        f"(execution reverted: UniswapV2Router: INSUFFICIENT_OUTPUT_AMOUNT), tx {TX_HASH}"
    )
    assert last.body["content"] == "trade-executor: trading stopped after 1 cycle(s)"


def test_start_cycle_summary_and_stop_messages(http_server):
    observer = observer_for(http_server, cycle_summaries=True)
    state = make_state()
    observer.started(state)
    report = CycleReport(cycle=7, timestamp=datetime.datetime(2024, 5, 1, 13), trades=[make_trade()], seconds=1.234)
    observer.cycle_finished(report, state)
    observer.stopped(7)
    assert [r.body["content"] for r in http_server.wait_for(3)] == [
        "eth-usd-sma: trading started; equity 10,045.25 USDC, cash 5,012.75 USDC, 1 open position(s)",
        "eth-usd-sma: cycle 7 at 2024-05-01 13:00:00 done in 1.23 s, 1 trade(s); equity 10,045.25 USDC, cash 5,012.75 USDC, 1 open position(s)",
        "eth-usd-sma: trading stopped after 7 cycle(s)",
    ]


def test_cycle_summaries_are_off_unless_asked_for(http_server):
    observer = observer_for(http_server)
    observer.cycle_finished(CycleReport(1, datetime.datetime(2024, 5, 1), [], 0.1), make_state())
    observer.stopped(1)
    assert http_server.texts() == ["trade-executor: trading stopped after 1 cycle(s)"]  # stop waited for delivery


def test_a_crash_names_the_exception_with_secrets_masked_and_is_delivered_before_returning(http_server):
    register_secret("https://node.example/v1/secret-node-key")
    observer = observer_for(http_server)
    error = StopError("Node https://node.example/v1/secret-node-key did not answer")
    ObserverGroup([observer]).crashed(error, make_state())
    assert http_server.texts() == ["eth-usd-sma: trading stopped by an error: StopError: Node *** did not answer"]


def test_a_pending_trade_shows_its_planned_value_and_price():
    trade = make_trade(3, status=TradeStatus.broadcasted)
    assert format_trade(trade) == f"Trade #3 buy ETH-USDC: value 5,000.00 USDC, planned price 303.03, status broadcasted, tx {TX_HASH}"
