"""--env-file: Docker .env files read directly, every value's origin known, bad values refused before anything runs."""

from __future__ import annotations

import os

import pytest

from trade_executor.cli.config_checks import RULES, check_environment, problem_with, rule_for
from trade_executor.cli.env_files import LoadedEnvironment, Origin, load_env_files, parse_env_file
from trade_executor.errors import ConfigurationError

from .cli_env import PRIVATE_KEY, clean_env, invoke, write  # noqa: F401 - clean_env is a fixture

ROUTER = "0x" + "ab" * 20


# --- the parser ------------------------------------------------------------------------------------


def test_quoted_values_are_unquoted_and_each_keeps_its_line(tmp_path):
    path = write(tmp_path / "a.env", '# comment\n\nA=plain\nB="double quoted # not a comment"\n  C = \'single\'\nexport D=4\nE\nF=\n')
    entries = [(e.name, e.value, e.origin.line) for e in parse_env_file(path)]
    assert entries == [("A", "plain", 3), ("B", "double quoted # not a comment", 4), ("C", "single", 5), ("D", "4", 6), ("F", "", 8)]


def test_dollar_signs_are_taken_literally(tmp_path):
    path = write(tmp_path / "a.env", "HTTP_PASSWORD=pa$HOME${USER}ss\n")
    assert parse_env_file(path)[0].value == "pa$HOME${USER}ss"


def test_a_line_that_is_not_an_assignment_names_file_and_line_without_echoing_it(tmp_path):
    path = write(tmp_path / "secret.env", "A=1\nthis is 0xdeadbeefsecret\n")
    with pytest.raises(ConfigurationError) as raised:
        parse_env_file(path)
    assert str(raised.value) == (
        f"{path} line 2 is not a NAME=value assignment. Fix: write it as NAME=value (a value may be quoted), or start it with # to make it a comment."
    )


def test_later_file_wins_and_the_shell_wins_over_every_file(tmp_path):
    public = write(tmp_path / "public.env", "LOG_LEVEL=debug\nSTATE_FILE=public.json\nCACHE_PATH=public-cache\n")
    secret = write(tmp_path / "secret.env", "STATE_FILE=secret.json\nCACHE_PATH=secret-cache\n")
    environ = {"CACHE_PATH": "shell-cache"}
    loaded = load_env_files([public, secret], environ)
    assert environ == {"CACHE_PATH": "shell-cache", "LOG_LEVEL": "debug", "STATE_FILE": "secret.json"}
    assert str(loaded.origin_of("LOG_LEVEL", environ)) == f"{public}:1"
    assert str(loaded.origin_of("STATE_FILE", environ)) == f"{secret}:1"
    assert str(loaded.origin_of("CACHE_PATH", environ)) == "shell"
    assert str(loaded.origin_of("MAX_CYCLES", environ)) == "default"


def test_a_missing_env_file_is_a_configuration_error(tmp_path):
    with pytest.raises(ConfigurationError, match="does not exist"):
        load_env_files([tmp_path / "nope.env"], {})


# --- the rules -------------------------------------------------------------------------------------

