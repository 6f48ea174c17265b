"""The webhook HTTP API and dashboard, served by uvicorn on its own thread beside the live trader.

The trader publishes immutable snapshots through StatusTracker (a LiveObserver); the app only
reads them. Start with::

    tracker = StatusTracker(metadata)
    server = WebhookServer(create_app(tracker, config, log_buffer=install_log_buffer()), config.host, config.port).start()
"""

from trade_executor.webhook.app import create_app
from trade_executor.webhook.config import ExecutorMetadata, WebhookConfig, parse_origins
from trade_executor.webhook.logs import LogBuffer, install_log_buffer
from trade_executor.webhook.server import WebhookServer
from trade_executor.webhook.snapshot import PriceSeries
from trade_executor.webhook.tracker import StatusTracker

__all__ = ["ExecutorMetadata", "LogBuffer", "PriceSeries", "StatusTracker", "WebhookConfig", "WebhookServer", "create_app", "install_log_buffer", "parse_origins"]
