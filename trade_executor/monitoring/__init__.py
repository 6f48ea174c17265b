"""Notifications (Discord, Telegram), log formats and shipping (JSON lines, Logstash), statsd metrics."""

# Defaults the CLI options show; importable without loading httpx or statsd.
DEFAULT_TELEGRAM_API_URL = "https://api.telegram.org"
DEFAULT_STATSD_PREFIX = "trade_executor"
