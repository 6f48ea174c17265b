"""Run the webhook server around a live trader: up before the trader starts, still up after it crashes.

A crash leaves the server answering /status with the exception until SIGTERM or SIGINT (an operator
or an orchestrator reads why it stopped), then the process exits non-zero; a normal end stops the
server and exits 0.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import typer

from trade_executor.secrets import register_environment, register_secret
from trade_executor.webhook.config import DEFAULT_HOST, DEFAULT_PORT, ExecutorMetadata, WebhookConfig, parse_origins
from trade_executor.webhook.snapshot import PriceSeries

logger = logging.getLogger(__name__)

RECENT_CANDLES = 500


@dataclass(frozen=True)
class WebhookSettings:
    enabled: bool = False
    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    cors_origins: str | None = None
    executor_id: str | None = None
    name: str | None = None
    short_description: str | None = None
    long_description: str | None = None
    icon_url: str | None = None

    def config(self) -> WebhookConfig:
        """Checked settings; a username without a password is a ConfigurationError."""
        metadata = ExecutorMetadata(
            executor_id=self.executor_id or "", name=self.name or "", short_description=self.short_description or "",
            long_description=self.long_description or "", icon_url=self.icon_url or "",
        )
        return WebhookConfig(self.host or DEFAULT_HOST, self.port, self.username or None, self.password or None, parse_origins(self.cors_origins), metadata)


def recent_prices(trader, candles: int = RECENT_CANDLES) -> list[PriceSeries]:
    """The latest closes of each pair in the trader's universe (called on the trader's thread)."""
    universe = trader.universe
    if universe is None:
        return []
    bar_seconds = universe.time_frame.total_seconds()
    series = []
    for ticker, frame in universe.candles.items():
        tail = frame["close"].iloc[-candles:]
        if tail.empty:
            continue
        times = tuple(float(t) / 1e9 for t in tail.index.as_unit("ns").asi8)
        series.append(PriceSeries(ticker, times, tuple(float(v) for v in tail.to_numpy()), times[-1] + bar_seconds))
    return series


class LiveWebhook:
    """What `start` needs from the webhook while it builds and runs the trader."""

    def __init__(self, tracker=None, server=None, control=None):
        """``control``: the queue of the /control endpoints (with HTTP_USERNAME and HTTP_PASSWORD only), for LiveConfig.control."""
        self.tracker = tracker
        self.server = server
        self.control = control

    @property
    def observers(self) -> tuple:
        return (self.tracker,) if self.tracker is not None else ()

    def attach(self, trader) -> None:
        """Let the tracker read recent prices from the trader's universe after each cycle."""
        if self.tracker is not None:
            self.tracker.price_source = lambda: recent_prices(trader)


@contextmanager
def live_webhook(settings: WebhookSettings, strategy_file: Path) -> Iterator[LiveWebhook]:
    """Serve the webhook while the body builds and runs the trader (a no-op unless HTTP_ENABLED)."""
    if not settings.enabled:
        yield LiveWebhook()
        return
    register_secret(settings.password)
    register_environment(dict(os.environ))  # whatever the configuration holds never reaches an answer
    config = settings.config()
    from trade_executor.runner.control import ControlQueue
    from trade_executor.webhook import StatusTracker, WebhookServer, create_app, install_log_buffer

    control = ControlQueue() if config.auth_enabled else None  # no credentials, no control: anyone reaching the port could sell
    tracker = StatusTracker(config.metadata, control_enabled=control is not None)
    log_buffer = install_log_buffer()
    try:
        source = Path(strategy_file).read_text(encoding="utf-8", errors="replace")
    except OSError:
        source = None
    server = WebhookServer(create_app(tracker, config, log_buffer=log_buffer, strategy_source=source, control=control), config.host, config.port)
    try:
        server.start()
        typer.echo(f"Webhook server and dashboard at {server.url}/ (API docs at {server.url}/docs)")
        try:
            yield LiveWebhook(tracker, server, control)
        except Exception as error:
            if tracker.snapshot.exception is None:  # failed before the trader ran (building it): report it all the same
                tracker.crashed(error, None)
            keep_serving_until_terminated(server.url, error)
            raise
    finally:
        server.stop()
        logging.getLogger().removeHandler(log_buffer)


def keep_serving_until_terminated(url: str, error: BaseException) -> None:
    """Block until SIGTERM or SIGINT so /status keeps telling why the executor stopped."""
    if threading.current_thread() is not threading.main_thread():
        return  # signals reach only the main thread: nothing could ever end the wait
    logger.error("The executor stopped: %s: %s. The webhook server keeps serving %s/status until SIGTERM or Ctrl+C.", type(error).__name__, error, url)
    typer.echo(f"The executor stopped with {type(error).__name__}; {url}/status shows why. Send SIGTERM or press Ctrl+C to exit.", err=True)
    terminated = threading.Event()
    handled = (signal.SIGTERM, signal.SIGINT)
    previous = {signum: signal.signal(signum, lambda *_: terminated.set()) for signum in handled}
    try:
        while not terminated.wait(1.0):
            pass
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
