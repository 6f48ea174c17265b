"""The `trade-executor` command line: commands, options, environment variables, error exits.

Most cases run in-process through typer's CliRunner (fast); the ones about the real program
(the console script, a backtest configured only through the environment) run it as a subprocess.
"""

from __future__ import annotations

import logging
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from trade_executor.cli.main import app, environment_variables
from trade_executor.state import JSONFileStore

REPO = Path(__file__).resolve().parents[3]
TRADE_EXECUTOR = Path(sys.executable).parent / "trade-executor"
ETH_USD_SMA = "strategies/eth-usd-sma.py"
SHORT = ["--backtest-start=2018-01-01", "--backtest-end=2018-02-01"]
API_KEY = "tsk-secret-1f6c2a9e7b0d4c3f"

CLI_ENV_VARS = environment_variables()

START_OPTIONS = {
    "--strategy-file": "STRATEGY_FILE",
    "--execution-type": "EXECUTION_TYPE",
    "--state-file": "STATE_FILE",
    "--cache-path": "CACHE_PATH",
    "--backtest-start": "BACKTEST_START",
    "--backtest-end": "BACKTEST_END",
    "--backtest-candle-time-frame-override": "BACKTEST_CANDLE_TIME_FRAME_OVERRIDE",
    "--backtest-stop-loss-time-frame-override": "BACKTEST_STOP_LOSS_TIME_FRAME_OVERRIDE",
    "--fill-model": "FILL_MODEL",
    "--trading-strategy-api-key": "TRADING_STRATEGY_API_KEY",
    "--log-level": "LOG_LEVEL",
}
BACKTEST_OPTIONS = {k: v for k, v in START_OPTIONS.items() if k != "--execution-type"}
CHECK_UNIVERSE_OPTIONS = {"--strategy-file": "STRATEGY_FILE", "--log-level": "LOG_LEVEL"}

ETH_GAPS = [
    "gap: 1 missing from 2018-10-04 09:00:00 to 2018-10-04 09:00:00",
    "gap: 3 missing from 2019-01-07 11:00:00 to 2019-01-07 13:00:00",
    "gap: 2 missing from 2019-02-09 08:00:00 to 2019-02-09 09:00:00",
    "gap: 3 missing from 2019-06-26 09:00:00 to 2019-06-26 11:00:00",
]


@pytest.fixture(autouse=True)
def in_repo_with_clean_env(monkeypatch):
    """Run from the repository root (strategy paths and data resolve there), no CLI variables set,
    and give the root logger back as it was: the commands reconfigure logging onto the captured stream."""
    monkeypatch.chdir(REPO)
    for name in CLI_ENV_VARS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("COLUMNS", "250")  # rich help on one line per option
    monkeypatch.setenv("NO_COLOR", "1")
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


def invoke(*args: str, env: dict[str, str] | None = None):
    return CliRunner().invoke(app, list(args), env=env)


def flat(text: str) -> str:
    """Help text without rich's box drawing and line wrapping: one space between words."""
    return " ".join(re.sub(r"[│╭╮╰╯─]", " ", text).split())


