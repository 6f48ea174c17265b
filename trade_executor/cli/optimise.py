"""`optimise`: Optuna's TPE search over a strategy's parameter lists, instead of every combination."""

from __future__ import annotations

import csv
import math
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from trade_executor.cli.common import parse_date, reports_errors, setup_logging
from trade_executor.cli.options import BacktestEnd, BacktestStart, CachePath, LogLevel, LogLevelOption, StrategyFile
from trade_executor.cli.walk_forward import walk_forward_option
from trade_executor.errors import ConfigurationError


class Direction(StrEnum):
    maximize = "maximize"
    minimize = "minimize"


def _opt(name: str, env: str, help: str, **kw):
    return typer.Option(name, envvar=env, show_envvar=True, help=help, **kw)


Trials = Annotated[int, _opt("--trials", "OPTIMISE_TRIALS", "How many trials (backtests asked for) to run. A combination proposed again is not backtested again.", min=1)]
ObjectiveOption = Annotated[
    str,
    _opt("--objective", "OPTIMISE_OBJECTIVE", "The metric to optimise: return_pct, cagr, max_drawdown (a negative fraction: maximize it), sharpe, sortino, profit_factor, win_rate, trades, final_equity, stop_losses, fees_paid."),
]
DirectionOption = Annotated[Direction, _opt("--direction", "OPTIMISE_DIRECTION", "Look for the highest (maximize) or the lowest (minimize) objective.", case_sensitive=False)]
Seed = Annotated[
    int | None,
    _opt("--seed", "OPTIMISE_SEED", "Seed of the TPE sampler. The same seed, batch size (--workers) and strategy give the same trials and the same best result. Default: a random seed, printed so you can repeat the search."),
]
Workers = Annotated[
    int | None,
    _opt("--workers", "OPTIMISE_WORKERS", "Local worker processes, and how many trials are asked at a time (one batch). Default: the number of CPUs (with Dask: the cluster's threads).", min=1),
]
DaskScheduler = Annotated[str | None, _opt("--dask-scheduler", "DASK_SCHEDULER", "Run on a dask.distributed cluster at this address (tcp://host:8786) instead of local processes.")]
CsvFile = Annotated[Path | None, _opt("--csv", "OPTIMISE_CSV", "Also write every trial, in the order asked, with its metrics at full precision (with --walk-forward: every window) to this CSV file.")]
Top = Annotated[int, _opt("--top", "OPTIMISE_TOP", "How many of the best combinations the table shows.", min=1)]
NoCache = Annotated[bool, _opt("--no-cache", "OPTIMISE_NO_CACHE", "Run every backtest again, ignoring and not writing the result cache (shared with grid-search).")]
WalkForward = walk_forward_option("OPTIMISE_WALK_FORWARD")

@reports_errors
def optimise(
    strategy_file: StrategyFile,
    trials: Trials = 50,
    objective: ObjectiveOption = "sharpe",
    direction: DirectionOption = Direction.maximize,
    seed: Seed = None,
    workers: Workers = None,
    dask_scheduler: DaskScheduler = None,
    csv: CsvFile = None,
    top: Top = 10,
    walk_forward: WalkForward = None,
    backtest_start: BacktestStart = None,
    backtest_end: BacktestEnd = None,
    cache_path: CachePath = Path("cache"),
    no_cache: NoCache = False,
    log_level: LogLevelOption = LogLevel.warning,
) -> None:
    """Search a strategy's parameter lists with Optuna's TPE sampler: fewer backtests than grid-search on a large space.

    Each parameter written as a list or range is searched. Whole numbers in ascending order with one step
    (range(6, 31, 6), [12, 24, 36]) are an ordered integer scale (suggest_int with that step); any other list
    (floats, text, uneven steps) is a set of unordered choices (categorical).
    """
    setup_logging(log_level.value)
    from trade_executor.research.evaluate import Evaluator
    from trade_executor.research.objective import Objective
    from trade_executor.research.optimise import dimensions, quiet_optuna, space_size

    quiet_optuna()
    goal = Objective.checked(objective, direction.value)
    start, end = _window(backtest_start, backtest_end)
    evaluator = Evaluator(strategy_file)
    space = evaluator.strategy.parameters.search_space()
    if not space:
        raise ConfigurationError(
            f"{strategy_file}: class Parameters gives no list of values to search. "
            "Write the values to try as a list or range, e.g. `fast_sma: int = [12, 24, 48]`, then run optimise again."
        )
    plan = None
    if walk_forward:
        from trade_executor.cli.walk_forward import prepare

        plan = prepare(evaluator, walk_forward, start, end)
    seed_note = ""
    if seed is None:
        import secrets  # hmac and hashlib: only a run that picks its own seed loads them

        seed = secrets.randbelow(2**31)
        seed_note = f" (chosen at random: --seed {seed} repeats this search)"
    size = space_size(space)
    typer.echo(f"Optimise {evaluator.strategy.strategy_id} ({strategy_file}): {trials} TPE trials, seed {seed}{seed_note}, {goal.direction} {goal.metric}")
    typer.echo(f"Search space of {size:,} combinations:")
    for dimension in dimensions(space):
        typer.echo(f"  {dimension.describe()}")
    if trials >= size:
        typer.echo(f"Note: {trials} trials for {size} combinations; `trade-executor grid-search` backtests each combination exactly once.")
    cache = None if no_cache else cache_path
    if plan is not None:
        _optimise_walk_forward(evaluator, space, goal, plan, trials, seed, workers, dask_scheduler, cache, csv)
    else:
        _optimise_once(evaluator, space, goal, trials, seed, workers, dask_scheduler, cache, csv, top, (start, end))


