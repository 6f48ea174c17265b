"""Plumbing shared by `optimise` and walk-forward runs: one executor kept open, the result cache, a progress bar."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path

from trade_executor.reporting.progress import progress_wanted
from trade_executor.research.cache import ResultCache
from trade_executor.research.evaluate import Evaluator, Job, Result
from trade_executor.research.grid import missing_jobs


class JobRunner:
    """Runs batches of jobs on one executor, started on the first job the cache does not hold.

    Searches that ask in many small batches (Optuna, walk-forward) pay for the workers once.
    Results come back in the order of the jobs; each new one is cached as it arrives.
    """

    def __init__(self, evaluator: Evaluator, workers: int | None, dask_scheduler: str | None, cache_path: Path | None):
        self.evaluator = evaluator
        self.workers = workers
        self.dask_scheduler = dask_scheduler
        self.cache = None
        if cache_path is not None:
            folder = cache_path / "grid-search" / evaluator.strategy.strategy_id  # shared with grid-search: the same backtests
            self.cache = ResultCache(folder, evaluator.strategy_file.read_bytes(), evaluator.data_fingerprint)
        self._context = None
        self._executor = None
        self.ran = 0
        self.cached = 0
        self.on_result: Callable[[Result], None] | None = None

    def where(self) -> str:
        if self.dask_scheduler:
            return f"Dask cluster {self.dask_scheduler}"
        return f"{self.workers or os.cpu_count() or 1} local worker process(es)"

    def batch_size(self) -> int:
        """--workers, else the CPUs here, else the threads of the Dask cluster (asked from its scheduler)."""
        if self.workers:
            return self.workers
        if not self.dask_scheduler:
            return os.cpu_count() or 1
        threads = sum(self.executor().client.nthreads().values())
        return max(1, threads)

    def executor(self):
        if self._executor is None:
            from trade_executor.research.executors import make_executor

            self._context = make_executor(self.evaluator.strategy_file, self.workers, self.dask_scheduler)
            self._executor = self._context.__enter__()
        return self._executor

    def __call__(self, jobs: Sequence[Job]) -> list[Result]:
        found, missing = missing_jobs(jobs, self.cache)
        self.cached += len(found)
        for result in found.values():
            self._heard(result)
        new = {}
        if missing:
            for result in self.executor().run(missing, on_result=self._finished):
                new[result.job] = result
        every = {**found, **new}
        return [every[job] for job in jobs]

    def _finished(self, result: Result) -> None:
        if self.cache is not None:
            self.cache.put(result)
        self.ran += 1
        self._heard(result)

    def _heard(self, result: Result) -> None:
        if self.on_result is not None:
            self.on_result(result)

    def close(self) -> None:
        if self._context is not None:
            self._context.__exit__(None, None, None)
            self._context = self._executor = None

    def __enter__(self) -> JobRunner:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class Progress:
    """A progress bar on stderr when it is an interactive terminal; nothing when piped or on CI."""

    def __init__(self, total: int, label: str):
        self.total, self.label = total, label
        self.bar = None
        self.task = None

    def __enter__(self) -> Progress:
        if progress_wanted():
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeElapsedColumn, TimeRemainingColumn
            from rich.progress import Progress as RichProgress

            self.bar = RichProgress(TextColumn(self.label), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), TimeRemainingColumn(), console=Console(stderr=True))
            self.bar.start()
            self.task = self.bar.add_task(self.label, total=self.total)
        return self

    def advance(self, *_ignored) -> None:
        if self.bar is not None:
            self.bar.advance(self.task)

    def __exit__(self, *exc) -> None:
        if self.bar is not None:
            self.bar.stop()
