"""`trade-executor optimise` and `--walk-forward`, end to end: the real command in a subprocess.

The strategy is tests/strategies/sma_search_space.py (15 combinations of two SMA windows) on
short windows of the embedded hourly ETH data. Figures the commands print or write are checked
against backtests of the same combinations run here, directly.
"""

from __future__ import annotations

import csv
import math
from pathlib import Path

import pytest

from trade_executor.reporting.summary import format_percent
from trade_executor.research.evaluate import METRICS, Evaluator, Job, expand_grid, search_space

REPO = Path(__file__).resolve().parents[2]
STRATEGY = "tests/strategies/sma_search_space.py"
WINDOW = ("--backtest-start=2018-01-01", "--backtest-end=2018-03-31")


@pytest.fixture(scope="module")
def evaluator() -> Evaluator:
    return Evaluator(REPO / STRATEGY)


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as file:
        return list(csv.DictReader(file))


def metrics(row: dict[str, str], prefix: str = "") -> dict[str, float]:
    return {name: float(row[prefix + name]) for name in METRICS}


def same(a: dict[str, float], b: dict[str, float]) -> bool:
    return a.keys() == b.keys() and all(x == b[k] or (math.isnan(x) and math.isnan(b[k])) for k, x in a.items())


def job_of(row: dict[str, str], start: str, end: str) -> Job:
    return Job.of({"fast_sma": int(row["fast_sma"]), "slow_sma": int(row["slow_sma"])}, start, end)


def test_optimise_with_a_seed_repeats_its_trials_and_best_and_another_seed_searches_differently(te, tmp_path, evaluator):
    first_csv, again_csv, other_csv = tmp_path / "first.csv", tmp_path / "again.csv", tmp_path / "other.csv"
    first = te.run("optimise", f"--strategy-file={STRATEGY}", "--trials=12", "--seed=42", "--workers=2", *WINDOW, f"--csv={first_csv}", "--no-cache")
    again = te.run("optimise", env={  # the same search, given through the environment
        "STRATEGY_FILE": STRATEGY, "OPTIMISE_TRIALS": "12", "OPTIMISE_SEED": "42", "OPTIMISE_WORKERS": "2", "OPTIMISE_OBJECTIVE": "sharpe",
        "BACKTEST_START": "2018-01-01", "BACKTEST_END": "2018-03-31", "OPTIMISE_CSV": str(again_csv), "OPTIMISE_NO_CACHE": "1",
    })
    other = te.run("optimise", f"--strategy-file={STRATEGY}", "--trials=12", "--seed=7", "--workers=2", *WINDOW, f"--csv={other_csv}", "--no-cache")

    for result in (first, again, other):
        assert result.returncode == 0, str(result)
        assert result.stderr == "", str(result)  # no Optuna chatter, no progress bar when not on a terminal
    assert first_csv.read_text() == again_csv.read_text()
    assert first.stdout.replace(str(first_csv), "X") == again.stdout.replace(str(again_csv), "X")
    trials = read_csv(first_csv)
    assert [row["trial"] for row in trials] == [str(n) for n in range(1, 13)]
    assert [(r["fast_sma"], r["slow_sma"]) for r in trials] != [(r["fast_sma"], r["slow_sma"]) for r in read_csv(other_csv)]

    lines = first.stdout.splitlines()
    assert lines[:5] == [
        f"Optimise sma_search_space ({STRATEGY}): 12 TPE trials, seed 42, maximize sharpe",
        "Search space of 15 combinations:",
        "  fast_sma: integers 6..30 step 6 (ordered, 5 values)",
        "  slow_sma: choices 48, 72, 120 (unordered)",
        "Trials asked in batches of 2, run on 2 local worker process(es)",
    ]
    best = max(trials, key=lambda row: float(row["sharpe"]))  # max() keeps the earliest of equal values
    assert f"Best sharpe: trial {best['trial']}, fast_sma={best['fast_sma']}, slow_sma={best['slow_sma']}" in lines
    direct = evaluator.run(job_of(best, "2018-01-01T00:00:00", "2018-03-31T00:00:00"))
    assert same(direct.metrics, metrics(best))
    distinct = {(r["fast_sma"], r["slow_sma"]) for r in trials}
    assert f"Ran 12 trials: {len(distinct)} distinct combinations ({len(distinct)} backtested, 0 from the cache), {12 - len(distinct)} repeated ones" in lines


def window_rows(stdout: str) -> list[list[str]]:
    lines = stdout.splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("#  train"))
    rows = []
    for line in lines[header + 1 :]:
        if not line.strip():
            break
        rows.append(line.split("  "))
    return rows


