"""Run a list of jobs through the cache: stored results first, the missing ones on an executor.

The executor is started only when something is missing, so a rerun of a finished search starts
no worker at all. Each new result is stored as it arrives, before the caller hears of it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager
from dataclasses import dataclass

from trade_executor.research.cache import ResultCache
from trade_executor.research.evaluate import Job, Result

StartExecutor = Callable[[], AbstractContextManager]


@dataclass
class SearchOutcome:
    results: list[Result]  # in the jobs' order
    cached: int
    ran: int


def missing_jobs(jobs: Iterable[Job], cache: ResultCache | None) -> tuple[dict[Job, Result], list[Job]]:
    """(results found in the cache, jobs still to run), each job once."""
    found: dict[Job, Result] = {}
    missing: list[Job] = []
    for job in dict.fromkeys(jobs):
        stored = cache.get(job) if cache is not None else None
        if stored is not None:
            found[job] = stored
        else:
            missing.append(job)
    return found, missing


def run_jobs(
    jobs: list[Job],
    start_executor: StartExecutor,
    cache: ResultCache | None = None,
    on_result: Callable[[Result, bool], None] | None = None,
) -> SearchOutcome:
    """Every job's result; ``on_result(result, from_cache)`` hears of each one as it is known."""
    found, missing = missing_jobs(jobs, cache)
    for result in found.values():
        if on_result:
            on_result(result, True)
    new: dict[Job, Result] = {}

    def finished(result: Result) -> None:
        if cache is not None:
            cache.put(result)
        new[result.job] = result
        if on_result:
            on_result(result, False)

    if missing:
        with start_executor() as executor:
            executor.run(missing, on_result=finished)
    every = {**found, **new}
    return SearchOutcome([every[job] for job in jobs], cached=len(found), ran=len(new))
