"""`trade-executor grid-search`, end to end: the real command in a subprocess, as a user runs it.

The searched strategy is a copy of strategies/eth-usd-sma.py whose SMA windows are lists. Each
combination's figures must be exactly those of a plain `backtest` of the same values, and an
interrupted search (SIGINT, as Ctrl-C sends) must keep what finished and run only the rest.
"""

from __future__ import annotations

import csv
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from trade_executor.cli.main import environment_variables
from trade_executor.reporting.summary import format_percent
from trade_executor.research.evaluate import METRICS, metrics_of
from trade_executor.runner.saved_backtest import load_backtest_state

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "strategies" / "eth-usd-sma.py"
WINDOW = ("--backtest-start=2018-01-01", "--backtest-end=2018-04-01")


def strategy(tmp_path: Path, fast: str, slow: str, name: str = "sma-grid.py") -> Path:
    source = EXAMPLE.read_text().replace("fast_sma: int = 24", f"fast_sma: int = {fast}").replace("slow_sma: int = 96", f"slow_sma: int = {slow}")
    path = tmp_path / name
    path.write_text(source)
    return path


def table_rows(stdout: str) -> list[list[str]]:
    lines = stdout.splitlines()
    header = next(i for i, line in enumerate(lines) if line.split()[:1] == ["#"])
    rows = []
    for line in lines[header + 1 :]:
        if not line.strip():
            break
        rows.append(line.split())
    return rows


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as file:
        return list(csv.DictReader(file))


def test_grid_search_ranks_every_combination_with_the_figures_of_plain_backtests(te, tmp_path):
    searched = strategy(tmp_path, "[12, 24]", "[48, 96]")
    csv_file, html_file = tmp_path / "out" / "grid.csv", tmp_path / "grid.html"
    result = te.run("grid-search", f"--strategy-file={searched}", "--workers=2", "--sort-by=return_pct", *WINDOW,
                    f"--csv={csv_file}", f"--html={html_file}", f"--cache-path={tmp_path / 'cache'}")
    assert result.returncode == 0, str(result)
    assert f"Grid search of sma-grid ({searched}): 4 combinations of fast_sma (2) x slow_sma (2)" in result.stdout
    assert "0 cached, 4 to run on 2 local worker process(es)" in result.stdout

    rows = read_csv(csv_file)
    returns = [float(row["return_pct"]) for row in rows]
    assert returns == sorted(returns, reverse=True) and len(set(returns)) == 4
    assert sorted((row["fast_sma"], row["slow_sma"]) for row in rows) == [("12", "48"), ("12", "96"), ("24", "48"), ("24", "96")]
    assert {(row["start"], row["end"]) for row in rows} == {("2018-01-01T00:00:00", "2018-04-01T00:00:00")}
    printed = table_rows(result.stdout)
    assert [row[:4] for row in printed] == [[row["rank"], row["fast_sma"], row["slow_sma"], format_percent(float(row["return_pct"]))] for row in rows]

    for row in (rows[0], rows[-1]):  # the best and the worst, each backtested on its own
        single = strategy(tmp_path, row["fast_sma"], row["slow_sma"], name=f"single-{row['fast_sma']}-{row['slow_sma']}.py")
        state_file = tmp_path / f"{single.stem}.json"
        plain = te.run("backtest", f"--strategy-file={single}", f"--state-file={state_file}", *WINDOW)
        summary = te.assert_complete_summary(plain)
        expected = metrics_of(load_backtest_state(state_file, single))
        assert {m: row[m] for m in METRICS} == {m: repr(expected[m]) for m in METRICS}  # every figure, to the last bit
        assert summary["Return %"] == format_percent(float(row["return_pct"]))
        assert summary["Total trades done"] == str(int(float(row["trades"])))

    page = html_file.read_text()
    assert 'id="heatmap"' in page and "Plotly.newPlot" in page and '"type":"heatmap"' in page
    assert not re.search(r"<script[^>]+src=", page)  # plotly.js embedded: the page opens offline
    assert page.count("<tr>") == 5


def test_a_plain_backtest_of_a_search_space_is_refused(te, tmp_path):
    searched = strategy(tmp_path, "[12, 24]", "96")
    result = te.run("backtest", f"--strategy-file={searched}", f"--state-file={tmp_path / 's.json'}")
    assert result.returncode == 2, str(result)
    assert "Parameters.fast_sma is a search space [12, 24], but a backtest or live run needs one value" in result.stderr
    assert f"`trade-executor grid-search --strategy-file={searched}`" in result.stderr
    assert not (tmp_path / "s.json").exists()


