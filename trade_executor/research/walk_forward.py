"""Walk-forward analysis: choose parameters on one window of history, judge them on the next.

A search that picks the best of many combinations on the whole history always looks good in
sample. Walk-forward shows what that choice was worth on data it had not seen: the period is cut
into consecutive windows, each a training span followed by a test span; the test spans follow each
other without overlap, and every choice is judged only on its own test span.

Each backtest of a window starts at the window's start with fresh cash, but indicators are already
warm: the universe holds all the data the strategy loads, indicators are computed over all of it,
and the backtest only trades from ``start``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import pandas as pd

from trade_executor.errors import ConfigurationError
from trade_executor.research.evaluate import Evaluator, Job, Result
from trade_executor.research.objective import Objective

# Metrics that grow with the length of a window: compared per day, since training and test windows differ in length.
LENGTH_DEPENDENT = {"return_pct", "trades", "stop_losses", "fees_paid"}

ONE_SECOND = pd.Timedelta(seconds=1)


@dataclass(frozen=True)
class WalkForwardSpec:
    """Window lengths in whole days, from ``--walk-forward train_days,test_days``."""

    train_days: int
    test_days: int


def parse_walk_forward(text: str, option: str = "--walk-forward") -> WalkForwardSpec:
    """Read ``365,90`` (train 365 days, then test 90 days); anything else is a ConfigurationError."""
    parts = [part.strip() for part in text.split(",")]
    fix = f"Give two whole numbers of days, training then testing, e.g. {option} 365,90."
    if len(parts) != 2:
        raise ConfigurationError(f"{option}={text!r} is not train_days,test_days. {fix}")
    numbers = []
    for name, part in zip(("train_days", "test_days"), parts, strict=True):
        if not (part.isascii() and part.isdigit()) or int(part) == 0:
            raise ConfigurationError(f"{option}={text!r}: {name} {part!r} is not a whole number of days above 0. {fix}")
        numbers.append(int(part))
    return WalkForwardSpec(*numbers)


@dataclass(frozen=True)
class Window:
    """One training span and the test span right after it. Ends are exclusive."""

    number: int
    train_start: pd.Timestamp
    test_start: pd.Timestamp
    test_end: pd.Timestamp

    @property
    def train_end(self) -> pd.Timestamp:
        return self.test_start

    def train_job(self, parameters: tuple[tuple[str, object], ...]) -> Job:
        return Job(parameters, *self.train_range())

    def test_job(self, parameters: tuple[tuple[str, object], ...]) -> Job:
        return Job(parameters, *self.test_range())

    def train_range(self) -> tuple[str, str]:
        """(first cycle, last cycle) of the training backtest, as ISO text."""
        return _range(self.train_start, self.test_start)

    def test_range(self) -> tuple[str, str]:
        return _range(self.test_start, self.test_end)

    def train_days(self) -> float:
        return (self.test_start - self.train_start) / pd.Timedelta(days=1)

    def test_days(self) -> float:
        return (self.test_end - self.test_start) / pd.Timedelta(days=1)


def _range(start: pd.Timestamp, end: pd.Timestamp) -> tuple[str, str]:
    # A backtest's end is its last cycle, inclusive: stop just before the next window starts.
    return start.isoformat(), (end - ONE_SECOND).isoformat()


def split_windows(
    start: pd.Timestamp, end: pd.Timestamp, spec: WalkForwardSpec, option: str = "--walk-forward", last_cycle: pd.Timestamp | None = None
) -> list[Window]:
    """Consecutive windows inside [start, end): each test span starts where the previous one ended.

    Window k trains on [start + k*test, start + k*test + train) and tests on the ``test_days``
    after it. Only whole windows are used; the days left over at the end are reported, not tested.
    ``last_cycle`` only names the period's end in the error.
    """
    train, test = pd.Timedelta(days=spec.train_days), pd.Timedelta(days=spec.test_days)
    windows = []
    train_start = start
    while train_start + train + test <= end:
        windows.append(Window(len(windows) + 1, train_start, train_start + train, train_start + train + test))
        train_start += test
    if not windows:
        have = math.floor((end - start) / pd.Timedelta(days=1))
        shown_end = format_time(last_cycle if last_cycle is not None else end - ONE_SECOND)
        raise ConfigurationError(
            f"{option}={spec.train_days},{spec.test_days} needs at least {spec.train_days + spec.test_days} days of history, "
            f"but the backtest period {format_time(start)} to {shown_end} has {have} days. "
            "Use shorter windows, or a longer period (--backtest-start/--backtest-end, or the strategy's data)."
        )
    return windows


def backtest_period(evaluator: Evaluator, start: str | None = None, end: str | None = None) -> tuple[pd.Timestamp, pd.Timestamp]:
    """The period a plain backtest would cover, as [first cycle, one cycle after the last cycle).

    ``start``/``end`` (the command's --backtest-start/--backtest-end) win over the strategy's
    backtest_start/backtest_end; both are clipped to the data.
    """
    strategy = evaluator.strategy
    universe = evaluator.universe()
    parameters = strategy.parameters
    first = _timestamp(start, "--backtest-start") or _timestamp(parameters.backtest_start, "Parameters.backtest_start") or universe.start
    last = _timestamp(end, "--backtest-end") or _timestamp(parameters.backtest_end, "Parameters.backtest_end") or universe.end
    first, last = max(first, universe.start), min(last, universe.end)
    if first >= last:
        raise ConfigurationError(f"The backtest period {first} to {last} is empty: the data covers {universe.start} to {universe.end}.")
    return first, last + strategy.cycle_duration


def _timestamp(value: str | None, name: str) -> pd.Timestamp | None:
    if not value:
        return None
    try:
        return pd.Timestamp(value)
    except ValueError:
        raise ConfigurationError(f"{name}={value!r} is not a date. Use the form 2018-01-31 (or 2018-01-31 12:00).") from None


def format_time(moment: pd.Timestamp) -> str:
    """A date alone when the moment is a day's last second or midnight, else the full time."""
    if moment.hour == 23 and moment.minute == 59 and moment.second == 59:
        return moment.strftime("%Y-%m-%d")
    if moment == moment.normalize():
        return moment.strftime("%Y-%m-%d")
    return moment.strftime("%Y-%m-%d %H:%M")


def span(start: pd.Timestamp, end_exclusive: pd.Timestamp) -> str:
    """``2018-01-01..2018-03-31``: both days included."""
    return f"{format_time(start)}..{format_time(end_exclusive - ONE_SECOND)}"


# --- running -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class WindowResult:
    window: Window
    in_sample: Result  # the chosen combination, on the training span
    out_of_sample: Result  # the same combination, on the test span
    candidates: int  # how many combinations were tried on the training span


@dataclass(frozen=True)
class WalkForwardReport:
    objective: Objective
    windows: list[WindowResult]
    period_start: pd.Timestamp
    period_end: pd.Timestamp  # exclusive

    def out_of_sample_return(self) -> float:
        """The test spans chained, as a fraction: each window's return compounded on the previous ones."""
        growth = 1.0
        for row in self.windows:
            growth *= 1.0 + row.out_of_sample.metrics["return_pct"]
        return growth - 1.0

    def mean_metric(self, sample: str, metric: str | None = None) -> float:
        """A metric's mean over windows ("in" or "out" of sample), per day of window for metrics that grow with length."""
        metric = metric or self.objective.metric
        values = [_comparable(metric, row, sample) for row in self.windows]
        values = [v for v in values if not math.isnan(v)]
        return sum(values) / len(values) if values else math.nan

    def ratio(self, metric: str | None = None) -> float:
        """Mean out-of-sample over mean in-sample: about 1 kept what training found; near 0 or below is overfit.

        NaN when the in-sample mean is not positive, where the ratio means nothing.
        """
        in_sample, out_of_sample = self.mean_metric("in", metric), self.mean_metric("out", metric)
        if math.isnan(in_sample) or math.isnan(out_of_sample) or in_sample <= 0:
            return math.nan
        return out_of_sample / in_sample

    def unused_days(self) -> float:
        return (self.period_end - self.windows[-1].window.test_end) / pd.Timedelta(days=1)


def _comparable(metric: str, row: WindowResult, sample: str) -> float:
    result = row.in_sample if sample == "in" else row.out_of_sample
    value = float(result.metrics.get(metric, math.nan))
    if metric in LENGTH_DEPENDENT:
        value /= row.window.train_days() if sample == "in" else row.window.test_days()
    return value


RunJobs = Callable[[Sequence[Job]], list[Result]]
ChooseInSample = Callable[[list[Window]], list[tuple[Result, int]]]


def walk_forward(
    windows: list[Window],
    choose_in_sample: ChooseInSample,
    run_jobs: RunJobs,
    objective: Objective,
    period: tuple[pd.Timestamp, pd.Timestamp],
) -> WalkForwardReport:
    """Choose on each training span (``choose_in_sample`` gives the best result and how many were tried), then test.

    All test backtests go to ``run_jobs`` in one batch, so they run in parallel.
    """
    chosen = choose_in_sample(windows)
    tests = run_jobs([window.test_job(best.job.parameters) for window, (best, _) in zip(windows, chosen, strict=True)])
    rows = [
        WindowResult(window, best, test, tried)
        for window, (best, tried), test in zip(windows, chosen, tests, strict=True)
    ]
    return WalkForwardReport(objective, rows, period[0], period[1])


def grid_chooser(combinations: list[tuple[tuple[str, object], ...]], run_jobs: RunJobs, objective: Objective) -> ChooseInSample:
    """Every combination on every training span, in one batch; the best per window (first in grid order on a tie)."""

    def choose(windows: list[Window]) -> list[tuple[Result, int]]:
        jobs = [window.train_job(parameters) for window in windows for parameters in combinations]
        results = run_jobs(jobs)
        per_window = len(combinations)
        return [
            (objective.best(results[i * per_window : (i + 1) * per_window]), per_window)
            for i in range(len(windows))
        ]

    return choose


def grid_walk_forward(
    combinations: list[tuple[tuple[str, object], ...]],
    windows: list[Window],
    objective: Objective,
    run_jobs: RunJobs,
    period: tuple[pd.Timestamp, pd.Timestamp],
) -> WalkForwardReport:
    """Walk-forward with an exhaustive search on each training span."""
    return walk_forward(windows, grid_chooser(combinations, run_jobs, objective), run_jobs, objective, period)
