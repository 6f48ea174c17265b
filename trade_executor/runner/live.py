"""The live trader: the same strategy module and cycle as a backtest, with live models plugged in.

Wires a hot wallet, Uniswap v2 routing, pricing and execution to the one tick cycle, keeps
the state file up to date at every step that must survive a crash, and schedules cycles and
the stop-loss checks between them.
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

from trade_executor.chain.connection import check_chain_id, create_web3
from trade_executor.chain.rpc_calls import RpcCaller
from trade_executor.chain.transactions import TransactionBuilder
from trade_executor.chain.wallet import HotWallet
from trade_executor.errors import ConfigurationError, StopError
from trade_executor.execution.guards import DEFAULT_MAX_PRICE_DEVIATION
from trade_executor.execution.uniswap_v2.execution_model import UniswapV2ExecutionModel
from trade_executor.execution.uniswap_v2.live_data import ChainMarketDataLoader
from trade_executor.execution.uniswap_v2.live_pool_history import LivePoolHistory
from trade_executor.execution.uniswap_v2.live_pricing import UniswapV2LivePricing, UniswapV2PoolRevaluator
from trade_executor.execution.uniswap_v2.oracle import TwapOracle, read_pools
from trade_executor.execution.uniswap_v2.recovery import UnresolvedPolicy, recover, settle_mined
from trade_executor.execution.uniswap_v2.routing import UniswapV2Routing
from trade_executor.execution.uniswap_v2.treasury import check_accounts, sync_treasury
from trade_executor.market.pool_history import PoolHistoryStore
from trade_executor.runner.control import ControlQueue
from trade_executor.runner.cycle import StrategyCycle
from trade_executor.runner.history_need import required_history
from trade_executor.runner.observers import CycleReport, LiveObserver, ObserverGroup
from trade_executor.runner.outage import DEFAULT_TOLERANCE_SECONDS
from trade_executor.runner.pause import approval_while_paused
from trade_executor.state import LiveInfo, ReservePosition, State, TradeExecution
from trade_executor.state.journaled_store import JournaledStore
from trade_executor.strategy.context import ExecutionContext, ExecutionMode, UniverseOptions
from trade_executor.strategy.indicators import IndicatorSet, IndicatorValues, closed_candle_counts, compute_indicators
from trade_executor.strategy.input import StrategyInput
from trade_executor.strategy.module import StrategyModule, call_with_supported_arguments, load_strategy_module
from trade_executor.strategy.position_manager import PositionManager
from trade_executor.strategy.triggers import check_bar
from trade_executor.strategy.universe_view import ClosedCandlesUniverse

logger = logging.getLogger(__name__)

DEFAULT_TWAP_WINDOW_SECONDS = 15 * 60


@dataclass(frozen=True)
class LiveConfig:
    strategy_file: Path
    state_file: Path | None
    json_rpc_url: SecretStr
    private_key: SecretStr
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


class LiveTrader:
    def __init__(self, config: LiveConfig, strategy: StrategyModule | None = None, loader=None):
        """``loader`` replaces the chain-backed market data (the replay feeds history through it)."""
        self.config = config
        self.observers = ObserverGroup(config.observers)
        self.strategy = strategy or load_strategy_module(config.strategy_file)
        self.web3 = create_web3(config.json_rpc_url.get_secret_value())
        check_chain_id(self.web3, self.strategy.chain_id)
        self.wallet = HotWallet(config.private_key.get_secret_value())
        self.builder = TransactionBuilder(self.web3, self.wallet)
        self.routing = UniswapV2Routing(self.web3, config.factory, config.router, intermediaries=config.intermediaries)
        window = config.twap_window_minutes * 60 if config.twap_window_minutes else min(DEFAULT_TWAP_WINDOW_SECONDS, self.strategy.cycle_duration.total_seconds())
        self.oracle = TwapOracle(self.web3, window_seconds=max(1, int(window))) if config.price_reference == "twap" else None
        self.pricing = self.live_pricing = UniswapV2LivePricing(self.routing, self.oracle, reference=config.price_reference)
        self.valuation = UniswapV2PoolRevaluator(self.pricing)
        self.store = JournaledStore(config.state_file or Path("state") / f"{self.strategy.strategy_id}.json", on_saved=self.observers.state_saved if self.observers else None)
        self.state = self._load_or_create_state()
        self.loader = loader or ChainMarketDataLoader(
            self.web3, self.routing, chain_id=self.strategy.chain_id, exchange_slug=self.strategy.exchange_slug,
            reserve_symbol=self.strategy.reserve_currency, tokens=config.tokens, time_frame=self.strategy.cycle_duration,
            history=LivePoolHistory(
                RpcCaller(self.web3.provider), PoolHistoryStore(config.cache_path), self.strategy.chain_id,
                history_seconds=int(required_history(self.strategy).total_seconds()), confirmations=config.confirmation_block_count,
                from_block=config.from_block or None,
            ),
        )
        self.reserve = self.loader.reserve_asset
        parameters = self.strategy.parameters
        self.execution = UniswapV2ExecutionModel(
            self.web3, self.builder, self.routing, self.save, pricing=self.pricing, confirmations=config.confirmation_block_count,
            confirmation_timeout=config.confirmation_timeout, slippage_tolerance=parameters.slippage_tolerance,
            max_price_deviation=config.max_price_deviation, max_price_impact=parameters.max_price_impact,
            native_price=self._native_price, clock=config.clock,
        )
        self.context = ExecutionContext(ExecutionMode.real_trading, self.strategy.engine_version)
        self.universe = None
        self._weth: str | None = None

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
        if state.live.hot_wallet and state.live.hot_wallet != self.wallet.address:
            raise ConfigurationError(f"State file {self.store.path} belongs to hot wallet {state.live.hot_wallet}, not {self.wallet.address}. Use the right PRIVATE_KEY or another STATE_FILE.")
        state.live.hot_wallet = self.wallet.address
        state.live.chain_id = self.strategy.chain_id
        return state

    def save(self, *, safe_point: bool = False) -> None:
        """Record the state on disk (a journal record); at a ``safe_point`` (no trade under way) the store may compact."""
        self.state.last_updated_at = self.config.clock()
        self.store.save(self.state, safe_point=safe_point)

    def _native_price(self) -> Decimal | None:
        """USD price of the gas token, from the reserve/WETH pool; the router's WETH is asked once."""
        weth = self._weth
        if weth is None:
            weth = self._weth = self.routing.router.functions.WETH().call()
        try:
            route = self.routing.route(self.reserve.address, weth)
        except ConfigurationError:
            return None
        return self.routing.mid_price(route, 18, self.reserve.decimals)

    # --- start-up ------------------------------------------------------------------------------

    def recover(self) -> list[str]:
        """Resolve whatever a previous run left unfinished, before anything else trades; log what the run resumes from."""
        from trade_executor.runner.resume import describe_resume

        if self.store.exists():
            logger.info("%s", describe_resume(self.state, self.store.path))
        else:
            logger.info("New state file %s: nothing to resume", self.store.path)
        report = recover(self.state, self.execution, self.config.unresolved_policy)
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
        for trade in settle_mined(self.state, self.execution, head):
            logger.info("Trade #%d %s sent earlier is now settled from the chain: %s", trade.trade_id, trade.pair.ticker, trade.status.value)
        return head

    def sync_and_check(self, timestamp: datetime.datetime) -> None:
        """Bring the books up to one confirmed block (mined trades, deposits) and compare them with the chain there."""
        head = self.confirmed_head()
        self.settle_mined(head)
        notes = sync_treasury(self.web3, self.state, self.wallet.address, self.reserve, timestamp, to_block=head)
        for note in notes:
            logger.info("Treasury: %s", note)
        if not self.state.portfolio.reserves:
            self.state.portfolio.reserves[self.reserve.address] = ReservePosition(self.reserve, Decimal(0), timestamp)
        check_accounts(self.web3, self.state, self.wallet.address, block=head)

    def read_prices(self, universe, timestamp: datetime.datetime) -> None:
        """Point the reference prices at this universe and moment, and read every pool in one batch."""
        self.live_pricing.universe, self.live_pricing.now = universe, timestamp
        self.observe_pools(universe.pairs.values())

    def observe_pools(self, pairs) -> None:
        """One batch read of every pool the pairs trade through: a TWAP reading, and the spot for this pass."""
        pools = [pool for pair in pairs for pool in self.live_pricing.buy_route(pair).pools]
        if self.oracle is not None:
            readings = self.oracle.observe(pools)
        else:
            readings = read_pools(self.web3, list(dict.fromkeys(pools)), "latest")[1] if pools else {}
        self.routing.use_snapshot({pool: (r.reserve0, r.reserve1) for pool, r in readings.items()})

    def check_gas(self) -> Decimal:
        balance = Decimal(self.web3.eth.get_balance(self.wallet.address)).scaleb(-18)
        if balance < self.config.min_gas_balance:
            raise StopError(f"The hot wallet {self.wallet.address} has {balance} of the native token for gas, below MIN_GAS_BALANCE {self.config.min_gas_balance}. Top it up.")
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
