"""Dates are year-month-day only: 01/06/2018 is refused naming both readings, in every option, variable and parameter."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from trade_executor.cli.main import environment_variables

ETH = "strategies/eth-usd-sma.py"
SMOKE = ["--backtest-candle-time-frame-override=1d", "--backtest-stop-loss-time-frame-override=1d"]
GRID = "strategies/eth-usd-sma-grid.py"

# (arguments, environment, the name the message must use)
REFUSED = {
    "backtest --backtest-start": (["backtest", f"--strategy-file={ETH}", "--backtest-start=01/06/2018", *SMOKE], {}, "--backtest-start"),
    "start --backtest-end": (["start", f"--strategy-file={ETH}", "--execution-type=backtest", "--backtest-end=01/06/2018", *SMOKE], {}, "--backtest-end"),
    "BACKTEST_START": (["backtest", f"--strategy-file={ETH}", *SMOKE], {"BACKTEST_START": "01/06/2018"}, "BACKTEST_START"),
    "grid-search --backtest-start": (["grid-search", f"--strategy-file={GRID}", "--backtest-start=01/06/2018", "--workers=1"], {}, "--backtest-start"),
    "grid-search --walk-forward": (["grid-search", f"--strategy-file={GRID}", "--walk-forward=365,90", "--backtest-end=01/06/2018", "--workers=1"], {}, "--backtest-end"),
    "optimise --backtest-end": (["optimise", f"--strategy-file={GRID}", "--backtest-end=01/06/2018", "--trials=1"], {}, "--backtest-end"),
    "check-lookahead": (["check-lookahead", f"--strategy-file={ETH}", "--backtest-start=01/06/2018"], {}, "--backtest-start"),
    "replay --start": (["replay", f"--strategy-file={ETH}", "--start=01/06/2018", "--end=2018-07-01"], {}, "--start"),
    "REPLAY_END": (["replay", f"--strategy-file={ETH}", "--start=2018-06-01"], {"REPLAY_END": "01/06/2018"}, "REPLAY_END"),
    "devnet --start-date": (["devnet", "--start-date=01/06/2018", "--write-env-file=never.env"], {}, "--start-date"),
    "DEVNET_START_DATE": (["devnet", "--write-env-file=never.env"], {"DEVNET_START_DATE": "01/06/2018"}, "DEVNET_START_DATE"),
}


def run_briefly(te, args: list[str], env: dict, cwd) -> subprocess.CompletedProcess:
    """The command, stopped after a minute: a devnet or replay that accepted the date would run on (and this one failed)."""
    full_env = {k: v for k, v in os.environ.items() if k not in environment_variables()} | {"COLUMNS": "250", **env}
    try:
        return subprocess.run([str(Path(sys.executable).parent / "trade-executor"), *args], env=full_env, cwd=cwd, capture_output=True, text=True, timeout=60)
    except subprocess.TimeoutExpired as expired:
        pytest.fail(f"trade-executor {' '.join(args)} accepted the date and ran on: {expired.stderr!r:.2000}")


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_a_day_month_date_is_refused_naming_both_readings_and_the_fix(te, tmp_path, case):
    args, env, name = REFUSED[case]
    result = run_briefly(te, [a.replace("=strategies/", f"={te.REPO}/strategies/") for a in args], env, tmp_path)
    assert result.returncode == 2, result.stderr[-3000:]
    assert f"{name}=" in result.stderr and "2018-06-01" in result.stderr and "2018-01-06" in result.stderr, result.stderr[-3000:]
    assert "year-month-day" in result.stderr or "YYYY-MM-DD" in result.stderr
    assert "Traceback" not in result.stderr
    assert not any(tmp_path.iterdir()), "nothing is written"


def test_a_date_in_an_env_file_is_refused_with_its_file_and_line(te, tmp_path):
    env_file = tmp_path / "public.env"
    env_file.write_text("STRATEGY_FILE=strategies/eth-usd-sma.py\nBACKTEST_END=2019/06/30\n")
    result = te.run(f"--env-file={env_file}", "backtest", *SMOKE)
    assert result.returncode == 2, str(result)
    assert f"BACKTEST_END=2019/06/30 (in {env_file} line 2)" in result.stderr and "year-month-day" in result.stderr, str(result)


def test_a_strategy_parameter_date_is_refused_with_its_line(te, tmp_path):
    module = tmp_path / "dated.py"
    module.write_text((te.REPO / ETH).read_text().replace("class Parameters:\n", "class Parameters:\n    backtest_start = '06/01/2018'\n", 1))
    result = te.run("backtest", f"--strategy-file={module}", *SMOKE, cwd=tmp_path)
    assert result.returncode == 2, str(result)
    assert "dated.py:" in result.stderr and "2018-06-01" in result.stderr and "2018-01-06" in result.stderr, str(result)


def test_iso_dates_and_times_are_read_as_written(te, tmp_path):
    result = te.run("backtest", f"--strategy-file={te.REPO / ETH}", "--backtest-start=2018-06-01", "--backtest-end=2018-07-01T12:00", *SMOKE, cwd=tmp_path)
    assert result.returncode == 0, str(result)
    assert "from 2018-06-01 00:00:00 to 2018-07-01" in result.stdout, str(result)