FILE = Origin("file", "secret.env", 3)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("HTTP_PORT", "70000", "HTTP_PORT=70000 (in secret.env line 3) is not a TCP port (1-65535). Fix: set HTTP_PORT to a port between 1 and 65535, e.g. HTTP_PORT=3456."),
        ("CYCLE_OFFSET_MINUTES", "-5", "CYCLE_OFFSET_MINUTES=-5 (in secret.env line 3) is negative. Fix: set CYCLE_OFFSET_MINUTES to a number of minutes, 0 or more, e.g. CYCLE_OFFSET_MINUTES=5."),
        ("MAX_DATA_DELAY_MINUTES", "soon", "MAX_DATA_DELAY_MINUTES=soon (in secret.env line 3) is not a number. Fix: set MAX_DATA_DELAY_MINUTES to a number of minutes, 0 or more, e.g. MAX_DATA_DELAY_MINUTES=5."),
        ("MIN_GAS_BALANCE", "-0.1", "MIN_GAS_BALANCE=-0.1 (in secret.env line 3) is negative. Fix: set MIN_GAS_BALANCE to an amount of the chain's native token, 0 or more, e.g. MIN_GAS_BALANCE=0.05."),
        ("EXECUTION_TYPE", "live", "EXECUTION_TYPE=live (in secret.env line 3) is not one of uniswap_v2_hot_wallet, uniswap_v3_hot_wallet, paper, dummy, backtest. Fix: use uniswap_v2_hot_wallet (live; uniswap_v3_hot_wallet on a Uniswap v3 exchange), paper (the live loop, nothing signed; dummy is its other name) or backtest."),
        ("LOG_FORMAT", "xml", "LOG_FORMAT=xml (in secret.env line 3) is not one of human, json. Fix: use human or json."),
        ("HTTP_ENABLED", "maybe", "HTTP_ENABLED=maybe (in secret.env line 3) is not a yes/no value. Fix: set HTTP_ENABLED to true or false (1/0 and yes/no also work)."),
        ("STATSD_HOST", "udp://stats:8125", "STATSD_HOST=udp://stats:8125 (in secret.env line 3) is a URL, not host or host:port. Fix: set STATSD_HOST to host or host:port, e.g. STATSD_HOST=127.0.0.1:8125."),
        ("LOGSTASH_SERVER", "logs.example.com:99999", "LOGSTASH_SERVER=logs.example.com:99999 (in secret.env line 3) is not a TCP port (1-65535). Fix: set LOGSTASH_SERVER to host or host:port, e.g. LOGSTASH_SERVER=logs.example.com:5959."),
        ("UNISWAP_V2_ROUTER", "0x1234", "UNISWAP_V2_ROUTER=0x1234 (in secret.env line 3) is not an address: expected 0x followed by 40 hex digits. Fix: set UNISWAP_V2_ROUTER to the router's address, 0x and 40 hex digits."),
        ("TOKEN_USDC", "usdc", "TOKEN_USDC=usdc (in secret.env line 3) is not an address: expected 0x followed by 40 hex digits. Fix: set TOKEN_USDC to the token's address, 0x and 40 hex digits (TOKEN_<SYMBOL>=0x...)."),
        ("ICON_URL", "icon.png", "ICON_URL=icon.png (in secret.env line 3) does not start with http:// or https://. Fix: set ICON_URL to the http(s):// URL of an image."),
    ],
)
def test_a_malformed_value_gets_one_message_with_origin_problem_and_fix(name, value, expected):
    assert problem_with(name, value, FILE) == expected


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("HTTP_PORT", "3456"), ("HTTP_ENABLED", "Yes"), ("HTTP_ENABLED", "0"), ("LOG_LEVEL", "INFO"), ("CYCLE_OFFSET_MINUTES", "0"),
        ("STATSD_HOST", "127.0.0.1:8125"), ("STATSD_HOST", "statsd"), ("LOGSTASH_SERVER", "[::1]:5959"), ("PRIVATE_KEY", PRIVATE_KEY),
        ("PRIVATE_KEY", PRIVATE_KEY[2:]), ("UNISWAP_V2_ROUTER", ROUTER), ("JSON_RPC_POLYGON", "https://a.example/v3/key http://127.0.0.1:8545"),
        ("EXECUTION_TYPE", "uniswap_v2_hot_wallet"), ("DISCORD_WEBHOOK_URL", "https://discord.com/api/webhooks/1/abc"), ("HTTP_PORT", ""),
    ],
)
def test_well_formed_and_empty_values_pass(name, value):
    assert problem_with(name, value, FILE) is None


