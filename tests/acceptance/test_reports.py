"""Backtest reports through the real command: `--html-report`, `--csv-report`, `report`, the progress bar.

A three-month window of the ETH SMA example keeps each run to a couple of seconds while it
still enters, exits and hits stop losses.
"""

from __future__ import annotations

import csv
import os
import re
import select
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from trade_executor.runner.saved_backtest import load_backtest_state
from trade_executor.state import JSONFileStore, TradeType

WINDOW = ["--strategy-file=strategies/eth-usd-sma.py", "--backtest-start=2018-01-01", "--backtest-end=2018-03-31"]


def without_generated_time(html: str) -> str:
    return re.sub(r"Report generated [^;]+;", "", html)


def test_backtest_writes_both_reports_and_report_rebuilds_them_from_the_state(te, tmp_path):
    state_file = tmp_path / "state.json"
    first = te.run(
        "backtest",
        *WINDOW,
        f"--state-file={state_file}",
        f"--html-report={tmp_path / 'report.html'}",
        f"--csv-report={tmp_path / 'csv'}",
    )
    te.assert_complete_summary(first)
    assert re.search(rf"HTML report written to {re.escape(str(tmp_path / 'report.html'))} \(\d\.\d MB\)", first.stdout), first
    assert f"CSV report written to {tmp_path / 'csv' / 'trades.csv'}, {tmp_path / 'csv' / 'equity.csv'}" in first.stdout

    state = JSONFileStore(state_file).load()
    positions = state.portfolio.get_all_positions()
    with (tmp_path / "csv" / "trades.csv").open() as f:
        trades = list(csv.DictReader(f))
    assert [int(row["position_id"]) for row in trades] == [p.position_id for p in positions]
    closed = [p for p in positions if not p.is_open()]
    assert [Decimal(row["profit"]) for row in trades[: len(closed)]] == [p.get_realised_profit() for p in closed]
    assert [row["reason"] for row in trades].count("stop_loss") == sum(p.closed_by() is TradeType.stop_loss for p in closed) == 6
    with (tmp_path / "csv" / "equity.csv").open() as f:
        equity = list(csv.DictReader(f))
    assert len(equity) == state.backtest.cycles == 2137
    assert len(state.stats) == 0  # the file holds the curve as segments between trades ...
    state = load_backtest_state(state_file, te.REPO / "strategies" / "eth-usd-sma.py")  # ... rebuilt from the candles
    assert [float(row["total_equity"]) for row in equity] == state.stats.total_equity

    again = te.run(
        "report", f"--state-file={state_file}", f"--html-report={tmp_path / 'again.html'}", f"--csv-report={tmp_path / 'again'}"
    )
    assert again.returncode == 0, again
    for name in ("trades.csv", "equity.csv"):
        assert (tmp_path / "again" / name).read_bytes() == (tmp_path / "csv" / name).read_bytes()
    # The same charts: the command reloaded the strategy's candles and indicators as the backtest saw them.
    assert without_generated_time((tmp_path / "again.html").read_text()) == without_generated_time(
        (tmp_path / "report.html").read_text()
    )


def test_start_reads_the_report_paths_from_the_environment(te, tmp_path):
    result = te.run(
        "start", "--execution-type=backtest", *WINDOW, f"--state-file={tmp_path / 'state.json'}",
        env={"HTML_REPORT": str(tmp_path / "env.html"), "CSV_REPORT": str(tmp_path / "env-csv")},
    )  # fmt: skip

    te.assert_complete_summary(result)
    assert (tmp_path / "env.html").read_text().startswith("<!DOCTYPE html>")
    assert (tmp_path / "env-csv" / "trades.csv").exists() and (tmp_path / "env-csv" / "equity.csv").exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--state-file=state/eth-usd-sma-backtest.json"],
            "Error: Nothing to write: give --html-report=FILE (HTML_REPORT) and/or --csv-report=DIR (CSV_REPORT).",
        ),
        (
            ["--state-file=state/no-such.json", "--csv-report=/tmp/x"],
            "Error: State file state/no-such.json does not exist: run the backtest first",
        ),
    ],
)
def test_report_input_errors_name_the_fix(te, args, message):
    result = te.run("report", *args)

    assert result.returncode == 2, result
    assert message in result.stderr and "Traceback" not in result.stderr


def test_report_tells_when_the_strategy_file_is_gone(te, tmp_path):
    state_file = tmp_path / "state.json"
    assert te.run("backtest", *WINDOW, f"--state-file={state_file}").returncode == 0
    store = JSONFileStore(state_file)
    state = store.load()
    state.backtest.strategy_file = "strategies/renamed.py"
    store.save(state)

    result = te.run("report", f"--state-file={state_file}", f"--html-report={tmp_path / 'r.html'}")

    assert result.returncode == 2, result
    assert (
        f"Error: Strategy file strategies/renamed.py (recorded in {state_file}) does not exist: pass --strategy-file=PATH"
        in result.stderr
    )


def test_no_progress_bar_when_stderr_is_not_a_terminal(te, tmp_path):
    result = te.run("backtest", *WINDOW, f"--state-file={tmp_path / 'state.json'}")

    assert result.returncode == 0, result
    assert "cycles/s" not in result.stderr and "\r" not in result.stderr and "\x1b" not in result.stderr
    assert result.stderr == ""


def test_progress_bar_on_a_terminal(te, tmp_path):
    """stderr on a pseudo-terminal, CI unset: the bar draws; stdout (a pipe) is the usual summary."""
    master, slave = os.openpty()
    env = {k: v for k, v in os.environ.items() if k not in ("CI", "STATE_FILE", "HTML_REPORT", "CSV_REPORT")}
    env.update({"COLUMNS": "120", "NO_COLOR": "1"})
    with subprocess.Popen(
        [str(Path(sys.executable).parent / "trade-executor"), "backtest", *WINDOW, f"--state-file={tmp_path / 'state.json'}"],
        cwd=te.REPO, env=env, stdout=subprocess.PIPE, stderr=slave, text=True,
    ) as process:  # fmt: skip
        os.close(slave)
        shown = []
        while True:  # drain the terminal until the child closes it
            ready = select.select([master], [], [], 60)[0]
            try:
                chunk = os.read(master, 65536) if ready else b""
            except OSError:  # EIO: the child exited and closed its end
                chunk = b""
            if not chunk:
                break
            shown.append(chunk)
        stdout = process.stdout.read()
    os.close(master)
    terminal = b"".join(shown).decode("utf-8", "replace")

    assert process.returncode == 0, terminal
    assert "Backtest" in terminal and "cycles/s" in terminal and "2018-01-01 →" in terminal
    assert "Ran 2,137 cycles" in stdout