def test_a_grid_search_needs_a_search_space_and_a_known_metric(te, tmp_path):
    result = te.run("grid-search", f"--strategy-file={EXAMPLE}", f"--cache-path={tmp_path}")
    assert result.returncode == 2, str(result)
    assert "class Parameters gives no list of values to search" in result.stderr and "fast_sma: int = [12, 24, 48]" in result.stderr
    result = te.run("grid-search", f"--strategy-file={strategy(tmp_path, '[12, 24]', '96')}", "--sort-by=sharp", f"--cache-path={tmp_path}")
    assert result.returncode == 2, str(result)
    assert "--sort-by='sharp' is not a metric. Use one of: return_pct, cagr, max_drawdown, sharpe," in result.stderr


def test_every_option_reads_an_environment_variable(te, tmp_path):
    text = " ".join(te.run("grid-search", "--help").stdout.split())
    for variable in ("STRATEGY_FILE", "GRID_WORKERS", "GRID_SORT_BY", "GRID_CSV", "GRID_HTML", "DASK_SCHEDULER", "BACKTEST_START", "BACKTEST_END", "CACHE_PATH", "GRID_NO_CACHE", "LOG_LEVEL"):
        assert f"env var: {variable}" in text, variable


def cached_files(folder: Path) -> dict[str, int]:
    return {p.name: p.stat().st_mtime_ns for p in folder.glob("*.json")} if folder.is_dir() else {}


def test_ctrl_c_keeps_finished_results_and_a_rerun_runs_only_the_missing_ones(te, tmp_path):
    searched = strategy(tmp_path, "[6, 12, 18, 24]", "[48, 72, 96, 120]")
    args = ["grid-search", f"--strategy-file={searched}", f"--cache-path={tmp_path / 'cache'}", "--backtest-start=2018-01-01", "--backtest-end=2019-01-01"]
    folder = tmp_path / "cache" / "grid-search" / "sma-grid"
    env = {k: v for k, v in os.environ.items() if k not in environment_variables()} | {"PYTHONUNBUFFERED": "1", "COLUMNS": "250"}
    process = subprocess.Popen([str(Path(sys.executable).parent / "trade-executor"), *args, "--workers=1"], cwd=REPO, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while not cached_files(folder) and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)  # polling the cache folder, not waiting for a guessed time
        assert process.poll() is None, "the search finished before it could be interrupted"
        process.send_signal(signal.SIGINT)
        stdout, stderr = process.communicate(timeout=60)
    finally:
        process.kill()
    assert process.returncode == 130, f"{stdout}\n{stderr}"
    assert "Interrupted; finished results are saved in" in stderr and "Traceback" not in stderr
    kept = cached_files(folder)
    assert 1 <= len(kept) < 16
    assert [p.name for p in folder.iterdir() if not p.name.endswith(".json")] == []  # no half-written file

    rerun = te.run(*args, "--workers=2")
    assert rerun.returncode == 0, str(rerun)
    assert f"{len(kept)} cached, {16 - len(kept)} to run on 2 local worker process(es)" in rerun.stdout
    assert re.search(rf"Ran {16 - len(kept)} backtest\(s\) in [0-9.]+ s, {len(kept)} from the cache; best sharpe first:", rerun.stdout)
    assert len(table_rows(rerun.stdout)) == 16
    after = cached_files(folder)
    assert len(after) == 16 and {name: after[name] for name in kept} == kept  # finished results were not run again

    again = te.run(*args)
    assert "16 cached, 0 to run" in again.stdout and table_rows(again.stdout) == table_rows(rerun.stdout)


@pytest.fixture(autouse=True)
def _no_ci_progress_bar(monkeypatch):
    monkeypatch.setenv("CI", "true")


def test_dask_scheduler_option_gives_the_figures_of_local_backtests(te, tmp_path):
    from distributed import LocalCluster

    from trade_executor.research.evaluate import Evaluator, Job

    searched = strategy(tmp_path, "[12, 24]", "[48]")
    dask_csv = tmp_path / "dask.csv"
    with LocalCluster(n_workers=2, processes=True, threads_per_worker=1, host="127.0.0.1", dashboard_address="127.0.0.1:0", scheduler_kwargs={"dashboard": False}) as cluster:
        on_dask = te.run("grid-search", f"--strategy-file={searched}", "--no-cache", *WINDOW, f"--csv={dask_csv}", env={"DASK_SCHEDULER": cluster.scheduler_address})
    assert on_dask.returncode == 0, str(on_dask)
    assert f"0 cached, 2 to run on Dask cluster {cluster.scheduler_address}" in on_dask.stdout
    assert not (tmp_path / "cache").exists() and not (REPO / "cache" / "grid-search" / "sma-grid").exists()  # --no-cache writes nothing
    evaluator = Evaluator(searched)
    for row in read_csv(dask_csv):
        expected = evaluator.run(Job.of({"fast_sma": int(row["fast_sma"]), "slow_sma": 48}, row["start"], row["end"])).metrics
        assert {m: row[m] for m in METRICS} == {m: repr(expected[m]) for m in METRICS}
