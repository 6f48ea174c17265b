"""The monitoring options of `start`: shown with their variables, checked before trading, wired to observers."""

from __future__ import annotations

import re

import pytest
from typer.testing import CliRunner

from trade_executor.cli.main import app
from trade_executor.cli.monitoring_wiring import MonitoringSettings, build_monitoring_observers
from trade_executor.errors import ConfigurationError
from trade_executor.monitoring.notification_observer import NotificationObserver
from trade_executor.monitoring.statsd_metrics import StatsdObserver

OPTIONS = {
    "--discord-webhook-url": "DISCORD_WEBHOOK_URL",
    "--telegram-api-key": "TELEGRAM_API_KEY",
    "--telegram-chat-id": "TELEGRAM_CHAT_ID",
    "--telegram-api-url": "TELEGRAM_API_URL",
    "--logstash-server": "LOGSTASH_SERVER",
    "--statsd-host": "STATSD_HOST",
    "--statsd-prefix": "STATSD_PREFIX",
    "--log-format": "LOG_FORMAT",
    "--notify-cycle-summaries": "NOTIFY_CYCLE_SUMMARIES",
}


def test_start_help_lists_every_monitoring_option_with_its_variable():
    result = CliRunner().invoke(app, ["start", "--help"], env={"COLUMNS": "400"})
    assert result.exit_code == 0
    text = re.sub(r"\s+", " ", result.output)
    for option, variable in OPTIONS.items():
        assert re.search(rf"{option}\b.*?env var: {variable}\b", text), option
    assert "env var: TELEGRAM_API_URL; default: https://api.telegram.org]" in text
    assert "env var: STATSD_PREFIX; default: trade_executor]" in text


def test_nothing_configured_means_no_observers():
    assert build_monitoring_observers(MonitoringSettings()) == ()


def test_discord_telegram_and_statsd_each_become_an_observer():
    observers = build_monitoring_observers(MonitoringSettings(
        discord_webhook_url="http://127.0.0.1:9/api/webhooks/1/tok", telegram_api_key="1:abcdefgh", telegram_chat_id="42",
        statsd_host="127.0.0.1:9", notify_cycle_summaries=True,
    ))
    statsd_observer, notifications = observers
    assert isinstance(statsd_observer, StatsdObserver)
    assert isinstance(notifications, NotificationObserver) and notifications.cycle_summaries
    assert [s.endpoint.name for s in notifications.senders] == ["Discord webhook http://127.0.0.1:9/***", "Telegram https://api.telegram.org chat 42"]
    notifications.close()


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        (MonitoringSettings(telegram_api_key="1:abcdefgh"), "Telegram notifications need both TELEGRAM_API_KEY and TELEGRAM_CHAT_ID: set TELEGRAM_CHAT_ID too (or unset the other)."),
        (MonitoringSettings(telegram_chat_id="42"), "Telegram notifications need both TELEGRAM_API_KEY and TELEGRAM_CHAT_ID: set TELEGRAM_API_KEY too (or unset the other)."),
        (MonitoringSettings(discord_webhook_url="discord.com/api/webhooks/1/secret-token"), "DISCORD_WEBHOOK_URL is not an http(s) URL (the value is a secret)."),
        (MonitoringSettings(telegram_api_key="1:abcdefgh", telegram_chat_id="42", telegram_api_url="api.telegram.org"), "TELEGRAM_API_URL is not an http(s) URL 'api.telegram.org'."),
    ],
)
def test_a_half_configured_notifier_is_one_clear_error_without_the_secret(settings, message):
    with pytest.raises(ConfigurationError) as error:
        build_monitoring_observers(settings)
    assert str(error.value).startswith(message)
    assert "secret-token" not in str(error.value)


def test_start_refuses_a_half_configured_telegram_with_exit_code_2(tmp_path):
    env = {"TELEGRAM_API_KEY": "1:abcdefgh-secret", "TELEGRAM_CHAT_ID": "", "EXECUTION_TYPE": "uniswap_v2_hot_wallet"}
    result = CliRunner().invoke(app, ["start", "--strategy-file=strategies/eth-usd-sma.py"], env=env)
    assert result.exit_code == 2, result.output
    assert "set TELEGRAM_CHAT_ID too" in result.output
    assert "abcdefgh-secret" not in result.output