def run_program(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """The installed console script, from the repository root, with only ``env`` configured."""
    full_env = {k: v for k, v in os.environ.items() if k not in CLI_ENV_VARS}
    full_env.update(env or {})
    return subprocess.run(
        [str(TRADE_EXECUTOR), *args], cwd=REPO, env=full_env, capture_output=True, text=True, timeout=120, check=False
    )


# --- hello and help ---------------------------------------------------------------------------------


def test_hello_prints_exactly_hello_blockchain():
    result = invoke("hello")
    assert result.exit_code == 0
    assert result.output == "Hello blockchain\n"


def test_hello_through_the_installed_console_script():
    completed = run_program("hello")
    assert (completed.returncode, completed.stdout, completed.stderr) == (0, "Hello blockchain\n", "")


def test_help_lists_the_commands():
    result = invoke("--help")
    assert result.exit_code == 0
    text = flat(result.output)
    for command in ("hello", "version", "start", "backtest", "check-universe"):
        assert re.search(rf"(^| ){re.escape(command)} ", text), f"{command} missing from --help:\n{result.output}"


def test_no_arguments_shows_help():
    result = invoke()
    assert "Usage" in result.output and "start" in result.output


@pytest.mark.parametrize(
    ("command", "options"),
    [("start", START_OPTIONS), ("backtest", BACKTEST_OPTIONS), ("check-universe", CHECK_UNIVERSE_OPTIONS)],
)
def test_command_help_shows_every_option_and_its_environment_variable(command, options):
    result = invoke(command, "--help")
    assert result.exit_code == 0, result.output
    text = flat(result.output)
    for option, envvar in options.items():
        assert option in text, f"{option} missing from `{command} --help`"
        assert f"env var: {envvar}" in text, f"{envvar} missing from `{command} --help`"


@pytest.mark.parametrize("command", ["start", "backtest", "check-universe", "hello", "version"])
def test_every_option_reads_an_environment_variable_shown_in_help(command):
    """The options.py contract: each option (but --help) has an env var, and help says which."""
    click_command = typer.main.get_command(app).commands[command]
    text = flat(invoke(command, "--help").output)
    for param in click_command.params:
        if param.name == "help" or not param.opts[0].startswith("--"):
            continue
        assert param.envvar, f"{command} {param.opts[0]} reads no environment variable"
        assert param.show_envvar and f"env var: {param.envvar}" in text


def test_start_help_shows_no_bogus_execution_type_default():
    text = flat(invoke("start", "--help").output)
    assert "default: --execution-type" not in text


def test_start_without_execution_type_says_the_option_is_missing(tmp_path):
    """EXECUTION_TYPE has no default (backtest or live is the user's choice), and leaving it out is not
    blamed on a value the user never gave."""
    state_file = tmp_path / "s.json"
    result = invoke("start", f"--strategy-file={ETH_USD_SMA}", f"--state-file={state_file}", *SHORT)
    assert result.exit_code == 2, result.output
    assert "Missing option '--execution-type'" in result.output and "EXECUTION_TYPE" in result.output
    assert "Invalid value" not in result.output
    assert not state_file.exists()


# --- environment variables ----------------------------------------------------------------------------


def test_backtest_configured_only_through_environment_variables(tmp_path):
    state_file = tmp_path / "from-env.json"
    completed = run_program(
        "start",
        env={
            "STRATEGY_FILE": ETH_USD_SMA,
            "EXECUTION_TYPE": "backtest",
            "BACKTEST_START": "2018-01-01",
            "BACKTEST_END": "2018-02-01",
            "STATE_FILE": str(state_file),
            "LOG_LEVEL": "warning",
        },
    )
    assert completed.returncode == 0, completed.stderr
    assert "Backtest summary" in completed.stdout
    assert "Backtest: 745 cycles of 1h from 2018-01-01 00:00:00 to 2018-02-01 00:00:00" in completed.stdout
    assert f"state saved to {state_file}" in completed.stdout
    state = JSONFileStore(state_file).load()
    assert state.backtest.start_at.isoformat() == "2018-01-01T00:00:00"
    assert state.portfolio.get_all_positions()


def test_time_frame_overrides_from_environment_variables(tmp_path):
    result = invoke(
        "backtest",
        env={
            "STRATEGY_FILE": ETH_USD_SMA,
            "STATE_FILE": str(tmp_path / "s.json"),
            "BACKTEST_START": "2018-01-01",
            "BACKTEST_END": "2018-07-01",
            "BACKTEST_CANDLE_TIME_FRAME_OVERRIDE": "4h",
            "BACKTEST_STOP_LOSS_TIME_FRAME_OVERRIDE": "4h",
            "FILL_MODEL": "simple",
        },
    )
    assert result.exit_code == 0, result.output
    assert "cycles of 4h" in result.output and "stop-loss checks on 4h candles" in result.output
    assert "Execution: simulated: fills simple" in result.output  # FILL_MODEL
    assert "not meaningful" in result.output


def test_command_line_option_wins_over_environment_variable(tmp_path):
    from_env, from_flag = tmp_path / "env.json", tmp_path / "flag.json"
    result = invoke(
        "start",
        f"--state-file={from_flag}",
        "--execution-type=backtest",
        *SHORT,
        env={"STRATEGY_FILE": ETH_USD_SMA, "STATE_FILE": str(from_env)},
    )
    assert result.exit_code == 0, result.output
    assert from_flag.exists() and not from_env.exists()


def test_bad_environment_variable_value_names_the_variable(tmp_path):
    result = invoke("start", f"--strategy-file={ETH_USD_SMA}", "--execution-type=backtest", env={"LOG_LEVEL": "loud"})
    assert result.exit_code == 2
    assert "LOG_LEVEL" in result.output and "loud" in result.output


# --- errors -------------------------------------------------------------------------------------------


def assert_clean_error(result, *expected: str) -> None:
    assert result.exit_code == 2, result.output
    assert not isinstance(result.exception, Exception) or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    assert "Backtest summary" not in result.output
    for text in expected:
        assert text in result.output, f"{text!r} not in:\n{result.output}"


def test_live_without_wallet_and_router_exits_2_naming_what_is_missing(tmp_path):
    state_file = tmp_path / "s.json"
    result = invoke(
        "start", f"--strategy-file={ETH_USD_SMA}", "--execution-type=uniswap_v2_hot_wallet", f"--state-file={state_file}"
    )
    assert_clean_error(result, "PRIVATE_KEY", "UNISWAP_V2_ROUTER", "UNISWAP_V2_FACTORY", "devnet")
    assert not state_file.exists()


def test_unknown_execution_type_exits_2_listing_the_choices():
    result = invoke("start", f"--strategy-file={ETH_USD_SMA}", "--execution-type=live")
    assert_clean_error(result, "live", "backtest", "paper")


@pytest.mark.parametrize("option", ["--backtest-start", "--backtest-end"])
def test_bad_date_exits_2_naming_the_option(tmp_path, option):
    result = invoke(
        "start",
        f"--strategy-file={ETH_USD_SMA}",
        "--execution-type=backtest",
        f"--state-file={tmp_path / 's.json'}",
        f"{option}=notadate",
    )
    assert_clean_error(result, option, "notadate")
    assert not (tmp_path / "s.json").exists()


def test_start_after_end_exits_2(tmp_path):
    result = invoke(
        "backtest",
        f"--strategy-file={ETH_USD_SMA}",
        "--backtest-start=2019-01-01",
        "--backtest-end=2018-01-01",
        f"--state-file={tmp_path / 's.json'}",
    )
    assert_clean_error(result, "--backtest-start", "--backtest-end")


@pytest.mark.parametrize("command", ["start", "backtest", "check-universe"])
def test_missing_strategy_file_exits_2_naming_the_path(tmp_path, command):
    missing = "strategies/does-not-exist.py"
    extra = ["--execution-type=backtest"] if command == "start" else []
    result = invoke(command, f"--strategy-file={missing}", *extra)
    assert_clean_error(result, missing)


def test_bad_time_frame_override_exits_2_naming_the_option(tmp_path):
    result = invoke(
        "backtest",
        f"--strategy-file={ETH_USD_SMA}",
        "--backtest-candle-time-frame-override=daily",
        f"--state-file={tmp_path / 's.json'}",
    )
    assert_clean_error(result, "--backtest-candle-time-frame-override", "daily")


# --- the API key is never shown ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ["hello"],
        ["--help"],
        ["start", "--help"],
        ["backtest", "--help"],
        ["start", f"--strategy-file={ETH_USD_SMA}", "--execution-type=backtest", "--log-level=debug", *SHORT],
        ["backtest", f"--strategy-file={ETH_USD_SMA}", "--log-level=debug", *SHORT],
        ["check-universe", f"--strategy-file={ETH_USD_SMA}", "--log-level=debug"],
        ["start", f"--strategy-file={ETH_USD_SMA}", "--execution-type=uniswap_v2_hot_wallet"],
        ["start", f"--strategy-file={ETH_USD_SMA}", "--execution-type=backtest", "--backtest-start=notadate"],
        ["start", "--strategy-file=strategies/does-not-exist.py", "--execution-type=backtest"],
        ["start", f"--strategy-file={ETH_USD_SMA}", "--execution-type=backtest", "--no-such-option"],
    ],
    ids=[
        "hello",
        "help",
        "start-help",
        "backtest-help",
        "start",
        "backtest",
        "check-universe",
        "live",
        "bad-date",
        "no-file",
        "bad-option",
    ],
)
@pytest.mark.parametrize("given_as", ["env", "option"])
def test_api_key_never_appears_in_any_output(tmp_path, args, given_as):
    env = {"STATE_FILE": str(tmp_path / "s.json")}
    if given_as == "env":
        env["TRADING_STRATEGY_API_KEY"] = API_KEY
    elif args[0] in ("start", "backtest") and "--help" not in args:
        args = [*args, f"--trading-strategy-api-key={API_KEY}"]
    result = invoke(*args, env=env)
    assert API_KEY not in result.output
    assert API_KEY[4:] not in result.output  # not even partly
    state_file = tmp_path / "s.json"
    if state_file.exists():
        assert API_KEY not in state_file.read_text()


