"""The same jobs give exactly the same results in this process, in local worker processes and on Dask."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

from trade_executor.research.evaluate import Evaluator, expand_grid
from trade_executor.research.executors import make_executor

REPO = Path(__file__).resolve().parents[3]
STRATEGY = REPO / "strategies" / "eth-usd-sma.py"
JOBS = expand_grid({"fast_sma": [12, 24], "slow_sma": [48, 96]}, "2018-01-01T00:00:00", "2018-04-01T00:00:00")


@pytest.fixture(scope="module")
def in_process():
    evaluator = Evaluator(STRATEGY)
    return [evaluator.run(job) for job in JOBS]


def test_in_process_results_are_the_strategy_backtested_with_each_combination(in_process):
    assert [r.job.as_dict() for r in in_process] == [{"fast_sma": 12, "slow_sma": 48}, {"fast_sma": 12, "slow_sma": 96}, {"fast_sma": 24, "slow_sma": 48}, {"fast_sma": 24, "slow_sma": 96}]
    assert len({r.metrics["final_equity"] for r in in_process}) == 4  # four different backtests, not one four times


def run_collecting(executor):
    heard = []

    def on_result(result):
        heard.append((result, threading.get_ident(), os.getpid()))

    results = executor.run(JOBS, on_result=on_result)
    assert {(thread, pid) for _, thread, pid in heard} == {(threading.get_ident(), os.getpid())}  # told in the calling thread
    assert sorted(r.job.describe() for r, _, _ in heard) == sorted(job.describe() for job in JOBS)
    return results


def test_local_worker_processes_give_the_same_results(in_process):
    with make_executor(STRATEGY, workers=2) as executor:
        assert run_collecting(executor) == in_process


def test_dask_local_cluster_gives_the_same_results(in_process):
    from distributed import LocalCluster

    with LocalCluster(n_workers=2, processes=True, threads_per_worker=1, host="127.0.0.1", dashboard_address="127.0.0.1:0", scheduler_kwargs={"dashboard": False}) as cluster:
        with make_executor(STRATEGY, cluster=cluster) as executor:
            assert run_collecting(executor) == in_process
            counts = executor.client.run(_counts)
            assert len(counts) == 2 and sum(jobs for jobs, _, _ in counts.values()) == 4
        with make_executor(STRATEGY, dask_scheduler=cluster.scheduler_address) as executor:
            assert executor.run(JOBS[:1]) == in_process[:1]


def test_dask_workers_get_the_data_from_the_client_once_and_read_no_data_files(in_process):
    from distributed import LocalCluster

    with LocalCluster(n_workers=2, processes=True, threads_per_worker=1, host="127.0.0.1", dashboard_address="127.0.0.1:0", scheduler_kwargs={"dashboard": False}) as cluster:
        with make_executor(STRATEGY, cluster=cluster) as executor:
            assert executor.run(JOBS) == in_process
            assert executor.run(list(reversed(JOBS))) == list(reversed(in_process))  # a second batch ships nothing new
            counts = executor.client.run(_counts)
            assert sum(jobs for jobs, _, _ in counts.values()) == 8
            assert [(builds, arrivals) for _, builds, arrivals in counts.values()] == [(0, 1), (0, 1)]  # no worker built it; each received it once
            assert executor.evaluator.universe_builds == 1  # the client built it, once
            assert 0 < executor.shipped_bytes < 2 * 1_000_000  # the embedded hourly ETH candles, to each of 2 workers
            other_window = expand_grid({"fast_sma": [12]}, "2018-02-01T00:00:00", "2018-03-01T00:00:00")
            assert executor.run(other_window) == [Evaluator(STRATEGY).run(other_window[0])]
            assert [arrivals for _, _, arrivals in executor.client.run(_counts).values()] == [1, 1]  # the same data is not shipped again for another window


def _counts(dask_worker) -> tuple[int, int, int]:
    """(jobs run, universes built, universes received) on one worker."""
    from trade_executor.research.executors import PLUGIN_NAME, ShippedUniverse

    evaluator = dask_worker.plugins[PLUGIN_NAME].evaluator
    return evaluator.jobs_run, evaluator.universe_builds, ShippedUniverse.arrivals


def test_a_strategy_error_names_the_combination_that_raised_it(tmp_path):
    from trade_executor.errors import StrategyRuntimeError

    source = STRATEGY.read_text().replace("fast_sma: int = 24", "fast_sma: int = [12, 24]")
    source = source.replace("    indicators = input.indicators\n", "    if input.parameters.fast_sma == 24:\n        raise ZeroDivisionError('boom')\n    indicators = input.indicators\n", 1)
    path = tmp_path / "fragile.py"
    path.write_text(source)
    evaluator = Evaluator(path)
    assert evaluator.run(JOBS[0]).metrics["trades"] >= 0
    with pytest.raises(StrategyRuntimeError, match=r"^with fast_sma=24, slow_sma=48: decide_trades raised ZeroDivisionError at .*fragile.py:41 .*: boom$"):
        evaluator.run(JOBS[2])
