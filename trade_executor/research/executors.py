"""Where the jobs of a parameter search run: local worker processes, or a Dask cluster.

Both prepare one Evaluator per worker (the strategy module loaded there once). Local workers
build each window's universe themselves, from the files this machine has; on Dask the client
builds it once and ships it to each worker once, so a remote worker needs no data files. Both
hand each finished Result to ``on_result`` in the calling process as it arrives, and on Ctrl-C
cancel what is pending, report what finished, and re-raise.
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
import multiprocessing
import os
import pickle
import signal
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from trade_executor.market.universe import TradingUniverse
from trade_executor.research.evaluate import Evaluator, Job, Result, universe_fingerprint

OnResult = Callable[[Result], None] | None

_worker_evaluator: Evaluator | None = None


def default_workers() -> int:
    return os.cpu_count() or 1


@contextmanager
def make_executor(
    strategy_file: Path, workers: int | None = None, dask_scheduler: str | None = None, cluster=None, evaluator: Evaluator | None = None
) -> Iterator[LocalExecutor | DaskExecutor]:
    """A started executor: Dask when given a scheduler address or a cluster, else local processes.

    ``evaluator`` (of the same strategy file) spares a Dask client loading the strategy and its data again.
    """
    if dask_scheduler or cluster is not None:
        executor: LocalExecutor | DaskExecutor = DaskExecutor(strategy_file, dask_scheduler, cluster, evaluator)
    else:
        executor = LocalExecutor(strategy_file, workers or default_workers())
    try:
        yield executor
    finally:
        executor.close()


# --- local processes --------------------------------------------------------------------------


def _init_worker(strategy_file: str) -> None:
    """Runs once in each worker process: Ctrl-C is the parent's to handle; the strategy loads once."""
    global _worker_evaluator
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _worker_evaluator = Evaluator(Path(strategy_file))


def _run_in_worker(job: Job) -> Result:
    assert _worker_evaluator is not None, "worker started without its Evaluator"
    return _worker_evaluator.run(job)


class LocalExecutor:
    """A pool of worker processes on this machine (forkserver: no fork of a threaded parent)."""

    def __init__(self, strategy_file: Path, workers: int):
        self.workers = max(1, int(workers))
        self.description = f"{self.workers} local worker process(es)"
        context = multiprocessing.get_context("forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn")
        if context.get_start_method() == "forkserver":
            context.set_forkserver_preload(["trade_executor.research.evaluate"])
        self.pool = concurrent.futures.ProcessPoolExecutor(self.workers, mp_context=context, initializer=_init_worker, initargs=(str(strategy_file),))

    def run(self, jobs: Iterable[Job], on_result: OnResult = None) -> list[Result]:
        jobs = list(jobs)
        futures = {self.pool.submit(_run_in_worker, job): i for i, job in enumerate(jobs)}
        results: list[Result | None] = [None] * len(jobs)
        reported: set[concurrent.futures.Future] = set()
        try:
            for future in concurrent.futures.as_completed(futures):
                results[futures[future]] = future.result()
                reported.add(future)
                if on_result:
                    on_result(future.result())
        except BaseException:
            self._stop()
            for future in futures:
                if future not in reported and future.done() and not future.cancelled() and future.exception() is None and on_result:
                    on_result(future.result())
            raise
        return [r for r in results if r is not None]

    def _stop(self) -> None:
        """Cancel what has not started and end the workers now, rather than after their current job."""
        processes = list(getattr(self.pool, "_processes", {}).values())
        self.pool.shutdown(wait=False, cancel_futures=True)
        for process in processes:
            process.terminate()

    def close(self) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)


# --- Dask --------------------------------------------------------------------------------------

PLUGIN_NAME = "trade-executor-evaluator"

#: Worker diagnostics that sample the task thread's stack every 10 ms from the event loop thread;
#: on our CPU-bound backtests the GIL hand-offs cost about a fifth of each job's time.
_PROFILER_CALLBACKS = ("profile", "profile-cycle")


class ShippedUniverse:
    """A universe the client built, scattered to every worker once; ``arrivals`` counts its unpickling here."""

    arrivals = 0

    def __init__(self, universe: TradingUniverse):
        self.universe = universe

    def __getstate__(self) -> dict:
        # Without the arrays the universe derives on first use: they would double the bytes shipped.
        return {"universe": dataclasses.replace(self.universe, _arrays={}, _stop_loss_arrays={})}

    def __setstate__(self, state: dict) -> None:
        type(self).arrivals += 1
        self.__dict__.update(state)