def test_grid_search_walk_forward_tests_each_windows_in_sample_best_on_the_next_window(te, tmp_path, evaluator):
    out = tmp_path / "windows.csv"
    through_march = ("--backtest-start=2018-01-01", "--backtest-end=2018-03-31 23:00")  # the last cycle: 90 days in all
    result = te.run("grid-search", f"--strategy-file={STRATEGY}", "--walk-forward=30,15", "--sort-by=return_pct", "--workers=2", *through_march,
                    f"--csv={out}", f"--cache-path={tmp_path / 'cache'}")

    assert result.returncode == 0, str(result)
    assert result.stdout.splitlines()[0] == (
        f"Walk-forward of sma_search_space ({STRATEGY}): 4 window(s) of 30 training days then 15 test days, from 2018-01-01 to 2018-03-31 23:00; "
        "grid search of 15 combinations on each training window, best return_pct (maximize)"
    )
    windows = read_csv(out)
    assert [(w["train_start"], w["train_end"], w["test_start"], w["test_end"]) for w in windows] == [
        ("2018-01-01T00:00:00", "2018-01-30T23:59:59", "2018-01-31T00:00:00", "2018-02-14T23:59:59"),
        ("2018-01-16T00:00:00", "2018-02-14T23:59:59", "2018-02-15T00:00:00", "2018-03-01T23:59:59"),
        ("2018-01-31T00:00:00", "2018-03-01T23:59:59", "2018-03-02T00:00:00", "2018-03-16T23:59:59"),
        ("2018-02-15T00:00:00", "2018-03-16T23:59:59", "2018-03-17T00:00:00", "2018-03-31T23:59:59"),
    ]
    growth = 1.0
    for window, printed in zip(windows, window_rows(result.stdout), strict=True):
        grid = [evaluator.run(job) for job in expand_grid(search_space(REPO / STRATEGY), window["train_start"], window["train_end"])]
        best = max(grid, key=lambda r: r.metrics["return_pct"])
        assert (int(window["fast_sma"]), int(window["slow_sma"])) == (best.job.as_dict()["fast_sma"], best.job.as_dict()["slow_sma"])
        assert same(metrics(window, "in_"), best.metrics)
        tested = evaluator.run(job_of(window, window["test_start"], window["test_end"]))
        assert same(metrics(window, "out_"), tested.metrics)
        assert window["tried"] == "15"
        assert [cell.strip() for cell in printed if cell.strip()][3:6] == [
            best.job.describe(), format_percent(best.metrics["return_pct"]), format_percent(tested.metrics["return_pct"])
        ]
        growth *= 1 + tested.metrics["return_pct"]
    assert f"Out-of-sample return, test windows chained: {format_percent(growth - 1)}" in result.stdout.splitlines()

    rerun = te.run("grid-search", f"--strategy-file={STRATEGY}", "--walk-forward=30,15", "--sort-by=return_pct", "--workers=2", *through_march,
                   f"--cache-path={tmp_path / 'cache'}")
    assert "Ran 0 backtest(s), 64 from the cache" in rerun.stdout.splitlines()
    assert window_rows(rerun.stdout) == window_rows(result.stdout)


def test_optimise_walk_forward_chooses_among_its_trials_and_reports_both_samples(te, tmp_path, evaluator):
    out = tmp_path / "windows.csv"
    result = te.run("optimise", f"--strategy-file={STRATEGY}", "--walk-forward=45,30", "--trials=6", "--seed=3", "--workers=2", *WINDOW,
                    f"--csv={out}", "--no-cache")

    assert result.returncode == 0, str(result)
    windows = read_csv(out)
    assert [(w["train_start"][:10], w["test_start"][:10], w["test_end"][:10]) for w in windows] == [("2018-01-01", "2018-02-15", "2018-03-16")]
    window = windows[0]
    assert same(metrics(window, "in_"), evaluator.run(job_of(window, window["train_start"], window["train_end"])).metrics)
    assert same(metrics(window, "out_"), evaluator.run(job_of(window, window["test_start"], window["test_end"])).metrics)
    assert 1 <= int(window["tried"]) <= 6
    lines = result.stdout.splitlines()
    assert any(line.startswith("Mean sharpe: in sample ") and "; out/in " in line for line in lines)
    assert any(line.startswith("Mean return per day: in sample ") for line in lines)


@pytest.mark.parametrize("command", ["grid-search", "optimise"])
def test_bad_walk_forward_windows_are_refused_before_any_backtest(te, command):
    one_number = te.run(command, f"--strategy-file={STRATEGY}", "--walk-forward=30")
    too_long = te.run(command, f"--strategy-file={STRATEGY}", "--walk-forward=365,90", *WINDOW)

    assert (one_number.returncode, one_number.stdout, one_number.stderr) == (
        2, "", "Error: --walk-forward='30' is not train_days,test_days. Give two whole numbers of days, training then testing, e.g. --walk-forward 365,90.\n"
    )
    assert (too_long.returncode, too_long.stdout) == (2, "")
    assert too_long.stderr == (
        "Error: --walk-forward=365,90 needs at least 455 days of history, but the backtest period 2018-01-01 to 2018-03-31 has 89 days. "
        "Use shorter windows, or a longer period (--backtest-start/--backtest-end, or the strategy's data).\n"
    )