def test_api_key_never_appears_in_a_real_run(tmp_path):
    state_file = tmp_path / "s.json"
    completed = run_program(
        "start",
        f"--strategy-file={ETH_USD_SMA}",
        "--execution-type=backtest",
        f"--state-file={state_file}",
        "--log-level=debug",
        *SHORT,
        env={"TRADING_STRATEGY_API_KEY": API_KEY},
    )
    assert completed.returncode == 0, completed.stderr
    assert API_KEY not in completed.stdout + completed.stderr
    assert API_KEY not in state_file.read_text()


# --- check-universe ----------------------------------------------------------------------------------


def test_check_universe_prints_the_latest_candle_its_age_and_the_gaps():
    result = invoke("check-universe", f"--strategy-file={ETH_USD_SMA}")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert re.fullmatch(r"Latest OHLCV candle is at: 2019-10-01 00:00:00, .+ ago", lines[0]), lines[0]
    assert "ETH-USDC: 17,512 candles of 1h, 4 gaps, 9 missing candles" in result.output
    gap_lines = [line.strip() for line in lines if line.strip().startswith("gap:")]
    assert gap_lines == ETH_GAPS


def test_check_universe_of_a_multi_pair_strategy_reports_each_pair():
    result = invoke("check-universe", "--strategy-file=strategies/eth-btc-momentum.py")
    assert result.exit_code == 0, result.output
    assert result.output.startswith("Latest OHLCV candle is at: 2019-10-01 00:00:00, ")
    assert "ETH-USDC: 17,512 candles of 1h, 4 gaps, 9 missing candles" in result.output
    assert "BTC-USDC: 17,514 candles of 1h, 4 gaps, 7 missing candles" in result.output
    for gap in ETH_GAPS:
        assert gap in result.output
