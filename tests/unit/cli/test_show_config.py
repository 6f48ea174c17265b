"""`show-config` / `export`: every variable a command reads, its effective value and origin; secrets never shown."""

from __future__ import annotations

import pytest

from .cli_env import KNOWN, PRIVATE_KEY, clean_env, invoke, write  # noqa: F401 - clean_env is a fixture

HTTP_PASSWORD = "correct-horse-battery"
TELEGRAM_API_KEY = "123456789:AAE-telegram-bot-token"
DISCORD_WEBHOOK_URL = "https://discord.com/api/webhooks/1234567890/discord-webhook-token"
NODE_KEY = "e0f1a2b3c4d5e6f7node-key"
JSON_RPC = f"https://polygon-mainnet.example.io/v3/{NODE_KEY} http://127.0.0.1:8545"
SECRETS = [PRIVATE_KEY, PRIVATE_KEY[2:], HTTP_PASSWORD, TELEGRAM_API_KEY, DISCORD_WEBHOOK_URL, "discord-webhook-token", NODE_KEY]

pytestmark = pytest.mark.usefixtures("clean_env")


@pytest.fixture
def env_files(tmp_path):
    public = write(tmp_path / "public.env", "STRATEGY_FILE=strategies/eth-usd-sma.py\nLOG_LEVEL=debug\nHTTP_PORT=3456\nTOKEN_USDC=0x" + "12" * 20 + "\n")
    secret = write(
        tmp_path / "secret.env",
        f'PRIVATE_KEY={PRIVATE_KEY}\nHTTP_PASSWORD="{HTTP_PASSWORD}"\nTELEGRAM_API_KEY={TELEGRAM_API_KEY}\n'
        f"DISCORD_WEBHOOK_URL={DISCORD_WEBHOOK_URL}\nJSON_RPC_POLYGON={JSON_RPC}\nLOG_LEVEL=info\n",
    )
    return public, secret


def lines_by_name(output: str) -> dict[str, str]:
    return {line.split("=", 1)[0]: line for line in output.splitlines() if not line.startswith("#")}


@pytest.mark.parametrize("command", ["show-config", "export"])
def test_secrets_are_masked_and_urls_redacted(env_files, command):
    public, secret = env_files
    result = invoke(f"--env-file={public}", f"--env-file={secret}", command)
    assert result.exit_code == 0, result.output
    for value in SECRETS:
        assert value not in result.output
    rows = lines_by_name(result.stdout)
    assert rows["PRIVATE_KEY"].split() == ["PRIVATE_KEY=***", "#", f"{secret}:1"]
    assert rows["JSON_RPC_POLYGON"].split() == ["JSON_RPC_POLYGON=https://polygon-mainnet.example.io/***", "http://127.0.0.1:8545", "#", f"{secret}:5"]
    assert rows["TELEGRAM_API_KEY"].split() == ["TELEGRAM_API_KEY=***", "#", f"{secret}:3"]
    assert rows["DISCORD_WEBHOOK_URL"].split() == ["DISCORD_WEBHOOK_URL=***", "#", f"{secret}:4"]
    if "HTTP_PASSWORD" in rows:  # listed once the webhook options exist; masked either way
        assert rows["HTTP_PASSWORD"].split() == ["HTTP_PASSWORD=***", "#", f"{secret}:2"]


def test_each_value_says_where_it_came_from(env_files):
    public, secret = env_files
    result = invoke(f"--env-file={public}", f"--env-file={secret}", "show-config", env={"CACHE_PATH": "/srv/cache"})
    rows = lines_by_name(result.stdout)
    assert rows["LOG_LEVEL"].split() == ["LOG_LEVEL=info", "#", f"{secret}:6"]  # the later file wins
    assert rows["STRATEGY_FILE"].split() == ["STRATEGY_FILE=strategies/eth-usd-sma.py", "#", f"{public}:1"]
    assert rows["TOKEN_USDC"].split() == ["TOKEN_USDC=0x" + "12" * 20, "#", f"{public}:4"]
    assert rows["CACHE_PATH"].split() == ["CACHE_PATH=/srv/cache", "#", "shell"]
    assert rows["APPROVAL_TYPE"].split() == ["APPROVAL_TYPE=unchecked", "#", "default"]
    assert rows["CONFIRMATION_BLOCK_COUNT"].split() == ["CONFIRMATION_BLOCK_COUNT=1", "#", "default"]
    assert rows["MAX_CYCLES"].split() == ["MAX_CYCLES=", "#", "not", "set"]


def test_a_shell_value_that_overrides_a_file_says_both(env_files):
    public, _ = env_files
    result = invoke(f"--env-file={public}", "show-config", env={"LOG_LEVEL": "warning"})
    assert lines_by_name(result.stdout)["LOG_LEVEL"].split() == ["LOG_LEVEL=warning", "#", "shell", "(overrides", f"{public}:2)"]


def test_every_variable_any_command_reads_is_listed_once():
    result = invoke("show-config")
    names = list(lines_by_name(result.stdout))
    assert names == sorted(KNOWN)
    assert result.stdout.startswith("# Effective configuration. Secrets are shown as ***; URLs without their key parts.\n")