def test_secrets_never_appear_in_the_message():
    key = "0x" + "5a" * 31  # one byte short
    message = problem_with("PRIVATE_KEY", key, FILE)
    assert message == (
        "PRIVATE_KEY=*** (in secret.env line 3) is not a private key: expected 0x followed by 64 hex digits (the value has 64 characters). "
        "Fix: use the key `trade-executor new-wallet` printed (0x and 64 hex digits), or a keystore file with KEYSTORE_FILE."
    )
    webhook = problem_with("DISCORD_WEBHOOK_URL", "discord.com/api/webhooks/123/token-abcdef", FILE)
    assert webhook == (
        "DISCORD_WEBHOOK_URL=*** (in secret.env line 3) does not start with http:// or https://. "
        "Fix: paste the webhook URL Discord shows (https://discord.com/api/webhooks/...)."
    )


def test_each_bad_url_in_a_fallback_list_is_named_and_keys_stay_hidden():
    message = problem_with("JSON_RPC_ETHEREUM", "https://mainnet.example/v3/KEY123456 ftp://backup.example/KEY654321", Origin("shell"))
    assert message == (
        "JSON_RPC_ETHEREUM=https://mainnet.example/*** ftp://backup.example/*** (set in the shell) has a bad URL (2 of 2): it does not start with http:// or https://. "
        "Fix: set JSON_RPC_ETHEREUM to the node's http(s):// URL; several URLs separated by spaces are tried in order, "
        "e.g. JSON_RPC_ETHEREUM=https://node-1.example https://node-2.example."
    )


def test_every_rule_is_one_line_with_a_fix():
    assert len({rule.name for rule in RULES}) == len(RULES)
    assert all(rule.fix for rule in RULES)
    assert rule_for("JSON_RPC_ARBITRUM").name == "JSON_RPC_*" and rule_for("TOKEN_WETH").name == "TOKEN_*" and rule_for("STRATEGY_FILE") is None


def test_check_environment_reports_every_bad_variable_in_name_order():
    environ = {"LOG_LEVEL": "loud", "HTTP_PORT": "0", "STRATEGY_FILE": "x.py"}
    problems = check_environment(environ, LoadedEnvironment(shell_names=frozenset(environ)))
    assert [p.split("=")[0] for p in problems] == ["HTTP_PORT", "LOG_LEVEL"]


# --- through the real command line ---------------------------------------------------------------------


@pytest.mark.usefixtures("clean_env")
def test_a_bad_value_in_an_env_file_exits_2_before_the_command_runs_naming_file_and_line(tmp_path):
    public = write(tmp_path / "public.env", "STRATEGY_FILE=strategies/eth-usd-sma.py\n\n# minutes after the hour\nCYCLE_OFFSET_MINUTES=-1\n")
    result = invoke(f"--env-file={public}", "hello")
    assert result.exit_code == 2
    assert result.output == (
        f"Error: CYCLE_OFFSET_MINUTES=-1 (in {public} line 4) is negative. "
        "Fix: set CYCLE_OFFSET_MINUTES to a number of minutes, 0 or more, e.g. CYCLE_OFFSET_MINUTES=5.\n"
    )
    assert "Hello blockchain" not in result.output


@pytest.mark.usefixtures("clean_env")
def test_a_bad_value_set_in_the_shell_says_so(tmp_path):
    result = invoke("hello", env={"HTTP_PORT": "http"})
    assert result.exit_code == 2
    assert "HTTP_PORT=http (set in the shell) is not a port number." in result.output


@pytest.mark.usefixtures("clean_env")
def test_a_bad_private_key_exits_2_and_the_key_is_not_shown(tmp_path):
    bad_key = "0x" + "5a" * 30 + "zz"
    secret = write(tmp_path / "secret.env", f'PRIVATE_KEY="{bad_key}"\n')
    result = invoke(f"--env-file={secret}", "hello")
    assert result.exit_code == 2
    assert f"PRIVATE_KEY=*** (in {secret} line 1) is not a private key" in result.output
    assert bad_key not in result.output and bad_key[2:] not in result.output and "5a5a5a" not in result.output


