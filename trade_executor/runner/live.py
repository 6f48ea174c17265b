"""The live trader: the same strategy module and cycle as a backtest, with live models plugged in.

Plugs a venue (runner/venue.py: a hot wallet on Uniswap v2 or v3, both for a mixed universe, or paper fills on the same pools)
into the one tick cycle, keeps the state file up to date at every step that must survive a
crash, and schedules cycles and the stop-loss checks between them.
"""

from __future__ import annotations

import datetime
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import pandas as pd
from pydantic import SecretStr

from trade_executor.errors import ConfigurationError, StopError
from trade_executor.execution.guards import DEFAULT_MAX_PRICE_DEVIATION
from trade_executor.execution.uniswap_v2.recovery import UnresolvedPolicy
from trade_executor.runner.control import ControlQueue
from trade_executor.runner.cycle import StrategyCycle
from trade_executor.runner.observers import CycleReport, LiveObserver, ObserverGroup
from trade_executor.runner.outage import DEFAULT_TOLERANCE_SECONDS
from trade_executor.runner.pause import approval_while_paused
from trade_executor.runner.venue import LiveVenue, build_venue
from trade_executor.state import LiveInfo, State, TradeExecution
from trade_executor.state.journaled_store import JournaledStore
from trade_executor.strategy.context import ExecutionContext, ExecutionMode, UniverseOptions
from trade_executor.strategy.indicators import IndicatorSet, IndicatorValues, closed_candle_counts, compute_indicators
from trade_executor.strategy.input import StrategyInput
from trade_executor.strategy.module import StrategyModule, call_with_supported_arguments, load_strategy_module
from trade_executor.strategy.position_manager import PositionManager
from trade_executor.strategy.triggers import check_bar
from trade_executor.strategy.universe_view import ClosedCandlesUniverse

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class LiveConfig:
    strategy_file: Path
    state_file: Path | None
    json_rpc_url: SecretStr
    private_key: SecretStr | None  # None for a paper run: nothing signs
    router: str
    factory: str
    tokens: dict[str, str]
    intermediaries: tuple[str, ...] = ()
    confirmation_block_count: int = 1
    confirmation_timeout: float = 60.0
    unresolved_policy: UnresolvedPolicy = UnresolvedPolicy.rebroadcast
    cycle_offset_minutes: float = 0.0
    max_data_delay_minutes: float | None = None
    position_trigger_check_minutes: float = 1.0
    run_single_cycle: bool = False
    max_cycles: int | None = None
    min_gas_balance: Decimal = Decimal(0)
    approve: Callable[[list[TradeExecution]], list[TradeExecution]] | None = None
    from_block: int = 0  # 0: the first block the strategy's history needs, found by time
    cache_path: Path = Path("cache")
    clock: Callable[[], datetime.datetime] = field(default=lambda: datetime.datetime.now(datetime.UTC).replace(tzinfo=None))
    observers: tuple[LiveObserver, ...] = ()
    max_price_deviation: Decimal | None = DEFAULT_MAX_PRICE_DEVIATION
    twap_window_minutes: float | None = None  # default: 15 minutes, or the strategy's cycle when that is shorter
    price_reference: str = "twap"  # "spot" only on a chain no one else trades on (the replay)
    rpc_outage_tolerance_seconds: float = DEFAULT_TOLERANCE_SECONDS
    cycle_watchdog_minutes: float | None = None  # default: half a cycle, between 5 and 30 minutes
    control: ControlQueue | None = None  # the webhook's control commands, run between steps (runner/control.py)
    execution_type: str | None = None  # None: the hot wallet of the strategy's exchange; uniswap_v2_hot_wallet / uniswap_v3_hot_wallet (checked against it); "paper" (runner/paper_venue.py)
    uniswap_v3_factory: str | None = None  # a strategy on a v3 exchange trades through these (runner/v3_venue.py)
    uniswap_v3_swap_router_02: str | None = None
    uniswap_v3_quoter_v2: str | None = None  # not called by the trading: quotes come from the pools' state, equal to QuoterV2's