def _evaluator_plugin(strategy_file: Path):
    from distributed.diagnostics.plugin import WorkerPlugin

    class EvaluatorPlugin(WorkerPlugin):
        """Ships the strategy source to each worker once and loads it there; the data comes apart, scattered."""

        name = PLUGIN_NAME

        def __init__(self, path: str, source: bytes):
            self.path, self.source, self.evaluator = path, source, None
            self.paused: list[str] = []

        def setup(self, worker) -> None:
            path = Path(self.path)
            if not path.is_file() or path.read_bytes() != self.source:
                path = Path(worker.local_directory) / path.name
                path.write_bytes(self.source)
            self.evaluator = Evaluator(path)
            self.paused = [name for name in _PROFILER_CALLBACKS if name in worker.periodic_callbacks and worker.periodic_callbacks[name].is_running()]
            for name in self.paused:
                worker.periodic_callbacks[name].stop()

        def teardown(self, worker) -> None:
            for name in self.paused:
                worker.periodic_callbacks[name].start()

    return EvaluatorPlugin(str(Path(strategy_file).resolve()), Path(strategy_file).read_bytes())


def _run_on_dask_worker(job: Job, shipped: ShippedUniverse) -> Result:
    from distributed import get_worker

    evaluator = get_worker().plugins[PLUGIN_NAME].evaluator
    evaluator.use_universe(job.start, job.end, shipped.universe)
    return evaluator.run(job)


class DaskExecutor:
    """The same jobs on a dask.distributed cluster (a scheduler address, or a cluster object).

    The client builds each backtest window's universe once and scatters it to every worker once;
    tasks refer to it, so no worker reads data files and no task carries the data.
    """

    def __init__(self, strategy_file: Path, scheduler: str | None = None, cluster=None, evaluator: Evaluator | None = None):
        from distributed import Client

        self.evaluator = evaluator if evaluator is not None else Evaluator(strategy_file)
        self.client = Client(cluster if cluster is not None else scheduler, set_as_default=False)
        self.client.register_plugin(_evaluator_plugin(strategy_file), name=PLUGIN_NAME)
        self.description = f"Dask cluster {self.client.scheduler.address}"
        self._shipped: dict[tuple[str | None, str | None], object] = {}
        self._by_fingerprint: dict[str, object] = {}
        self.shipped_bytes = 0  # pickled universe bytes sent, over all workers

    def _universe_on_workers(self, start: str | None, end: str | None):
        """The future of a window's universe, built here and broadcast on first use.

        Windows whose universes hold the same data (a strategy that ignores the window, as in
        most walk-forward runs) share one copy on the workers.
        """
        window = (start, end)
        if window not in self._shipped:
            universe = self.evaluator.universe(start, end)
            fingerprint = universe_fingerprint(universe)
            if fingerprint not in self._by_fingerprint:
                shipped = ShippedUniverse(universe)
                self._by_fingerprint[fingerprint] = self.client.scatter(shipped, broadcast=True, hash=False)
                self.shipped_bytes += len(pickle.dumps(shipped, protocol=pickle.HIGHEST_PROTOCOL)) * len(self.client.nthreads())
            self._shipped[window] = self._by_fingerprint[fingerprint]
        return self._shipped[window]

    def run(self, jobs: Iterable[Job], on_result: OnResult = None) -> list[Result]:
        from distributed import as_completed

        jobs = list(jobs)
        universes = [self._universe_on_workers(job.start, job.end) for job in jobs]
        futures = self.client.map(_run_on_dask_worker, jobs, universes, pure=False)
        index = {future.key: i for i, future in enumerate(futures)}
        results: list[Result | None] = [None] * len(jobs)
        reported: set[str] = set()
        try:
            for future in as_completed(futures, loop=self.client.loop):
                result = future.result()
                results[index[future.key]] = result
                reported.add(future.key)
                if on_result:
                    on_result(result)
        except BaseException:
            self.client.cancel([f for f in futures if not f.done()])
            for future in futures:
                if future.key not in reported and future.status == "finished" and on_result:
                    on_result(future.result())
            raise
        return [r for r in results if r is not None]

    def close(self) -> None:
        """Take our plugin off the workers (their profiler back on, the strategy and data freed), then disconnect."""
        try:
            if self.client.status == "running":
                self.client.unregister_worker_plugin(PLUGIN_NAME)
        finally:
            self.client.close()