@pytest.mark.usefixtures("clean_env")
def test_shell_value_wins_over_a_bad_file_value_so_nothing_is_refused(tmp_path):
    public = write(tmp_path / "public.env", "LOG_LEVEL=loud\n")
    result = invoke(f"--env-file={public}", "hello", env={"LOG_LEVEL": "info"})
    assert (result.exit_code, result.output) == (0, "Hello blockchain\n")


@pytest.mark.usefixtures("clean_env")
def test_later_env_file_wins_through_the_cli(tmp_path):
    first = write(tmp_path / "first.env", "HTTP_PORT=0\n")
    second = write(tmp_path / "second.env", "HTTP_PORT='3456'\n")
    assert invoke(f"--env-file={second}", f"--env-file={first}", "hello").exit_code == 2
    os.environ.pop("HTTP_PORT", None)
    result = invoke(f"--env-file={first}", f"--env-file={second}", "hello")
    assert (result.exit_code, result.output) == (0, "Hello blockchain\n")


@pytest.mark.usefixtures("clean_env")
def test_an_unknown_name_in_an_env_file_warns_with_file_line_and_the_likely_name(tmp_path):
    public = write(tmp_path / "public.env", f"UNISWAP_V2_ROUTR={ROUTER}\nDOMAIN_NAME=example.com\nTOKEN_WETH={ROUTER}\nJSON_RPC_BASE=http://127.0.0.1:1\n")
    result = invoke(f"--env-file={public}", "hello")
    assert result.exit_code == 0
    assert result.stderr == f"Warning: {public} line 1: UNISWAP_V2_ROUTR is not a variable trade-executor reads. Did you mean UNISWAP_V2_ROUTER?\n"
    assert result.stdout == "Hello blockchain\n"


@pytest.mark.usefixtures("clean_env")
def test_an_env_file_with_quoted_values_configures_a_backtest(tmp_path):
    state_file = tmp_path / "quoted.json"
    public = write(
        tmp_path / "public.env",
        f'STRATEGY_FILE="strategies/eth-usd-sma.py"\nEXECUTION_TYPE=\'backtest\'\nBACKTEST_START="2018-01-01"\nBACKTEST_END=2018-01-08\nSTATE_FILE="{state_file}"\nLOG_LEVEL=warning\n',
    )
    result = invoke(f"--env-file={public}", "start")
    assert result.exit_code == 0, result.output
    assert "Backtest: 169 cycles of 1h from 2018-01-01 00:00:00 to 2018-01-08 00:00:00" in result.output
    assert state_file.exists()


@pytest.mark.usefixtures("clean_env")
def test_every_secret_read_from_an_env_file_is_registered_for_masking(tmp_path):
    from trade_executor import secrets

    password = "a-webhook-password-1234"
    secret = write(tmp_path / "secret.env", f"PRIVATE_KEY={PRIVATE_KEY}\nHTTP_PASSWORD={password}\nJSON_RPC_ANVIL=http://127.0.0.1:8545/node-key-5678\n")
    assert invoke(f"--env-file={secret}", "hello").exit_code == 0
    assert secrets.mask(f"key {PRIVATE_KEY} password {password} url http://127.0.0.1:8545/node-key-5678") == "key *** password *** url http://127.0.0.1:8545/***"  # a node URL keeps its host


def test_a_commands_help_still_shows_with_a_malformed_value(tmp_path):
    import subprocess
    import sys
    from pathlib import Path

    env = {k: v for k, v in os.environ.items() if k != "HTTP_PORT"} | {"HTTP_PORT": "0"}
    program = Path(sys.executable).parent / "trade-executor"
    shown = subprocess.run([str(program), "check-wallet", "--help"], env=env, capture_output=True, text=True, timeout=60, check=False)
    assert shown.returncode == 0 and "--keystore-file" in shown.stdout
    refused = subprocess.run([str(program), "hello"], env=env, capture_output=True, text=True, timeout=60, check=False)
    assert refused.returncode == 2 and refused.stderr.startswith("Error: HTTP_PORT=0 (set in the shell) is not a TCP port (1-65535).")
