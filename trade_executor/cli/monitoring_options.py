"""Options for notifications, log output and metrics. Webhook URLs and API keys are never echoed."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import typer

from trade_executor.monitoring import DEFAULT_STATSD_PREFIX, DEFAULT_TELEGRAM_API_URL


class LogFormat(StrEnum):
    human = "human"
    json = "json"


def _opt(name: str, env: str, help: str, **kw):
    return typer.Option(name, envvar=env, show_envvar=True, help=help, **kw)


DiscordWebhookUrl = Annotated[str | None, _opt("--discord-webhook-url", "DISCORD_WEBHOOK_URL", "Discord channel webhook URL: trades, crashes (and cycle summaries) are posted there. A secret: never printed.", show_default=False)]
TelegramApiKey = Annotated[str | None, _opt("--telegram-api-key", "TELEGRAM_API_KEY", "Telegram bot token; messages go to TELEGRAM_CHAT_ID. A secret: never printed.", show_default=False)]
TelegramChatId = Annotated[str | None, _opt("--telegram-chat-id", "TELEGRAM_CHAT_ID", "Telegram chat the bot writes to (a number, or @channelname).")]
TelegramApiUrl = Annotated[str, _opt("--telegram-api-url", "TELEGRAM_API_URL", "Telegram Bot API base URL.")]
LogstashServer = Annotated[str | None, _opt("--logstash-server", "LOGSTASH_SERVER", "host:port of a Logstash TCP input (json_lines codec): log records are shipped there too.")]
StatsdHost = Annotated[str | None, _opt("--statsd-host", "STATSD_HOST", "host[:port] of a statsd server (port 8125 by default): cycle step timers, trade counters, portfolio gauges.")]
StatsdPrefix = Annotated[str, _opt("--statsd-prefix", "STATSD_PREFIX", "Prefix of every statsd metric name.")]
LogFormatOption = Annotated[LogFormat, _opt("--log-format", "LOG_FORMAT", "human: readable lines; json: one JSON object a line (time, level, logger, message, exception).", case_sensitive=False)]
NotifyCycleSummaries = Annotated[bool, _opt("--notify-cycle-summaries", "NOTIFY_CYCLE_SUMMARIES", "Also notify after every cycle: equity, cash, open positions.")]

__all__ = [
    "DEFAULT_STATSD_PREFIX", "DEFAULT_TELEGRAM_API_URL", "DiscordWebhookUrl", "LogFormat", "LogFormatOption", "LogstashServer",
    "NotifyCycleSummaries", "StatsdHost", "StatsdPrefix", "TelegramApiKey", "TelegramApiUrl", "TelegramChatId",
]