def _window(start: str | None, end: str | None) -> tuple[str | None, str | None]:
    first, last = parse_date(start, "--backtest-start"), parse_date(end, "--backtest-end")
    if first is not None and last is not None and first >= last:
        raise ConfigurationError(f"--backtest-start {first} is not before --backtest-end {last}.")
    return (first.isoformat() if first is not None else None, last.isoformat() if last is not None else None)


def _optimise_once(evaluator, space, goal, trials, seed, workers, dask_scheduler, cache_path, csv_path, top, window) -> None:
    from trade_executor.cli.search_runs import JobRunner, Progress
    from trade_executor.cli.walk_forward import interrupted_safely
    from trade_executor.research.optimise import Optimiser

    with JobRunner(evaluator, workers, dask_scheduler, cache_path) as runner, Progress(trials, "Trials") as progress:
        batch = runner.batch_size()
        typer.echo(f"Trials asked in batches of {batch}, run on {runner.where()}")
        optimiser = Optimiser(space, goal, runner, seed=seed, batch_size=batch)
        report = interrupted_safely(lambda: optimiser.run(trials, *window, on_trial=progress.advance), runner)
    _print_optimise_report(report, runner, top)
    if csv_path is not None:
        typer.echo(f"\nCSV written to {write_trials_csv(report, csv_path)}")


def _print_optimise_report(report, runner, top: int) -> None:
    from trade_executor.research.results import format_table

    goal, best = report.objective, report.best
    repeats = len(report.trials) - report.backtests()
    typer.echo(f"Ran {len(report.trials)} trials: {report.backtests()} distinct combinations ({runner.ran} backtested, {runner.cached} from the cache), {repeats} repeated ones")
    typer.echo("")
    typer.echo(f"Best {goal.metric}: trial {best.number}, {best.result.job.describe()}")
    metrics = best.result.metrics
    shown = dict.fromkeys([goal.metric, "return_pct", "max_drawdown", "sharpe", "trades"])
    typer.echo("  " + ", ".join(f"{name} {_figure(name, metrics.get(name, math.nan))}" for name in shown))
    ranked = report.ranked()
    typer.echo("")
    typer.echo(f"Top {min(top, len(ranked))} of {len(ranked)} combinations tried, best {goal.metric} first:")
    typer.echo(format_table([trial.result for trial in ranked[:top]]))


def _figure(metric: str, value: float) -> str:
    from trade_executor.reporting.summary import format_percent, format_ratio
    from trade_executor.research.results import PERCENT_METRICS

    if metric in PERCENT_METRICS:
        return format_percent(value)
    if metric in ("trades", "stop_losses") and math.isfinite(value):
        return str(int(value))
    return format_ratio(value)


def write_trials_csv(report, path: Path) -> Path:
    """Every trial in the order asked: its number, whether it repeated an earlier combination, values, metrics."""
    from trade_executor.research.evaluate import METRICS

    names = [d.name for d in report.dimensions]
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow(["trial", "repeated", *names, "start", "end", *METRICS])
        for trial in report.trials:
            job, params = trial.result.job, trial.result.job.as_dict()
            writer.writerow([trial.number, trial.repeated, *(params[n] for n in names), job.start or "", job.end or "",
                             *(repr(trial.result.metrics.get(m, math.nan)) for m in METRICS)])
    return path


def _optimise_walk_forward(evaluator, space, goal, plan, trials, seed, workers, dask_scheduler, cache_path, csv_path) -> None:
    from trade_executor.cli.search_runs import JobRunner, Progress
    from trade_executor.cli.walk_forward import interrupted_safely, print_plan, print_report
    from trade_executor.research.optimise import optuna_chooser
    from trade_executor.research.walk_forward import walk_forward

    windows, period, spec = plan
    print_plan(evaluator, windows, period, spec, f"{trials} TPE trials (seed {seed})", goal)
    with JobRunner(evaluator, workers, dask_scheduler, cache_path) as runner, Progress(len(windows) * (trials + 1), "Trials") as progress:
        batch = runner.batch_size()
        typer.echo(f"Trials asked in batches of {batch}, run on {runner.where()}")
        chooser = optuna_chooser(space, goal, runner, trials=trials, seed=seed, batch_size=batch, on_trial=progress.advance)

        def run_tests(jobs):
            results = runner(jobs)
            for _ in results:
                progress.advance()
            return results

        report = interrupted_safely(lambda: walk_forward(windows, chooser, run_tests, goal, period), runner)
    typer.echo(f"Ran {runner.ran} backtest(s), {runner.cached} from the cache")
    print_report(report, csv_path)
