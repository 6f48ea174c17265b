"""The backtest loop: a deterministic clock over history, the simulated models, the one cycle.

Per-cycle work is O(open positions): every look-up the loop needs (the candle of each cycle,
the candles closed by it, the stop-loss bars inside it) is computed once, before the loop.
"""

from __future__ import annotations

import datetime
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Protocol

import numpy as np
import pandas as pd

from trade_executor.errors import ConfigurationError, StrategyRuntimeError
from trade_executor.execution.backtest_pricing import BacktestPricing
from trade_executor.execution.backtest_valuation import MarkOnRead
from trade_executor.execution.fill_models import SIMPLE_FILL_MODELS, FillModel, fill_model_named
from trade_executor.execution.gas import CHAIN_GAS_DEFAULTS, GasCostModel, free_gas
from trade_executor.execution.simulated import SimulatedExecutionModel
from trade_executor.market.candles import format_time_frame
from trade_executor.market.cycle_times import BLOCK, CycleTimes
from trade_executor.market.indexes import SharedFloatColumns, index_list, sorted_positions
from trade_executor.market.loader import MarketDataLoader
from trade_executor.market.universe import TradingUniverse
from trade_executor.runner.backtest_triggers import TriggerWatch, watched_position_type
from trade_executor.runner.cycle import StrategyCycle
from trade_executor.runner.equity import SegmentRecorder, materialise
from trade_executor.state import BacktestInfo, BalanceUpdateCause, State
from trade_executor.strategy.context import ExecutionContext, ExecutionMode, UniverseOptions
from trade_executor.strategy.indicators import IndicatorSet, IndicatorValues, closed_candle_counts, compute_indicators
from trade_executor.strategy.input import StrategyInput
from trade_executor.strategy.module import StrategyModule, call_with_supported_arguments
from trade_executor.strategy.position_manager import PositionManager
from trade_executor.strategy.universe_view import ClosedCandlesUniverse

logger = logging.getLogger(__name__)

NOT_MEANINGFUL = "time frames were overridden for a quick smoke run: these figures are not meaningful, only that the code runs."


@dataclass(frozen=True)
class BacktestOptions:
    start: pd.Timestamp | None = None
    end: pd.Timestamp | None = None
    candle_time_frame_override: pd.Timedelta | None = None
    stop_loss_time_frame_override: pd.Timedelta | None = None
    fill_model: str | None = None


def _cycle_datetimes(times: pd.DatetimeIndex) -> Sequence[datetime.datetime]:
    """The cycle times as datetimes: made when read when naive (the usual case), a list when they carry a time zone."""
    if times.tz is not None:
        return list(times.to_pydatetime())
    return CycleTimes(times.as_unit("ns").asi8)


class ProgressHook(Protocol):
    def __call__(self, cycles_done: int) -> int:
        """Show ``cycles_done``; return how many cycles to run before the next call."""


@dataclass
class BacktestResult:
    state: State
    universe: TradingUniverse
    cycles: int
    loop_seconds: float
    warnings: list[str] = field(default_factory=list)


def build_universe(strategy: StrategyModule, options: BacktestOptions, context: ExecutionContext) -> TradingUniverse:
    """Call the strategy's create_trading_universe, then apply the run's time-frame overrides."""
    loader = MarketDataLoader(strategy.chain_id, strategy.exchange_slug, strategy.reserve_currency, base_path=Path.cwd())
    universe_options = UniverseOptions(options.start, options.end, options.candle_time_frame_override, options.stop_loss_time_frame_override)
    try:
        universe = call_with_supported_arguments(
            strategy.create_trading_universe, timestamp=options.start, data=loader, execution_context=context, options=universe_options
        )
    except (ConfigurationError, StrategyRuntimeError):
        raise
    except (Exception, SystemExit) as e:  # sys.exit() in the strategy is a strategy bug, not a quiet end
        if isinstance(e, ValueError) and type(e).__module__.startswith("trade_executor"):
            raise
        raise StrategyRuntimeError(f"create_trading_universe raised {type(e).__name__}: {e}") from e
    if not isinstance(universe, TradingUniverse):
        raise StrategyRuntimeError(f"create_trading_universe must return a TradingUniverse (from data.embedded(...) or data.files(...)), not {type(universe).__name__}.")
    if options.candle_time_frame_override or options.stop_loss_time_frame_override:
        universe = universe.resampled(options.candle_time_frame_override, options.stop_loss_time_frame_override)
    return universe


