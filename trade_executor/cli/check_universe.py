"""`check-universe`: is the data there, how fresh is it, where are its gaps."""

from __future__ import annotations

import datetime

import typer

from trade_executor.cli.common import reports_errors, setup_logging
from trade_executor.cli.options import LogLevel, LogLevelOption, StrategyFile


@reports_errors
def check_universe(strategy_file: StrategyFile, log_level: LogLevelOption = LogLevel.warning) -> None:
    """Load the strategy's trading universe and report its latest candle, its age, and data gaps."""
    setup_logging(log_level.value)
    from trade_executor.market.candles import format_time_frame
    from trade_executor.runner.backtest import BacktestOptions, build_universe
    from trade_executor.strategy.context import ExecutionContext, ExecutionMode
    from trade_executor.strategy.module import load_strategy_module

    strategy = load_strategy_module(strategy_file)
    universe = build_universe(strategy, BacktestOptions(), ExecutionContext(ExecutionMode.backtesting, strategy.engine_version))
    latest = universe.end.to_pydatetime()
    age = datetime.datetime.now(datetime.UTC).replace(tzinfo=None) - latest
    typer.echo(f"Latest OHLCV candle is at: {latest}, {age} ago")
    typer.echo(f"Universe: {universe.describe()}")
    for ticker, gaps in universe.find_gaps().items():
        frame = universe.candles[ticker]
        missing = sum(g.missing for g in gaps)
        typer.echo(f"  {ticker}: {len(frame):,} candles of {format_time_frame(universe.time_frame)}, {len(gaps)} gaps, {missing} missing candles")
        for gap in gaps:
            typer.echo(f"    gap: {gap.missing} missing from {gap.start} to {gap.end}")
