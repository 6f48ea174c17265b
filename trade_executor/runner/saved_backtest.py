"""A saved backtest read back with what it was run on: its universe, indicators and equity curve.

A backtest's state file keeps its equity curve as segments between trades (``state.statistics``):
the per-cycle curve is the candles' prices times the holdings, rebuilt here from the strategy's own
data over the backtest's dates. ``report`` uses this; so can a notebook::

    state = load_backtest_state(Path("state/eth-usd-sma-backtest.json"))
    calculate_summary(state)
"""

from __future__ import annotations

import logging
from pathlib import Path

import pandas as pd

from trade_executor.errors import ConfigurationError
from trade_executor.market.candles import format_time_frame, parse_time_frame
from trade_executor.runner.backtest import BacktestOptions, BacktestRun, build_universe
from trade_executor.runner.equity import materialise
from trade_executor.state import JSONFileStore, State
from trade_executor.strategy.context import ExecutionContext, ExecutionMode
from trade_executor.strategy.module import load_strategy_module

logger = logging.getLogger(__name__)


def prepared_run(state: State, strategy_path: Path, candle_override: pd.Timedelta | None = None) -> BacktestRun:
    """A BacktestRun set up like the one that wrote ``state`` (not run): its universe, indicators at the last cycle, and pricing."""
    info = state.backtest
    strategy = load_strategy_module(strategy_path)
    if strategy.strategy_id != state.name:
        logger.warning("The state file is of strategy %r, the strategy file %s is %r.", state.name, strategy_path, strategy.strategy_id)
    cycle = parse_time_frame(info.cycle_duration)
    if candle_override is None and cycle > strategy.cycle_duration:
        candle_override = cycle  # the backtest ran a --backtest-candle-time-frame-override smoke run
    options = BacktestOptions(start=pd.Timestamp(info.start_at), end=pd.Timestamp(info.end_at), candle_time_frame_override=candle_override)
    universe = build_universe(strategy, options, ExecutionContext(ExecutionMode.backtesting, strategy.engine_version))
    run = BacktestRun(strategy, universe, options)
    if format_time_frame(run.cycle_duration) != info.cycle_duration:
        raise ConfigurationError(
            f"The backtest in the state ran {info.cycle_duration} cycles, the strategy with these options runs {format_time_frame(run.cycle_duration)}: "
            f"pass the backtest's --backtest-candle-time-frame-override."
        )
    run.indicators.cursor = len(run.timestamps) - 1
    return run


def rebuild_curve(state: State, run: BacktestRun) -> None:
    """Fill the per-cycle equity columns of a loaded backtest state from ``run``'s candles."""
    if state.stats.segments is None:
        return
    if len(run.timestamps) != state.backtest.cycles:
        raise ConfigurationError(
            f"The backtest ran {state.backtest.cycles:,} cycles; {run.strategy.path} now gives {len(run.timestamps):,} over the same dates, "
            "so its equity curve cannot be rebuilt from these candles: run the backtest again."
        )
    materialise(state.stats, run.pricing, run.cycle_times.as_unit("ns").asi8)


def load_backtest_state(state_file: Path, strategy_file: Path | None = None) -> State:
    """A backtest's state file with its per-cycle equity curve rebuilt (from ``strategy_file``, default: the file it ran)."""
    state = JSONFileStore(state_file).load()
    if state.backtest is None:
        raise ConfigurationError(f"State file {state_file} has no backtest section: it is not a backtest's state.")
    if state.stats.segments is not None:
        strategy_path = strategy_file or Path(state.backtest.strategy_file)
        if not strategy_path.exists():
            raise ConfigurationError(
                f"Strategy file {strategy_path} (recorded in {state_file}) does not exist: pass the strategy file "
                "(the equity curve is rebuilt from its candles)."
            )
        rebuild_curve(state, prepared_run(state, strategy_path))
    return state
