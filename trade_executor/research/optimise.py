"""Optuna's TPE search over a strategy's search space, on the same executors as the grid search.

Trials are asked in batches (one per worker), backtested in parallel, and told back in the order
they were asked. The sampler then sees the same history whatever finished first, so a fixed seed
(and the same batch size) gives the same trials and the same best result on every run.

A combination TPE proposes again is not backtested again: backtests are deterministic, so the
first result is told once more.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import optuna
from optuna.distributions import BaseDistribution, CategoricalDistribution, IntDistribution
from optuna.trial import TrialState

from trade_executor.errors import ConfigurationError
from trade_executor.research.evaluate import Job, Result
from trade_executor.research.objective import Objective

RunJobs = Callable[[Sequence[Job]], list[Result]]


def quiet_optuna() -> None:
    """Optuna logs every trial at INFO; our own table says what matters."""
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    logging.getLogger("optuna").setLevel(logging.WARNING)


@dataclass(frozen=True)
class Dimension:
    """One searched parameter and how TPE samples it.

    Whole numbers in ascending order with one step (a ``range``, or ``[12, 24, 36]``) are an
    ordered integer scale: TPE learns that 24 lies between 12 and 36. Anything else (floats,
    text, unordered or unevenly spaced values) is a set of choices with no order; TPE samples
    their positions, so any value type works.
    """

    name: str
    values: tuple
    distribution: BaseDistribution

    def decode(self, raw: object) -> object:
        if isinstance(self.distribution, CategoricalDistribution):
            return self.values[int(raw)]
        return int(raw)

    def describe(self) -> str:
        d = self.distribution
        if isinstance(d, IntDistribution):
            return f"{self.name}: integers {d.low}..{d.high} step {d.step} (ordered, {len(self.values)} values)"
        return f"{self.name}: choices {', '.join(repr(v) for v in self.values)} (unordered)"


def _is_evenly_spaced_ints(values: Sequence) -> bool:
    if len(values) < 2 or not all(isinstance(v, int) and not isinstance(v, bool) for v in values):
        return False
    step = values[1] - values[0]
    return step > 0 and all(b - a == step for a, b in zip(values, values[1:], strict=False))


def dimensions(space: dict[str, Sequence]) -> list[Dimension]:
    """The Optuna distribution of each searched parameter, in name order."""
    found = []
    for name in sorted(space):
        values = tuple(space[name])
        if not values:
            raise ConfigurationError(f"Parameters.{name} is an empty list: give it at least one value to search.")
        if _is_evenly_spaced_ints(values):
            distribution: BaseDistribution = IntDistribution(values[0], values[-1], step=values[1] - values[0])
        else:
            distribution = CategoricalDistribution(list(range(len(values))))
        found.append(Dimension(name, values, distribution))
    return found


def space_size(space: dict[str, Sequence]) -> int:
    return math.prod(len(values) for values in space.values())


@dataclass(frozen=True)
class TrialResult:
    number: int  # 1-based, in the order trials were asked
    result: Result
    repeated: bool  # the same combination was tried before: not backtested again

    def value(self, objective: Objective) -> float:
        return objective.value(self.result)


@dataclass(frozen=True)
class OptimiseReport:
    objective: Objective
    seed: int | None
    batch_size: int
    dimensions: list[Dimension]
    trials: list[TrialResult]

    @property
    def best(self) -> TrialResult:
        """The best trial; the earliest of equal ones."""
        return min(self.trials, key=lambda trial: self.objective.sort_key(trial.result))

    def ranked(self) -> list[TrialResult]:
        """Distinct combinations, best first (each combination's first trial)."""
        first = [trial for trial in self.trials if not trial.repeated]
        return sorted(first, key=lambda trial: self.objective.sort_key(trial.result))

    def backtests(self) -> int:
        return sum(1 for trial in self.trials if not trial.repeated)


class Optimiser:
    """A TPE study over one search space and one backtest window."""

    def __init__(self, space: dict[str, Sequence], objective: Objective, run_jobs: RunJobs, *, seed: int | None = None, batch_size: int = 1):
        if batch_size < 1:
            raise ConfigurationError(f"The batch size (--workers) must be at least 1, not {batch_size}.")
        self.dimensions = dimensions(space)
        self.objective = objective
        self.run_jobs = run_jobs
        self.seed = seed
        self.batch_size = batch_size

    def run(self, trials: int, start: str | None = None, end: str | None = None, on_trial: Callable[[TrialResult], None] | None = None) -> OptimiseReport:
        if trials < 1:
            raise ConfigurationError(f"--trials={trials}: run at least 1 trial.")
        quiet_optuna()
        study = optuna.create_study(direction=self.objective.direction, sampler=optuna.samplers.TPESampler(seed=self.seed))
        fixed = {d.name: d.distribution for d in self.dimensions}
        seen: dict[Job, Result] = {}
        told: set[Job] = set()
        done: list[TrialResult] = []
        while len(done) < trials:
            asked = [study.ask(fixed) for _ in range(min(self.batch_size, trials - len(done)))]
            jobs = [self._job(trial.params, start, end) for trial in asked]
            fresh = list(dict.fromkeys(job for job in jobs if job not in seen))
            seen.update(zip(fresh, self.run_jobs(fresh), strict=True))
            for trial, job in zip(asked, jobs, strict=True):
                record = TrialResult(len(done) + 1, seen[job], repeated=job in told)
                told.add(job)
                self._tell(study, trial, record.result)
                done.append(record)
                if on_trial is not None:
                    on_trial(record)
        return OptimiseReport(self.objective, self.seed, self.batch_size, self.dimensions, done)

    def _job(self, params: dict[str, object], start: str | None, end: str | None) -> Job:
        values = tuple((d.name, d.decode(params[d.name])) for d in self.dimensions)
        return Job(parameters=values, start=start, end=end)

    def _tell(self, study: optuna.Study, trial: optuna.Trial, result: Result) -> None:
        value = self.objective.value(result)
        if math.isnan(value):
            study.tell(trial, state=TrialState.FAIL)  # no value to learn from (no trades, no variance)
        else:
            study.tell(trial, value)


def optuna_chooser(
    space: dict[str, Sequence], objective: Objective, run_jobs: RunJobs, *, trials: int, seed: int | None, batch_size: int,
    on_trial: Callable[[TrialResult], None] | None = None,
):
    """For walk-forward: a study of ``trials`` trials on each training span (the same seed each), its best chosen."""

    def choose(windows) -> list[tuple[Result, int]]:
        chosen = []
        for window in windows:
            optimiser = Optimiser(space, objective, run_jobs, seed=seed, batch_size=batch_size)
            report = optimiser.run(trials, *window.train_range(), on_trial=on_trial)
            chosen.append((report.best.result, report.backtests()))
        return chosen

    return choose