class LiveTrader:
    def __init__(self, config: LiveConfig, strategy: StrategyModule | None = None, loader=None):
        """``loader`` replaces the chain-backed market data (the replay feeds history through it)."""
        self.config = config
        self.observers = ObserverGroup(config.observers)
        self.strategy = strategy or load_strategy_module(config.strategy_file)
        self.venue: LiveVenue = build_venue(config, self.strategy, lambda: self.save(), loader)
        venue = self.venue  # the parts, under the names the commands and tests use
        self.web3, self.wallet, self.routing, self.oracle = venue.web3, venue.wallet, venue.routing, venue.oracle
        self.pricing = self.live_pricing = venue.pricing
        self.valuation, self.execution, self.loader, self.reserve = venue.valuation, venue.execution, venue.loader, venue.loader.reserve_asset
        self.store = JournaledStore(config.state_file or Path("state") / f"{self.strategy.strategy_id}.json", on_saved=self.observers.state_saved if self.observers else None)
        self.state = self._load_or_create_state()
        self.context = ExecutionContext(ExecutionMode.real_trading, self.strategy.engine_version)
        self.universe = None

    # --- state ---------------------------------------------------------------------------------

    def _load_or_create_state(self) -> State:
        """The file's live run, or a new one. A backtest's file, or a run on another chain or wallet, is refused before anything is written."""
        if self.store.exists():
            state = self.store.load()
            if state.backtest is not None:
                from trade_executor.state.ownership import describe_run

                raise ConfigurationError(
                    f"State file {self.store.path} holds {describe_run(state)}, not a live run; a live command never writes into it (it was not modified). "
                    f"Fix: point STATE_FILE (or --state-file) at the live run's file (by default state/{self.strategy.strategy_id}.json)."
                )
        else:
            now = self.config.clock()
            state = State(name=self.strategy.strategy_id, created_at=now, live=LiveInfo())
        state.live = state.live or LiveInfo()
        if state.live.chain_id is not None and state.live.chain_id != self.strategy.chain_id:
            raise ConfigurationError(f"State file {self.store.path} is a live run on chain {state.live.chain_id}; this strategy trades on chain {self.strategy.chain_id}. Use the STATE_FILE of this chain's run.")
        self.venue.treasury.claim(state, self.store.path)  # a paper run's file is never a live one's, nor the reverse
        state.live.chain_id = self.strategy.chain_id
        return state

    def save(self, *, safe_point: bool = False) -> None:
        """Record the state on disk (a journal record); at a ``safe_point`` (no trade under way) the store may compact."""
        self.state.last_updated_at = self.config.clock()
        self.store.save(self.state, safe_point=safe_point)

    # --- start-up ------------------------------------------------------------------------------

    def recover(self) -> list[str]:
        """Resolve whatever a previous run left unfinished, before anything else trades; log what the run resumes from."""
        from trade_executor.runner.resume import describe_resume

        if self.store.exists():
            logger.info("%s", describe_resume(self.state, self.store.path))
        else:
            logger.info("New state file %s: nothing to resume", self.store.path)
        report = self.venue.treasury.recover(self.state)
        for line in report:
            logger.warning("Recovery: %s", line)
        self.save()
        return report

    def build_universe(self):
        options = UniverseOptions()
        universe = call_with_supported_arguments(self.strategy.create_trading_universe, timestamp=self.config.clock(), data=self.loader, execution_context=self.context, options=options)
        self.universe = universe
        return universe

    def confirmed_head(self) -> int:
        """The newest block with CONFIRMATION_BLOCK_COUNT confirmations: what the books are brought up to."""
        return max(0, self.web3.eth.block_number - (self.config.confirmation_block_count - 1))

    def settle_mined(self, head: int | None = None) -> int:
        """Settle trades sent earlier that the chain has mined by ``head``; the rest stay pending in the books."""
        if not any(p.has_pending_trades() for p in self.state.portfolio.open_positions.values()) and not self.state.portfolio.frozen_positions:
            return head if head is not None else 0
        head = self.confirmed_head() if head is None else head
        for trade in self.venue.treasury.settle_mined(self.state, head):
            logger.info("Trade #%d %s sent earlier is now settled from the chain: %s", trade.trade_id, trade.pair.ticker, trade.status.value)
        return head

    def sync_and_check(self, timestamp: datetime.datetime) -> None:
        """Bring the books up to one confirmed block (mined trades, deposits) and compare them with the chain there."""
        head = self.confirmed_head()
        self.settle_mined(head)
        for note in self.venue.treasury.sync_and_check(self.state, timestamp, head):
            logger.info("Treasury: %s", note)

    def read_prices(self, universe, timestamp: datetime.datetime) -> None:
        """Point the reference prices at this universe and moment, and read every pool in one batch."""
        self.live_pricing.universe, self.live_pricing.now = universe, timestamp
        self.observe_pools(universe.pairs.values())

    def observe_pools(self, pairs) -> None:
        """One batch read of every pool the pairs trade through: a TWAP reading, and the spot for this pass."""
        self.venue.observe_pairs(pairs)

    def check_gas(self) -> Decimal | None:
        balance = self.venue.treasury.check_gas()
        if balance is not None:
            self.observers.gas_checked(balance)
        return balance

    # --- the cycle -----------------------------------------------------------------------------

    def run_cycle(self, timestamp: datetime.datetime) -> list[TradeExecution]:
        """One live tick: fresh universe and indicators, then the same cycle a backtest runs."""
        started = time.perf_counter()
        step_seconds: dict[str, float] = {}
        self.check_gas()
        universe = self.build_universe()
        self._check_data_age(universe, timestamp)
        times_ns = pd.DatetimeIndex([timestamp]).as_unit("ns").asi8
        computed = {}
        if self.strategy.create_indicators is not None:
            indicator_set = call_with_supported_arguments(self.strategy.create_indicators, timestamp=timestamp, parameters=self.strategy.parameters, universe=universe, execution_context=self.context)
            if not isinstance(indicator_set, IndicatorSet):
                raise StopError("create_indicators must return an IndicatorSet.")
            computed = compute_indicators(indicator_set, universe)
        indicators = IndicatorValues(computed, closed_candle_counts(universe, times_ns), universe)
        self.read_prices(universe, timestamp)
        position_manager = PositionManager(self.state, universe, self.pricing, self.strategy.parameters.minimum_trade_value)
        view = ClosedCandlesUniverse(universe, indicators, times_ns)  # the candle still forming is not the strategy's to see
        strategy_input = StrategyInput(timestamp, self.state.cycle + 1, self.strategy.parameters, view, self.state, indicators, self.pricing, position_manager, self.context)
        cycle = StrategyCycle(
            self.strategy, strategy_input, self.valuation, self.execution,
            sync_treasury=lambda ts, state: self.sync_and_check(ts), approve=approval_while_paused(self.state, self.config.approve),
            step_seconds=step_seconds if self.observers else None,
        )
        try:
            trades = cycle.tick(self.state.cycle + 1, timestamp)
        finally:
            self.routing.end_snapshot()
        self.state.live.last_cycle_at = timestamp
        self.state.live.cycles_completed += 1
        self.save(safe_point=True)
        equity = self.state.stats.total_equity[-1] if self.state.stats.total_equity else 0.0
        logger.info("Cycle %d at %s: %d trade(s), equity %.2f %s, %.2f s", self.state.cycle, timestamp, len(trades), equity, self.reserve.token_symbol, time.perf_counter() - started)
        if self.observers:
            if trades:
                self.observers.trades_executed(trades, self.state)
            report = CycleReport(self.state.cycle, timestamp, trades, time.perf_counter() - started, step_seconds)
            self.observers.cycle_finished(report, self.state)
        return trades

    def _check_data_age(self, universe, timestamp: datetime.datetime) -> None:
        limit = self.config.max_data_delay_minutes
        if limit is None:  # the default: three cycles, at least 15 minutes (a candle may be late, a pool quiet for a while)
            limit = max(3 * self.strategy.cycle_duration.total_seconds() / 60, 15)
        latest = universe.end.to_pydatetime() + universe.time_frame.to_pytimedelta()
        age = timestamp - latest
        if age > datetime.timedelta(minutes=limit):
            raise StopError(f"The latest candle closed at {latest}, {age} before this cycle ({timestamp}); MAX_DATA_DELAY_MINUTES is {limit}. Refusing to trade on stale data: check the market data (node, pools).")

    def check_triggers(self, timestamp: datetime.datetime) -> list[TradeExecution]:
        """Between cycles: close positions whose stop loss or take profit the reference price has crossed.

        The pools are read (one batch) even when nothing needs checking, so the price reference
        keeps its history; trades sent earlier and mined since are settled first.
        """
        if self.universe is None:
            if self.observers:
                self.observers.triggers_checked(timestamp, [], self.state)
            return []
        self.settle_mined()
        portfolio = self.state.portfolio
        trades = []
        self.live_pricing.now = timestamp
        self.observe_pools(self.universe.pairs.values())
        try:
            candidates = [p for p in portfolio.open_positions.values() if p.stop_loss is not None or p.take_profit is not None]
            position_manager = PositionManager(self.state, self.universe, self.pricing, self.strategy.parameters.minimum_trade_value)
            position_manager.begin_cycle(timestamp)
            for position in candidates:
                reference = self.pricing.get_mid_price(position.pair)
                if reference is None:  # no price now (a gap in replayed history, no reference yet): nothing to check against
                    continue
                price = float(reference)
                fired = check_bar(position, price, price, price)
                if fired is not None:
                    kind, _, level = fired
                    trades += position_manager.close_position_at(position, Decimal(repr(price)), trade_type=kind, trigger_price=level, notes=f"{kind.value} at {level:.6f}")
            if trades:
                self.execution.execute_trades(timestamp, self.state, trades)
                self.save()
        finally:
            self.routing.end_snapshot()
        if self.observers:
            if trades:
                self.observers.trades_executed(trades, self.state)
            self.observers.triggers_checked(timestamp, trades, self.state)
        return trades

    # --- scheduling ----------------------------------------------------------------------------

    def next_cycle_at(self, now: datetime.datetime) -> datetime.datetime:
        period = self.strategy.cycle_duration.to_pytimedelta()
        epoch = datetime.datetime(1970, 1, 1)
        boundary = epoch + ((now - epoch) // period + 1) * period
        return boundary + datetime.timedelta(minutes=self.config.cycle_offset_minutes)

    def run(self) -> int:
        """Run cycles and trigger checks on the schedule until MAX_CYCLES, RUN_SINGLE_CYCLE or SIGTERM (see live_loop.py)."""
        from trade_executor.runner.live_loop import LiveLoop

        return LiveLoop(self).run()
