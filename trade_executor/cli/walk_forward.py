"""`--walk-forward train_days,test_days` of `grid-search` and `optimise`: run it and print what it found."""

from __future__ import annotations

import csv
import math
from pathlib import Path
from typing import Annotated

import typer

from trade_executor.errors import ConfigurationError

WALK_FORWARD_HELP = (
    "Walk-forward analysis instead of one search over the whole period, e.g. 365,90: cut the period into windows of "
    "train_days followed by test_days (each test window follows the previous one); choose the best combination on each "
    "training window, backtest it on its test window (out of sample, indicators warmed up on earlier data), and report "
    "the chained out-of-sample return and the out-of-sample/in-sample ratio."
)


def walk_forward_option(envvar: str):
    return Annotated[str | None, typer.Option("--walk-forward", envvar=envvar, show_envvar=True, help=WALK_FORWARD_HELP)]


def prepare(evaluator, text: str, start: str | None, end: str | None):
    """(windows, period) for ``--walk-forward text``; a ConfigurationError for bad text or too little history."""
    from trade_executor.research.walk_forward import backtest_period, parse_walk_forward, split_windows

    spec = parse_walk_forward(text)
    period = backtest_period(evaluator, start, end)
    return split_windows(*period, spec, last_cycle=period[1] - evaluator.strategy.cycle_duration), period, spec


def grid_walk_forward_command(evaluator, space: dict, text: str, start, end, sort_by: str, workers, dask_scheduler, cache_path, csv_path, html_path=None) -> None:
    """`grid-search --walk-forward`: every combination on every training window, the best tested on the next."""
    if html_path is not None:
        raise ConfigurationError(f"--html={html_path}: the heatmap page shows one search, not a walk-forward. Drop --html, or use --csv for every window.")
    from trade_executor.cli.search_runs import JobRunner, Progress
    from trade_executor.research.evaluate import expand_grid
    from trade_executor.research.objective import Objective
    from trade_executor.research.walk_forward import grid_walk_forward

    objective = Objective.checked(sort_by, "maximize", option="--sort-by")
    windows, period, spec = prepare(evaluator, text, start, end)
    combinations = [job.parameters for job in expand_grid(space)]
    print_plan(evaluator, windows, period, spec, f"grid search of {len(combinations)} combinations", objective)
    with JobRunner(evaluator, workers, dask_scheduler, cache_path) as runner, Progress(len(windows) * (len(combinations) + 1), "Backtests") as progress:
        typer.echo(f"Running on {runner.where()}")
        runner.on_result = progress.advance
        report = interrupted_safely(lambda: grid_walk_forward(combinations, windows, objective, runner, period), runner)
    typer.echo(f"Ran {runner.ran} backtest(s), {runner.cached} from the cache")
    print_report(report, csv_path)


def interrupted_safely(work, runner):
    try:
        return work()
    except KeyboardInterrupt:
        saved = f"; finished backtests are saved in {runner.cache.folder}, run the same command again to continue" if runner.cache else ""
        typer.echo(f"Interrupted{saved}.", err=True)
        raise typer.Exit(130) from None


def print_plan(evaluator, windows, period, spec, how: str, objective) -> None:
    from trade_executor.research.walk_forward import format_time

    last_cycle = period[1] - evaluator.strategy.cycle_duration
    typer.echo(
        f"Walk-forward of {evaluator.strategy.strategy_id} ({evaluator.strategy_file}): {len(windows)} window(s) of "
        f"{spec.train_days} training days then {spec.test_days} test days, from {format_time(period[0])} to {format_time(last_cycle)}; "
        f"{how} on each training window, best {objective.metric} ({objective.direction})"
    )


