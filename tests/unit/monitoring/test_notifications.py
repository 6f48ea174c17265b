"""Discord and Telegram messages as real HTTP requests to a local server; rate limit; dead endpoints."""

from __future__ import annotations

import logging
import time

import pytest

from trade_executor.devnet.anvil import free_port
from trade_executor.monitoring.notifications import DiscordWebhook, NotificationSender, TelegramChat

from .conftest import Answer

BOT_TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"
WEBHOOK_PATH = "/api/webhooks/1234567890/Xk2ps9D_webhook-token_Q8zL"


class ManualClock:
    """A clock the test moves: the rate limit refills without the test waiting."""

    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def senders():
    made: list[NotificationSender] = []

    def make(endpoint, **kw) -> NotificationSender:
        sender = NotificationSender(endpoint, **kw)
        made.append(sender)
        return sender

    yield make
    for sender in made:
        sender.close(timeout=0)


def test_discord_gets_the_message_as_json_content(http_server, senders):
    sender = senders(DiscordWebhook(http_server.url + WEBHOOK_PATH))
    assert sender.submit("Trade #1 buy ETH-USDC")
    (request,) = http_server.wait_for(1)
    assert request.path == WEBHOOK_PATH
    assert request.headers["Content-Type"] == "application/json"
    assert request.body == {"content": "Trade #1 buy ETH-USDC"}
    assert sender.flush(5) and sender.sent == 1 and sender.failed == 0


def test_telegram_gets_chat_id_and_text_at_the_bot_url(http_server, senders):
    http_server.default = Answer(200, {"ok": True, "result": {"message_id": 7}})
    sender = senders(TelegramChat(BOT_TOKEN, "-1001234567890", api_url=http_server.url))
    sender.submit("Trade #1 buy ETH-USDC")
    (request,) = http_server.wait_for(1)
    assert request.path == f"/bot{BOT_TOKEN}/sendMessage"
    assert request.body == {"chat_id": "-1001234567890", "text": "Trade #1 buy ETH-USDC"}
    assert sender.flush(5) and sender.sent == 1


def test_a_message_longer_than_discord_allows_is_cut_to_2000_characters(http_server, senders):
    sender = senders(DiscordWebhook(http_server.url + WEBHOOK_PATH))
    sender.submit("x" * 2500)
    (request,) = http_server.wait_for(1)
    assert request.body["content"] == "x" * 1999 + "…"


def test_a_burst_of_20_sends_5_and_the_next_message_says_15_were_dropped(http_server, senders):
    clock = ManualClock()
    sender = senders(DiscordWebhook(http_server.url + WEBHOOK_PATH), rate=5, per_seconds=10, clock=clock)
    accepted = [sender.submit(f"message {i}") for i in range(20)]
    assert accepted == [True] * 5 + [False] * 15
    assert sender.flush(5)
    assert http_server.texts() == [f"message {i}" for i in range(5)]

    clock.now += 2.0  # 5 per 10 s: one message's worth refilled
    assert sender.submit("after the burst")
    assert not sender.submit("too soon again")
    requests = http_server.wait_for(6)
    assert requests[5].body == {"content": "[15 earlier notification(s) dropped: at most 5 per 10 s are sent]\nafter the burst"}
    assert sender.flush(5) and len(http_server.requests) == 6


def test_discord_429_retry_after_is_honoured_then_the_message_is_sent_once(http_server, senders):
    http_server.script = [Answer(429, {"message": "You are being rate limited.", "retry_after": 0.2, "global": False})]
    sender = senders(DiscordWebhook(http_server.url + WEBHOOK_PATH))
    sender.submit("hello")
    first, second = http_server.wait_for(2)
    assert first.body == second.body == {"content": "hello"}
    assert second.at - first.at >= 0.2
    assert sender.flush(5) and sender.sent == 1 and sender.failed == 0


def _dead_endpoints(http_server):
    return {
        "closed port": lambda: f"http://127.0.0.1:{free_port()}",
        "HTTP 500": lambda: (setattr(http_server, "default", Answer(500, {"description": f"bad bot {BOT_TOKEN}"})), http_server.url)[1],
    }


@pytest.mark.parametrize("kind", ["closed port", "HTTP 500"])
def test_a_dead_endpoint_never_raises_never_blocks_and_never_logs_the_token(http_server, senders, caplog, kind):
    caplog.set_level(logging.DEBUG)
    api_url = _dead_endpoints(http_server)[kind]()
    telegram = senders(TelegramChat(BOT_TOKEN, "42", api_url=api_url), timeout=2)
    discord = senders(DiscordWebhook(api_url + WEBHOOK_PATH), timeout=2)

    started = time.perf_counter()
    assert telegram.submit("crash report") and discord.submit("crash report")
    assert time.perf_counter() - started < 0.1

    assert telegram.flush(5) and discord.flush(5)
    assert (telegram.sent, telegram.failed, discord.sent, discord.failed) == (0, 1, 0, 1)
    assert f"Notification to Telegram {api_url} chat 42 failed" in caplog.text
    assert f"Notification to Discord webhook {api_url}/*** failed" in caplog.text
    assert BOT_TOKEN not in caplog.text
    assert "Xk2ps9D_webhook-token_Q8zL" not in caplog.text
    assert BOT_TOKEN[:9] not in caplog.text.replace(api_url, "")  # not even the bot id part of the URL path


def test_a_server_that_never_answers_costs_the_caller_nothing_and_close_is_bounded(http_server, senders, caplog):
    http_server.default = Answer(hang=True)
    sender = senders(TelegramChat(BOT_TOKEN, "42", api_url=http_server.url), timeout=1.0)

    started = time.perf_counter()
    sender.submit("first")
    sender.submit("second")
    assert time.perf_counter() - started < 0.1

    http_server.wait_for(1)
    started = time.perf_counter()
    assert sender.close(timeout=0.2) is False  # gave up waiting: the process can exit
    assert time.perf_counter() - started < 0.5
    assert not sender.submit("after close")

    http_server.release.set()
    assert sender.flush(5)  # the worker gives up on the request after its 1 s timeout
    assert sender.failed >= 1
    assert BOT_TOKEN not in caplog.text
