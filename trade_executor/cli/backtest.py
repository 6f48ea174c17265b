"""`start --execution-type=backtest` and its alias `backtest`."""

from __future__ import annotations

from pathlib import Path

import typer

from trade_executor.cli.common import parse_date, parse_time_frame_option, reports_errors, setup_logging
from trade_executor.cli.options import (
    ApiKey,
    BacktestEnd,
    BacktestStart,
    CachePath,
    CandleOverride,
    ExecutionType,
    FillModelOption,
    LogLevel,
    LogLevelOption,
    StateFile,
    StopLossOverride,
    StrategyFile,
)
from trade_executor.errors import ConfigurationError

ExecutionTypeOption = typer.Option(
    ...,
    "--execution-type",
    envvar="EXECUTION_TYPE",
    show_envvar=True,
    case_sensitive=False,
    help="backtest: simulate over historical data. uniswap_v2_hot_wallet: trade live (not in this release yet).",
)


@reports_errors
def start(
    strategy_file: StrategyFile,
    execution_type: ExecutionType = ExecutionTypeOption,
    state_file: StateFile = None,
    cache_path: CachePath = Path("cache"),
    backtest_start: BacktestStart = None,
    backtest_end: BacktestEnd = None,
    backtest_candle_time_frame_override: CandleOverride = None,
    backtest_stop_loss_time_frame_override: StopLossOverride = None,
    fill_model: FillModelOption = None,
    trading_strategy_api_key: ApiKey = None,
    log_level: LogLevelOption = LogLevel.info,
) -> None:
    """Run a strategy: a backtest over history, or (later) live on a chain."""
    if execution_type is not ExecutionType.backtest:
        raise ConfigurationError(
            f"EXECUTION_TYPE={execution_type.value} is not available in this release: only backtest runs so far. "
            "Use --execution-type=backtest."
        )
    run_backtest_command(
        strategy_file, state_file, backtest_start, backtest_end, backtest_candle_time_frame_override,
        backtest_stop_loss_time_frame_override, fill_model, log_level,
    )


@reports_errors
def backtest(
    strategy_file: StrategyFile,
    state_file: StateFile = None,
    cache_path: CachePath = Path("cache"),
    backtest_start: BacktestStart = None,
    backtest_end: BacktestEnd = None,
    backtest_candle_time_frame_override: CandleOverride = None,
    backtest_stop_loss_time_frame_override: StopLossOverride = None,
    fill_model: FillModelOption = None,
    trading_strategy_api_key: ApiKey = None,
    log_level: LogLevelOption = LogLevel.info,
) -> None:
    """Backtest a strategy over historical data (the same as `start --execution-type=backtest`)."""
    run_backtest_command(
        strategy_file, state_file, backtest_start, backtest_end, backtest_candle_time_frame_override,
        backtest_stop_loss_time_frame_override, fill_model, log_level,
    )


def run_backtest_command(strategy_file, state_file, start, end, candle_override, stop_loss_override, fill_model, log_level) -> None:
    setup_logging(log_level.value)
    from trade_executor.market.candles import format_time_frame
    from trade_executor.reporting.summary import calculate_summary, format_summary_table
    from trade_executor.runner.backtest import BacktestOptions, BacktestRun, build_universe
    from trade_executor.state import JSONFileStore
    from trade_executor.strategy.context import ExecutionContext, ExecutionMode
    from trade_executor.strategy.module import load_strategy_module

    options = BacktestOptions(
        start=parse_date(start, "--backtest-start"),
        end=parse_date(end, "--backtest-end"),
        candle_time_frame_override=parse_time_frame_option(candle_override, "--backtest-candle-time-frame-override"),
        stop_loss_time_frame_override=parse_time_frame_option(stop_loss_override, "--backtest-stop-loss-time-frame-override"),
        fill_model=fill_model.value if fill_model else None,
    )
    if options.start and options.end and options.start >= options.end:
        raise ConfigurationError(f"--backtest-start {options.start} is not before --backtest-end {options.end}.")
    strategy = load_strategy_module(strategy_file)
    store = JSONFileStore(state_file or Path("state") / f"{strategy.strategy_id}-backtest.json")
    universe = build_universe(strategy, options, ExecutionContext(ExecutionMode.backtesting, strategy.engine_version))
    run = BacktestRun(strategy, universe, options)
    gaps = universe.find_gaps()
    missing = sum(g.missing for found in gaps.values() for g in found)
    typer.echo(f"Strategy {strategy.strategy_id} ({strategy_file}), engine version {strategy.engine_version}")
    typer.echo(f"Data: {universe.describe()}; {missing} missing candles in {sum(len(v) for v in gaps.values())} gaps")
    typer.echo(
        f"Backtest: {len(run.timestamps):,} cycles of {format_time_frame(run.cycle_duration)} from {run.timestamps[0]} to {run.timestamps[-1]}, "
        f"stop-loss checks on {format_time_frame(universe.get_effective_stop_loss_time_frame())} candles"
    )
    typer.echo(f"Execution: {run.execution.describe()}")
    for warning in run.warnings:
        typer.secho(f"Warning: {warning}", fg=typer.colors.YELLOW, err=True)
    result = run.run()
    store.save(result.state)
    typer.echo("")
    typer.echo(format_summary_table(calculate_summary(result.state), result.warnings))
    typer.echo("")
    typer.echo(f"Ran {result.cycles:,} cycles in {result.loop_seconds:.2f} s; state saved to {store.path}")
