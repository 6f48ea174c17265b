"""`grid-search`: backtest every combination of a strategy's parameter lists and rank them."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Annotated

import typer

from trade_executor.cli.common import parse_date, reports_errors, setup_logging
from trade_executor.cli.options import BacktestEnd, BacktestStart, CachePath, LogLevel, LogLevelOption, StrategyFile
from trade_executor.cli.walk_forward import walk_forward_option
from trade_executor.errors import ConfigurationError


def _opt(name: str, env: str, help: str, **kw):
    return typer.Option(name, envvar=env, show_envvar=True, help=help, **kw)


Workers = Annotated[int | None, _opt("--workers", "GRID_WORKERS", "Local worker processes. Default: the number of CPUs.", min=1)]
SortBy = Annotated[str, _opt("--sort-by", "GRID_SORT_BY", "Rank combinations by this metric, best first: return_pct, cagr, max_drawdown, sharpe, sortino, profit_factor, win_rate, trades, final_equity.")]
CsvFile = Annotated[Path | None, _opt("--csv", "GRID_CSV", "Also write every combination and its metrics (full precision) to this CSV file.")]
HtmlFile = Annotated[Path | None, _opt("--html", "GRID_HTML", "Also write an HTML page (works offline): a heatmap when exactly two parameters are searched, and the table.")]
DaskScheduler = Annotated[str | None, _opt("--dask-scheduler", "DASK_SCHEDULER", "Run on a dask.distributed cluster at this address (tcp://host:8786) instead of local processes.")]
NoCache = Annotated[bool, _opt("--no-cache", "GRID_NO_CACHE", "Run every combination again, ignoring and not writing the result cache.")]
WalkForward = walk_forward_option("GRID_WALK_FORWARD")


@reports_errors
def grid_search(
    strategy_file: StrategyFile,
    workers: Workers = None,
    sort_by: SortBy = "sharpe",
    csv: CsvFile = None,
    html: HtmlFile = None,
    dask_scheduler: DaskScheduler = None,
    backtest_start: BacktestStart = None,
    backtest_end: BacktestEnd = None,
    cache_path: CachePath = Path("cache"),
    no_cache: NoCache = False,
    walk_forward: WalkForward = None,
    log_level: LogLevelOption = LogLevel.warning,
) -> None:
    """Backtest every combination of the values a strategy's Parameters list, and rank them by a metric."""
    setup_logging(log_level.value)
    from trade_executor.research.evaluate import METRICS, Evaluator, expand_grid

    if sort_by not in METRICS:
        raise ConfigurationError(f"--sort-by={sort_by!r} is not a metric. Use one of: {', '.join(METRICS)}.")
    start, end = _window(backtest_start, backtest_end)
    evaluator = Evaluator(strategy_file)
    space = evaluator.strategy.parameters.search_space()
    if not space:
        raise ConfigurationError(
            f"{strategy_file}: class Parameters gives no list of values to search. "
            "Write the values to try as a list or range, e.g. `fast_sma: int = [12, 24, 48]`, then run grid-search again."
        )
    if walk_forward:
        from trade_executor.cli.walk_forward import grid_walk_forward_command

        return grid_walk_forward_command(evaluator, space, walk_forward, start, end, sort_by, workers, dask_scheduler, None if no_cache else cache_path, csv, html)
    jobs = expand_grid(space, start, end)
    sizes = " x ".join(f"{name} ({len(values)})" for name, values in space.items())
    typer.echo(f"Grid search of {evaluator.strategy.strategy_id} ({strategy_file}): {len(jobs)} combinations of {sizes}")
    started = time.perf_counter()
    outcome = _run(evaluator, jobs, workers, dask_scheduler, None if no_cache else cache_path)
    typer.echo(f"Ran {outcome.ran} backtest(s) in {time.perf_counter() - started:.1f} s, {outcome.cached} from the cache; best {sort_by} first:")
    _report(outcome, evaluator.strategy.strategy_id, sort_by, csv, html)


def _window(start: str | None, end: str | None) -> tuple[str | None, str | None]:
    """The backtest window as ISO strings (one spelling per date, so cache keys match)."""
    first, last = parse_date(start, "--backtest-start"), parse_date(end, "--backtest-end")
    if first is not None and last is not None and first >= last:
        raise ConfigurationError(f"--backtest-start {first} is not before --backtest-end {last}.")
    return (first.isoformat() if first is not None else None, last.isoformat() if last is not None else None)


def _run(evaluator, jobs, workers: int | None, dask_scheduler: str | None, cache_path: Path | None):
    from trade_executor.cli.search_runs import Progress
    from trade_executor.research.cache import ResultCache
    from trade_executor.research.executors import make_executor
    from trade_executor.research.grid import missing_jobs, run_jobs

    cache = None
    if cache_path is not None:
        folder = cache_path / "grid-search" / evaluator.strategy.strategy_id
        cache = ResultCache(folder, evaluator.strategy_file.read_bytes(), evaluator.data_fingerprint)
    found, missing = missing_jobs(jobs, cache)
    where = f"Dask cluster {dask_scheduler}" if dask_scheduler else f"{workers or os.cpu_count()} local worker process(es)"
    typer.echo(f"{len(found)} cached, {len(missing)} to run" + (f" on {where}" if missing else ""))
    with Progress(len(jobs), "Backtests") as progress:
        try:
            return run_jobs(jobs, lambda: make_executor(evaluator.strategy_file, workers, dask_scheduler), cache, lambda result, cached: progress.advance())
        except KeyboardInterrupt:
            saved = f"; finished results are saved in {cache.folder}, run the same command again to continue" if cache else ""
            typer.echo(f"Interrupted{saved}.", err=True)
            raise typer.Exit(130) from None


def _report(outcome, strategy_id: str, sort_by: str, csv: Path | None, html: Path | None) -> None:
    from trade_executor.research.results import format_table, sort_results, write_csv, write_html

    ranked = sort_results(outcome.results, sort_by)
    typer.echo("")
    typer.echo(format_table(ranked))
    if csv is not None:
        typer.echo(f"\nCSV written to {write_csv(ranked, csv)}")
    if html is not None:
        typer.echo(f"HTML written to {write_html(ranked, html, title=f'Grid search of {strategy_id} by {sort_by}', metric=sort_by)}")
