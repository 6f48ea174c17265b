"""Discord and Telegram messages, sent so that a slow, dead or rate-limiting endpoint never touches trading.

Trading hands text to a NotificationSender and returns at once: the sender queues it, a
background thread posts it. A token bucket caps how many messages go out (Discord and Telegram
both throttle bots that post too fast); what the cap drops is counted and said in the next
message that goes out. A failure is logged with the endpoint's URL redacted, never raised.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable

import httpx

from trade_executor.monitoring import DEFAULT_TELEGRAM_API_URL
from trade_executor.secrets import SecretMaskingFilter, mask, redact_url, register_secret

logger = logging.getLogger(__name__)

# Endpoints that ask us to wait longer than this are given up on for that message.
MAX_RETRY_AFTER_SECONDS = 30.0
ATTEMPTS = 3


def mask_http_client_logs() -> None:
    """httpx logs every request URL at INFO; a Telegram URL carries the bot token, so mask at the source."""
    for name in ("httpx", "httpcore"):
        http_logger = logging.getLogger(name)
        if not any(isinstance(f, SecretMaskingFilter) for f in http_logger.filters):
            http_logger.addFilter(SecretMaskingFilter())


class RetryLater(Exception):
    """The endpoint answered HTTP 429: post again after ``seconds``."""

    def __init__(self, seconds: float):
        super().__init__(f"rate limited by the endpoint for {seconds:.1f} s")
        self.seconds = seconds


class EndpointRefused(Exception):
    """The endpoint answered with an error status; the text is safe to log (secrets masked)."""


def _retry_after(response: httpx.Response) -> float:
    """Seconds to wait: Discord's JSON retry_after, Telegram's parameters.retry_after, or the header."""
    try:
        body = response.json()
    except ValueError:
        body = {}
    if isinstance(body, dict):
        value = body.get("retry_after", (body.get("parameters") or {}).get("retry_after"))
        if isinstance(value, int | float):
            return float(value)
    try:
        return float(response.headers.get("retry-after", "1"))
    except ValueError:
        return 1.0


def check_response(response: httpx.Response) -> None:
    if response.status_code == 429:
        raise RetryLater(_retry_after(response))
    if response.status_code >= 400:
        raise EndpointRefused(f"HTTP {response.status_code}: {mask(response.text[:200])}")


class DiscordWebhook:
    """A Discord channel webhook: POST {"content": text}. The whole URL is a secret (it holds the token)."""

    max_length = 2000

    def __init__(self, url: str):
        register_secret(url)
        self.url = url
        self.name = f"Discord webhook {redact_url(url)}"

    def post(self, client: httpx.Client, text: str) -> None:
        check_response(client.post(self.url, json={"content": _shorten(text, self.max_length)}))


class TelegramChat:
    """A Telegram chat, written to by a bot: POST {chat_id, text} to /bot<API key>/sendMessage."""

    max_length = 4096

    def __init__(self, api_key: str, chat_id: str, api_url: str = DEFAULT_TELEGRAM_API_URL):
        register_secret(api_key)
        self.url = f"{api_url.rstrip('/')}/bot{api_key}/sendMessage"
        register_secret(self.url)
        self.chat_id = chat_id
        self.name = f"Telegram {redact_url(api_url)} chat {chat_id}"

    def post(self, client: httpx.Client, text: str) -> None:
        check_response(client.post(self.url, json={"chat_id": self.chat_id, "text": _shorten(text, self.max_length)}))


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


class TokenBucket:
    """At most ``capacity`` takes in a burst, refilled evenly over ``per_seconds``."""

    def __init__(self, capacity: int, per_seconds: float, clock: Callable[[], float] = time.monotonic):
        self.capacity = capacity
        self.refill_per_second = capacity / per_seconds
        self.clock = clock
        self.tokens = float(capacity)
        self.updated = clock()

    def take(self) -> bool:
        now = self.clock()
        self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.refill_per_second)
        self.updated = now
        if self.tokens >= 1:
            self.tokens -= 1
            return True
        return False


class NotificationSender:
    """One endpoint's queue, rate limit and background thread."""

    def __init__(
        self,
        endpoint: DiscordWebhook | TelegramChat,
        *,
        rate: int = 5,
        per_seconds: float = 10.0,
        queue_size: int = 100,
        timeout: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ):
        mask_http_client_logs()
        self.endpoint = endpoint
        self.limit_text = f"at most {rate} per {per_seconds:g} s are sent"
        self.bucket = TokenBucket(rate, per_seconds, clock)
        self.queue_size = queue_size
        self.sent = 0
        self.failed = 0
        self.dropped = 0  # dropped since the last message that went into the queue
        self._queue: deque[str] = deque()
        self._in_flight = 0
        self._condition = threading.Condition()
        self._closing = threading.Event()
        self._client = httpx.Client(timeout=timeout)
        self._thread = threading.Thread(target=self._work, name=f"notify {endpoint.name}", daemon=True)
        self._thread.start()

    def submit(self, text: str) -> bool:
        """Queue a message without waiting; False when the rate limit (or a full queue) dropped it."""
        with self._condition:
            if self._closing.is_set() or len(self._queue) >= self.queue_size or not self.bucket.take():
                self.dropped += 1
                return False
            if self.dropped:
                text = f"[{self.dropped} earlier notification(s) dropped: {self.limit_text}]\n{text}"
                self.dropped = 0
            self._queue.append(text)
            self._condition.notify_all()
            return True

    def flush(self, timeout: float) -> bool:
        """Wait at most ``timeout`` seconds for the queue to be sent; True when it was."""
        deadline = time.monotonic() + timeout
        with self._condition:
            while self._queue or self._in_flight:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._condition.wait(remaining)
        return True

    def close(self, timeout: float = 5.0) -> bool:
        """Send what is queued (waiting at most ``timeout``), then stop the thread."""
        flushed = self.flush(timeout)
        with self._condition:
            self._closing.set()
            self._condition.notify_all()
        return flushed

    def _next(self) -> str | None:
        with self._condition:
            while not self._queue and not self._closing.is_set():
                self._condition.wait()
            if not self._queue:
                return None
            self._in_flight += 1
            return self._queue.popleft()

    def _work(self) -> None:
        try:
            while (text := self._next()) is not None:
                try:
                    self._deliver(text)
                finally:
                    with self._condition:
                        self._in_flight -= 1
                        self._condition.notify_all()
        finally:
            self._client.close()

    def _deliver(self, text: str) -> None:
        name = self.endpoint.name
        for _ in range(ATTEMPTS):
            try:
                self.endpoint.post(self._client, text)
            except RetryLater as wait:
                seconds = min(wait.seconds, MAX_RETRY_AFTER_SECONDS)
                logger.warning("%s asked us to wait %.1f s (HTTP 429); the message is sent after that", name, seconds)
                if self._closing.wait(seconds):
                    break
                continue
            except Exception as error:  # whatever the network does, trading goes on
                self.failed += 1
                logger.warning("Notification to %s failed: %s: %s", name, type(error).__name__, mask(str(error)) or "no detail")
                return
            self.sent += 1
            return
        self.failed += 1
        logger.warning("Notification to %s given up: still rate limited after %d attempts", name, ATTEMPTS)