def print_report(report, csv_path: Path | None) -> None:
    from trade_executor.reporting.summary import format_percent, format_ratio
    from trade_executor.research.walk_forward import LENGTH_DEPENDENT

    metric = report.objective.metric
    typer.echo("")
    typer.echo(format_windows(report))
    typer.echo("")
    unused = report.unused_days()
    left = f" ({unused:g} day(s) at the end of the period are in no test window)" if unused >= 1 else ""
    typer.echo(f"Out-of-sample return, test windows chained: {format_percent(report.out_of_sample_return())}{left}")
    for shown in dict.fromkeys([metric, "return_pct"] if metric != "final_equity" else ["return_pct"]):
        label = "return per day" if shown == "return_pct" else f"{shown} per day" if shown in LENGTH_DEPENDENT else shown
        typer.echo(
            f"Mean {label}: in sample {_format(shown, report.mean_metric('in', shown), per_day=True)}, "
            f"out of sample {_format(shown, report.mean_metric('out', shown), per_day=True)}; out/in {_ratio_text(report.ratio(shown), format_ratio)}"
        )
    typer.echo("out/in near 1: what training found held up on unseen data; near 0 or below: it was fitted to noise (overfit).")
    if csv_path is not None:
        typer.echo(f"\nCSV written to {write_windows_csv(report, csv_path)}")


def _ratio_text(value: float, format_ratio) -> str:
    return "n/a (the in-sample mean is not positive)" if math.isnan(value) else format_ratio(value)


def _format(metric: str, value: float, per_day: bool = False) -> str:
    from trade_executor.reporting.summary import format_percent, format_ratio
    from trade_executor.research.results import PERCENT_METRICS

    if math.isnan(value):
        return "n/a"
    if per_day and metric == "return_pct":
        return f"{value * 100:.3f}%"
    if metric in PERCENT_METRICS:
        return format_percent(value)
    if metric == "final_equity":
        return f"${value:,.2f}"
    if metric in ("trades", "stop_losses") and not per_day:
        return str(int(value))
    return format_ratio(value)


OUT_OF_SAMPLE_COLUMNS = (("return_pct", "OOS return %"), ("max_drawdown", "OOS max drawdown %"), ("trades", "OOS trades"))


def format_windows(report) -> str:
    """One row per window: its dates, the chosen combination, its in-sample metric and its out-of-sample figures."""
    from trade_executor.research.walk_forward import span

    metric = report.objective.metric
    extra = [(name, title) for name, title in OUT_OF_SAMPLE_COLUMNS if name != metric]
    header = ["#", "train", "test", "chosen", f"in-sample {metric}", f"out-of-sample {metric}", *(title for _, title in extra), "tried"]
    rows = []
    for row in report.windows:
        window, out = row.window, row.out_of_sample.metrics
        rows.append([
            str(window.number), span(window.train_start, window.train_end), span(window.test_start, window.test_end),
            row.in_sample.job.describe(), _format(metric, row.in_sample.metrics.get(metric, math.nan)), _format(metric, out.get(metric, math.nan)),
            *(_format(name, out.get(name, math.nan)) for name, _ in extra), str(row.candidates),
        ])
    widths = [max(len(r[c]) for r in [header, *rows]) for c in range(len(header))]
    left = {1, 2, 3}
    lines = ["  ".join(cell.ljust(w) if c in left else cell.rjust(w) for c, (cell, w) in enumerate(zip(r, widths, strict=True))) for r in [header, *rows]]
    return "\n".join(line.rstrip() for line in lines)


def write_windows_csv(report, path: Path) -> Path:
    """Every window with its chosen values and both samples' metrics at full precision."""
    from trade_executor.research.evaluate import METRICS

    names = list(dict.fromkeys(name for row in report.windows for name, _ in row.in_sample.job.parameters))
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow(["window", "train_start", "train_end", "test_start", "test_end", *names, "tried",
                         *(f"in_{m}" for m in METRICS), *(f"out_{m}" for m in METRICS)])
        for row in report.windows:
            params = row.in_sample.job.as_dict()
            writer.writerow([
                row.window.number, *row.window.train_range(), *row.window.test_range(), *(params.get(n) for n in names), row.candidates,
                *(repr(row.in_sample.metrics.get(m, math.nan)) for m in METRICS), *(repr(row.out_of_sample.metrics.get(m, math.nan)) for m in METRICS),
            ])
    return path
