"""Turn the monitoring options into live observers: notifications (Discord, Telegram) and statsd metrics."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from trade_executor.errors import ConfigurationError
from trade_executor.monitoring import DEFAULT_STATSD_PREFIX, DEFAULT_TELEGRAM_API_URL
from trade_executor.runner.observers import LiveObserver
from trade_executor.secrets import redact_url, register_secret


@dataclass(frozen=True)
class MonitoringSettings:
    discord_webhook_url: str | None = None
    telegram_api_key: str | None = None
    telegram_chat_id: str | None = None
    telegram_api_url: str = DEFAULT_TELEGRAM_API_URL
    statsd_host: str | None = None
    statsd_prefix: str = DEFAULT_STATSD_PREFIX
    notify_cycle_summaries: bool = False


def _check_url(variable: str, url: str, secret: bool) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        shown = "(the value is a secret)" if secret else repr(redact_url(url) if parts.netloc else url)
        raise ConfigurationError(f"{variable} is not an http(s) URL {shown}. Use the full URL, e.g. https://discord.com/api/webhooks/<id>/<token>.")


def check_settings(settings: MonitoringSettings) -> None:
    """One clear error for a half-configured notifier, before anything trades."""
    for value in (settings.discord_webhook_url, settings.telegram_api_key):
        register_secret(value)
    if settings.discord_webhook_url:
        _check_url("DISCORD_WEBHOOK_URL", settings.discord_webhook_url, secret=True)
    if bool(settings.telegram_api_key) != bool(settings.telegram_chat_id):
        missing = "TELEGRAM_CHAT_ID" if settings.telegram_api_key else "TELEGRAM_API_KEY"
        raise ConfigurationError(f"Telegram notifications need both TELEGRAM_API_KEY and TELEGRAM_CHAT_ID: set {missing} too (or unset the other).")
    if settings.telegram_api_key:
        _check_url("TELEGRAM_API_URL", settings.telegram_api_url, secret=False)


def build_monitoring_observers(settings: MonitoringSettings) -> tuple[LiveObserver, ...]:
    """The observers to pass to build_live_trader(..., observers=...); empty when nothing is configured."""
    check_settings(settings)
    observers: list[LiveObserver] = []
    senders = []
    if settings.discord_webhook_url or settings.telegram_api_key:
        from trade_executor.monitoring.notifications import DiscordWebhook, NotificationSender, TelegramChat

        if settings.discord_webhook_url:
            senders.append(NotificationSender(DiscordWebhook(settings.discord_webhook_url)))
        if settings.telegram_api_key:
            senders.append(NotificationSender(TelegramChat(settings.telegram_api_key, settings.telegram_chat_id, settings.telegram_api_url)))
    if settings.statsd_host:
        from trade_executor.monitoring.statsd_metrics import StatsdObserver, create_statsd_client

        observers.append(StatsdObserver(create_statsd_client(settings.statsd_host, settings.statsd_prefix)))
    if senders:
        from trade_executor.monitoring.notification_observer import NotificationObserver

        observers.append(NotificationObserver(senders, cycle_summaries=settings.notify_cycle_summaries))
    return tuple(observers)
