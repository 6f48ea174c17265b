"""`check-universe`: is the data there, how fresh is it, where are its gaps."""

from __future__ import annotations

import datetime
from typing import Annotated

import typer

from trade_executor.cli.common import reports_errors, setup_logging
from trade_executor.cli.live_options import Factory, JsonRpcUrl, KeystoreFile, KeystorePassword, PrivateKey, Router
from trade_executor.cli.options import ExecutionType, LogLevel, LogLevelOption, StrategyFile


@reports_errors
def check_universe(
    strategy_file: StrategyFile,
    execution_type: Annotated[
        ExecutionType,
        typer.Option(
            "--execution-type", envvar="EXECUTION_TYPE", show_envvar=True, case_sensitive=False,
            help="backtest: the historical data; uniswap_v2_hot_wallet, uniswap_v3_hot_wallet or paper: candles from the chain's pools.",
        ),
    ] = ExecutionType.backtest,
    json_rpc_url: JsonRpcUrl = None,
    private_key: PrivateKey = None,
    keystore_file: KeystoreFile = None,
    keystore_password: KeystorePassword = None,
    uniswap_v2_router: Router = None,
    uniswap_v2_factory: Factory = None,
    log_level: LogLevelOption = LogLevel.warning,
) -> None:
    """Load the strategy's trading universe and report its latest candle, its age, and data gaps."""
    setup_logging(log_level.value)
    from trade_executor.market.candles import format_time_frame

    if execution_type.reads_chain:
        from trade_executor.cli.live_wiring import build_live_trader
        from trade_executor.market.fee_tiers import is_concentrated_liquidity

        trader = build_live_trader(
            strategy_file, None, json_rpc_url=json_rpc_url, private_key=private_key, router=uniswap_v2_router, factory=uniswap_v2_factory,
            keystore_file=keystore_file, keystore_password=keystore_password,  # as every live command: a keystore instead of PRIVATE_KEY
            paper=execution_type.is_paper, execution_type=execution_type.value,
        )
        universe = trader.build_universe()
        history = trader.loader.history
        if is_concentrated_liquidity(trader.strategy.exchange_slug):
            from trade_executor.cli.live_commands import route_lines

            for line in route_lines(trader, universe):
                typer.echo(line)
    else:
        from trade_executor.runner.backtest import BacktestOptions, build_universe
        from trade_executor.strategy.context import ExecutionContext, ExecutionMode
        from trade_executor.strategy.module import load_strategy_module

        strategy = load_strategy_module(strategy_file)
        universe = build_universe(strategy, BacktestOptions(), ExecutionContext(ExecutionMode.backtesting, strategy.engine_version))
        history = None
    latest = universe.end.to_pydatetime()
    age = datetime.datetime.now(datetime.UTC).replace(tzinfo=None) - latest
    typer.echo(f"Latest OHLCV candle is at: {latest}, {age} ago")
    if history is not None and hasattr(history, "cached_range"):  # the pool history cache (v2 and v3 pools)
        _echo_cached_ranges(universe, history)
    typer.echo(f"Universe: {universe.describe()}")
    for ticker, gaps in universe.find_gaps().items():
        frame = universe.candles[ticker]
        missing = sum(g.missing for g in gaps)
        typer.echo(f"  {ticker}: {len(frame):,} candles of {format_time_frame(universe.time_frame)}, {len(gaps)} gaps, {missing} missing candles")
        for gap in gaps:
            typer.echo(f"    gap: {gap.missing} missing from {gap.start} to {gap.end}")


def _echo_cached_ranges(universe, history) -> None:
    for ticker, pair in universe.pairs.items():
        cached = history.cached_range(pair.pool_address)
        if cached is not None:
            covered = datetime.datetime.fromtimestamp(cached.last_timestamp or 0, datetime.UTC).replace(tzinfo=None)
            typer.echo(f"Cached {ticker} pool {pair.pool_address}: blocks {cached.first_block:,} to {cached.next_block - 1:,} (to {covered}) in {history.store.root}")