class BacktestRun:
    """Everything prepared for one backtest; ``run()`` is the timed loop."""

    def __init__(self, strategy: StrategyModule, universe: TradingUniverse, options: BacktestOptions = BacktestOptions()):
        self.strategy = strategy
        self.universe = universe
        self.options = options
        self.warnings: list[str] = []
        if options.candle_time_frame_override or options.stop_loss_time_frame_override:
            self.warnings.append(NOT_MEANINGFUL)
        self.context = ExecutionContext(ExecutionMode.backtesting, strategy.engine_version)
        self.cycle_duration = self._cycle_duration()
        self.cycle_times = self._cycle_grid()
        times_ns = self.cycle_times.as_unit("ns").asi8
        self.timestamps: Sequence[datetime.datetime] = _cycle_datetimes(self.cycle_times)
        self.state = State(name=strategy.strategy_id, created_at=datetime.datetime.now(datetime.UTC).replace(tzinfo=None))
        shared = SharedFloatColumns()  # a float column read by the pricing and the triggers (the opens) is held once
        self.pricing = BacktestPricing(universe, times_ns, shared)
        self.execution = SimulatedExecutionModel(
            self._fill_model(), self._gas_model(), self.pricing, universe, strategy.parameters.minimum_trade_value, strategy.parameters.max_price_impact
        )
        self.valuation = MarkOnRead(self.pricing, self.timestamps)
        self.position_manager = PositionManager(self.state, universe, self.pricing, strategy.parameters.minimum_trade_value, trades_in_flight=False)
        self.indicator_arrays = self._compute_indicators()  # name -> ticker -> values per candle (check-lookahead compares them)
        self.indicators = IndicatorValues(self.indicator_arrays, closed_candle_counts(universe, times_ns), universe)
        strategy_view = ClosedCandlesUniverse(universe, self.indicators, times_ns)  # the engine keeps the full universe
        strategy_input = StrategyInput(
            timestamp=self.timestamps[0], cycle=0, parameters=strategy.parameters, universe=strategy_view, state=self.state,
            indicators=self.indicators, pricing=self.pricing, position_manager=self.position_manager, execution_context=self.context,
        )
        equity = SegmentRecorder(self.state, self.valuation.price_float, self.pricing)
        self.cycle = StrategyCycle(strategy, strategy_input, self.valuation, self.execution, equity=equity)
        self._stop_loss_bars = self._stop_loss_bar_ranges(times_ns, shared)
        step = universe.get_effective_stop_loss_time_frame().to_pytimedelta()
        self.triggers = TriggerWatch(self.state, self.stop_loss_bars, step, self._close_at_trigger, len(self.timestamps) - 1)
        self.position_manager.position_type = watched_position_type(self.valuation.position_type, self.triggers.changes)

    # --- set-up ------------------------------------------------------------------------------

    def _cycle_duration(self) -> pd.Timedelta:
        cycle = self.strategy.cycle_duration
        override = self.options.candle_time_frame_override
        if override is not None and override > cycle:
            cycle = override
        candle = self.universe.time_frame
        if cycle < candle or cycle % candle:
            raise ConfigurationError(
                f"The strategy cycle {format_time_frame(cycle)} does not fit the {format_time_frame(candle)} candles: "
                "the cycle must be a whole multiple of the candle time frame. Use finer data or a longer trading_strategy_cycle."
            )
        stop_loss = self.universe.get_effective_stop_loss_time_frame()
        if stop_loss > cycle:
            raise ConfigurationError(f"Stop-loss candles ({format_time_frame(stop_loss)}) are coarser than the cycle ({format_time_frame(cycle)}); use a stop-loss time frame at most the cycle.")
        return cycle

    def _cycle_grid(self) -> pd.DatetimeIndex:
        parameters = self.strategy.parameters
        start = self.options.start or (pd.Timestamp(parameters.backtest_start) if parameters.backtest_start else None)
        end = self.options.end or (pd.Timestamp(parameters.backtest_end) if parameters.backtest_end else None)
        first, last = self.universe.start, self.universe.end
        start = max(start, first) if start is not None else first
        end = min(end, last) if end is not None else last
        grid = pd.date_range(start.ceil(self.cycle_duration), end, freq=self.cycle_duration)
        if len(grid) == 0:
            raise ConfigurationError(f"No cycles between {start} and {end}: the data covers {first} to {last}. Choose --backtest-start and --backtest-end inside it.")
        return grid

    def _fill_model(self) -> FillModel:
        parameters = self.strategy.parameters
        chosen = bool(self.options.fill_model) or "fill_model" in vars(getattr(self.strategy.module, "Parameters", object))
        name = self.options.fill_model or parameters.fill_model  # the default: each pool's own maths (v2 or v3)
        return fill_model_named(
            name, parameters.simple_fee_rate, parameters.pool_liquidity_usd, self.universe.pairs.values(), chosen=chosen,
            ranges_from_data=bool(self.universe.pool_ranges),
        )

    def _gas_model(self) -> GasCostModel:
        parameters = self.strategy.parameters
        simple = (self.options.fill_model or parameters.fill_model) in SIMPLE_FILL_MODELS
        chain_id = self.strategy.chain_id
        if simple and parameters.gas_units_per_swap is None:
            return free_gas(chain_id)
        symbol, units, gwei = CHAIN_GAS_DEFAULTS.get(chain_id, ("ETH", 150_000, Decimal(1)))
        return GasCostModel(
            native_symbol=symbol,
            gas_units_per_swap=parameters.gas_units_per_swap if parameters.gas_units_per_swap is not None else units,
            gas_price_gwei=parameters.gas_price_gwei if parameters.gas_price_gwei is not None else gwei,
            native_price_usd=parameters.native_token_price_usd,
        )

    def _compute_indicators(self) -> dict:
        create = self.strategy.create_indicators
        if create is None:
            return {}
        try:
            indicator_set = call_with_supported_arguments(
                create, timestamp=None, parameters=self.strategy.parameters, universe=self.universe, execution_context=self.context
            )
        except (Exception, SystemExit) as e:
            if isinstance(e, StrategyRuntimeError):
                raise
            raise StrategyRuntimeError(f"create_indicators raised {type(e).__name__}: {e}") from e
        if not isinstance(indicator_set, IndicatorSet):
            raise StrategyRuntimeError(f"create_indicators must return an IndicatorSet, not {type(indicator_set).__name__}.")
        return compute_indicators(indicator_set, self.universe)

    def _stop_loss_bar_ranges(self, times_ns: np.ndarray, shared: SharedFloatColumns) -> dict[str, tuple]:
        """Per pair: for each cycle, the range of stop-loss bars that open inside it, and the bars' prices.

        Not numpy arrays: the loop reads single values, and a list or memoryview index is several times cheaper.
        """
        ranges = {}
        for ticker in self.universe.pairs:
            arrays = self.universe.get_stop_loss_arrays(ticker)
            lo = index_list(sorted_positions(arrays.timestamps, times_ns))
            hi = index_list(sorted_positions(arrays.timestamps, times_ns + self.cycle_duration.value))
            ranges[ticker] = (lo, hi, shared.floats(arrays.open), shared.floats(arrays.high), shared.floats(arrays.low), arrays.timestamps)
        return ranges

    def stop_loss_bars(self, ticker: str) -> tuple:
        """(first bar per cycle, end bar per cycle, opens, highs, lows, bar open times in ns) of a pair's stop-loss candles."""
        return self._stop_loss_bars[ticker]

    # --- the loop ----------------------------------------------------------------------------

    def run(self, progress: ProgressHook | None = None) -> BacktestResult:
        """Run every cycle; ``progress``, when given, is called between chunks of cycles it sizes itself."""
        state = self.state
        reserve = self.universe.reserve_asset
        state.portfolio.record_balance_update(BalanceUpdateCause.deposit, reserve, self.strategy.parameters.initial_cash, self.timestamps[0], notes="backtest initial cash")
        count = len(self.timestamps)
        started = time.perf_counter()
        done = 0
        while done < count:
            end = count if progress is None else min(count, done + max(1, progress(done)))
            self._run_cycles(done, end)
            done = end
        if progress is not None:
            progress(count)
        elapsed = time.perf_counter() - started
        self.valuation.settle(state.portfolio)  # open positions marked at the last cycle; plain TradingPositions again
        if state.stats.segments is not None:  # the curve was recorded between changes: rebuild it per cycle
            materialise(state.stats, self.pricing, self.cycle_times.as_unit("ns").asi8)
        self.position_manager.position_type = self.valuation.position_type
        self._finish()
        return BacktestResult(state, self.universe, len(self.timestamps), elapsed, self.warnings)

    def _run_cycles(self, first: int, end: int) -> None:
        """Cycles ``first`` to ``end - 1``: the hot loop, with no per-cycle work for the progress display."""
        tick = self.cycle.tick
        pricing, indicators, portfolio = self.pricing, self.indicators, self.state.portfolio
        last = len(self.timestamps) - 1
        watch, changes = self.triggers, self.triggers.changes
        for block in range(first, end, BLOCK):  # the cycles' datetimes are made a block at a time
            for i, timestamp in enumerate(self.timestamps[block : min(end, block + BLOCK)], block):
                pricing.cursor = i
                indicators.cursor = i
                tick(i, timestamp)
                if (
                    portfolio.open_positions
                    and i < last
                    and (i >= watch.next_cycle or changes.count != watch.seen_changes or portfolio.next_trade_id != watch.seen_trade_id)
                ):
                    watch.check(i)

    def _close_at_trigger(self, position, when: datetime.datetime, price: Decimal, kind, level: Decimal) -> None:
        self.position_manager.timestamp = when
        trades = self.position_manager.close_position_at(position, price, trade_type=kind, trigger_price=level, notes=f"{kind.value} at {level:.6f}")
        self.execution.execute_trades(when, self.state, trades)

    def _finish(self) -> None:
        state = self.state
        gaps = self.universe.find_gaps()
        start, end = self.timestamps[0], self.timestamps[-1]
        state.backtest = BacktestInfo(
            strategy_file=str(self.strategy.path),
            start_at=start,
            end_at=end,
            cycle_duration=format_time_frame(self.cycle_duration),
            stop_loss_time_frame=format_time_frame(self.universe.get_effective_stop_loss_time_frame()),
            fill_model=self.execution.describe(),
            cycles=len(self.timestamps),
            warnings=list(self.warnings),
            data_gaps={t: sum(g.missing for g in found if start <= g.start.to_pydatetime() <= end) for t, found in gaps.items()},
            skipped_trades=self.position_manager.skipped_trades + self.execution.skipped_trades,
        )
        state.last_updated_at = datetime.datetime.now(datetime.UTC).replace(tzinfo=None)
