"""The replay: the backtest, then the same history traded live on anvil, then both side by side.

For each cycle T of the backtest: the chain's clock is set to T, each pool is moved to the
historical price at T by an arbitrage swap and its reserves set to the backtest's pool model (a
v3 pool: a swap to the exact sqrt price), then the real live cycle runs (live models, hot wallet,
router, receipts, state store). Each pair is on its own exchange's pools (venues.py): a universe
mixing v2 and v3 pairs gets both exchanges on the one chain, and the live trader both venues.
Between cycles each stop-loss candle is replayed as a price path (through the open when it is
beyond a level, the stop level, the low, the take-profit level, the high) with the live
trigger check at each point, as the backtest reads the candle's high and low.
"""

from __future__ import annotations

import datetime
import logging
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from decimal import Decimal
from pathlib import Path

import pandas as pd
from pydantic import SecretStr

from trade_executor.chain.connection import create_web3
from trade_executor.chain.wallet import HotWallet
from trade_executor.devnet.anvil import ANVIL_CHAIN_ID, ANVIL_PRIVATE_KEYS, Anvil
from trade_executor.errors import ConfigurationError
from trade_executor.execution.fill_models import CONCENTRATED_LIQUIDITY
from trade_executor.market.fee_tiers import is_concentrated_liquidity
from trade_executor.market.universe import TradingUniverse
from trade_executor.replay.checkpoint import Checkpoints
from trade_executor.replay.data import ReplayDataLoader
from trade_executor.replay.venues import PoolSetters, ReplayDeployment, deploy_venues, on_chain, replay_v3_exchange, v3_tickers
from trade_executor.runner.backtest import BacktestOptions, BacktestRun, build_universe
from trade_executor.runner.live import LiveConfig, LiveTrader
from trade_executor.state import State
from trade_executor.state.lock import lock_state_file
from trade_executor.state.ownership import REPLAY, check_replaceable
from trade_executor.state.store import remove_state_file
from trade_executor.strategy.context import ExecutionContext, ExecutionMode
from trade_executor.strategy.module import StrategyModule, load_strategy_module
from trade_executor.strategy.parameters import StrategyParameters

logger = logging.getLogger(__name__)

HOT_WALLET_KEY = ANVIL_PRIVATE_KEYS[1]
TIP_GWEI = Decimal(1)  # anvil runs with base fee 0, so every transaction pays exactly the 1 gwei tip
SWAP_GAS_UNITS = 110_000  # what a Uniswap v2 swap uses on anvil, give or take a few thousand
# A router's multicall(exactInputSingle) on anvil, by exchange: SwapRouter02 117k to 122k measured; PancakeSwap's
# router stand-in on PancakeV3Pool 125k to 130k (164k the wallet's first swap of a replay).
V3_SWAP_GAS_UNITS = {"uniswap-v3": 120_000, "pancakeswap-v3": 130_000}


@dataclass(frozen=True)
class ReplayOptions:
    strategy_file: Path
    state_file: Path
    start: pd.Timestamp | None = None
    end: pd.Timestamp | None = None
    progress: Callable[[int, int], None] | None = None
    resume: bool = False
    checkpoint_every: int = 168  # a week of hourly cycles: each anvil dump carries the chain's whole history


@dataclass
class TradeRow:
    opened_at: datetime.datetime
    ticker: str
    side: str
    trade_type: str
    backtest_price: Decimal | None
    live_price: Decimal | None
    backtest_lp_fee: Decimal | None
    live_lp_fee: Decimal | None
    live_unfilled: str | None = None  # "skipped"/"failed" when the live (paper) run decided this trade and it moved no tokens

    @property
    def price_difference(self) -> float | None:
        if self.backtest_price is None or self.live_price is None:
            return None
        return float(self.live_price / self.backtest_price - 1)


@dataclass
class Comparison:
    rows: list[TradeRow]
    decisions_match: bool
    backtest_equity: Decimal
    live_equity: Decimal
    live_gas_usd: Decimal
    mismatches: list[str] = field(default_factory=list)

    @property
    def equity_difference(self) -> float:
        return float((self.live_equity - self.live_gas_usd) / self.backtest_equity - 1)

    @property
    def worst_price_difference(self) -> float:
        differences = [abs(r.price_difference) for r in self.rows if r.price_difference is not None]
        return max(differences, default=0.0)


@dataclass
class ReplayResult:
    backtest: State
    live: State
    comparison: Comparison
    cycles: int
    seconds: float
    pool_moves: int
    deployment: ReplayDeployment | None = None  # the replay chain's exchanges (the chain itself is gone)


def backtest_variant(strategy: StrategyModule, universe: TradingUniverse | None = None) -> StrategyModule:
    """The strategy as the replay backtests it: its pools' own maths (x*y=k, or v3's), gas priced as on the replay chain (its exchange's router).

    A universe that mixes v2 and v3 pairs fills each with its own pool's maths (on_chain in venues.py sets the model) and is
    charged one gas figure per swap, between the two venues' (the backtest's gas model has one).
    """
    values = strategy.parameters.as_dict()
    slugs = [p.exchange_slug for p in universe.pairs.values()] if universe is not None else [strategy.exchange_slug]
    kinds = {is_concentrated_liquidity(slug) for slug in slugs}
    v3_slug = next((slug.lower() for slug in slugs if is_concentrated_liquidity(slug)), "uniswap-v3")
    v3_gas = V3_SWAP_GAS_UNITS.get(v3_slug, V3_SWAP_GAS_UNITS["uniswap-v3"])
    if kinds == {True}:
        values.update(fill_model=CONCENTRATED_LIQUIDITY, gas_units_per_swap=v3_gas, gas_price_gwei=TIP_GWEI)
    elif kinds == {False}:
        values.update(fill_model="constant_product", gas_units_per_swap=SWAP_GAS_UNITS, gas_price_gwei=TIP_GWEI)
    else:
        values.update(fill_model="constant_product", gas_units_per_swap=(SWAP_GAS_UNITS + v3_gas) // 2, gas_price_gwei=TIP_GWEI)
    return replace(strategy, parameters=StrategyParameters(values))


def run_replay(options: ReplayOptions) -> ReplayResult:
    """Replay with the state file locked; a file that holds anything but a replay (a live run!) is refused before anything runs."""
    with lock_state_file(options.state_file, "trade-executor replay"):
        check_replaceable(options.state_file, REPLAY, f"give --state-file=PATH for the replay (without it the replay writes state/{options.strategy_file.stem}-replay.json)")
        return _run_replay(options)


def _run_replay(options: ReplayOptions) -> ReplayResult:
    started = time.monotonic()
    strategy = load_strategy_module(options.strategy_file)
    context = ExecutionContext(ExecutionMode.backtesting, strategy.engine_version)
    backtest_options = BacktestOptions(start=options.start, end=options.end)
    universe = build_universe(strategy, backtest_options, context)
    replay_v3_exchange(universe)  # a v3 exchange the devnet cannot deploy is refused before anything runs
    strategy = backtest_variant(strategy, universe)
    run = BacktestRun(strategy, universe, backtest_options)
    constant = getattr(run.execution.fill_model, "liquidity_usd", None)

    def liquidity(pair) -> Decimal:
        """The pool model's quote-side liquidity now: the data's series, else the strategy's constant."""
        value = run.pricing.get_liquidity(pair) or constant
        if value is None:
            raise ConfigurationError("The replay needs each pool's liquidity: set Parameters.pool_liquidity_usd or give the candles a liquidity column.")
        return value

    v3 = bool(v3_tickers(universe))
    run.pricing.cursor = 0
    first_liquidity = liquidity(next(iter(universe.pairs.values())))
    backtest = None if v3 else run.run()  # v3 pools' backtest fills with the deployed pools' liquidity: after the deployment
    decimals = {p.base.token_symbol: p.base.decimals for p in universe.pairs.values()}  # the chain's tokens as the backtest counts them
    first = run.timestamps[0]
    checkpoints = Checkpoints(
        options.state_file.with_name(options.state_file.name + ".replay"),
        {"strategy_file": str(options.strategy_file), "start": str(run.timestamps[0]), "end": str(run.timestamps[-1])},
    )
    resumed = checkpoints.load() if options.resume else None
    if resumed is None:
        checkpoints.clear()
        remove_state_file(options.state_file)  # a new replay starts from an empty state
    with Anvil(timestamp=int(_unix(first)) - 3600, base_fee=0, balance=10**12) as anvil:
        web3 = create_web3(anvil.url)
        deployer = HotWallet(ANVIL_PRIVATE_KEYS[0])
        run.pricing.cursor = 0
        if resumed is not None:
            start_cycle, chain_dump, saved_state, deployment = resumed
            anvil.rpc("anvil_loadState", chain_dump)
            options.state_file.parent.mkdir(parents=True, exist_ok=True)
            remove_state_file(options.state_file)  # the killed run's journal extends a later state than the checkpoint's
            shutil.copyfile(saved_state, options.state_file)
            logger.warning("Resuming the replay at cycle %d of %d", start_cycle + 1, len(run.timestamps))
        else:
            start_cycle = 0
            prices = {p.base.token_symbol: run.pricing.get_last_known_price(p) for p in universe.pairs.values()}
            deployment = deploy_venues(
                web3, deployer, universe, prices=prices, liquidity_usd=first_liquidity,
                fund_address=HotWallet(HOT_WALLET_KEY).address, fund_usdc=strategy.parameters.initial_cash, fund_native=Decimal(1_000),
                decimals=decimals,
            )
        live_universe, venue_options, pools, fill_model = on_chain(web3, deployer, deployment, universe, decimals, run.execution.fill_model)
        if fill_model is not None:
            run.execution.fill_model = fill_model
        backtest = backtest or run.run()
        now = [run.timestamps[start_cycle]]
        config = LiveConfig(
            strategy_file=options.strategy_file, state_file=options.state_file, json_rpc_url=SecretStr(anvil.url),
            private_key=SecretStr(HOT_WALLET_KEY), tokens=deployment.tokens, **venue_options,
            confirmation_timeout=30, clock=lambda: now[0], price_reference="spot",  # the replay moves every pool itself: no one to manipulate them
        )
        trader = LiveTrader(config, replace(strategy, chain_id=ANVIL_CHAIN_ID), loader=ReplayDataLoader(live_universe))
        trader.state.live.rehearsal = REPLAY  # before the first save: this file is never taken for a real live state
        trader.pricing = _GapAware(trader.pricing, run)
        trader.recover()
        last = len(run.timestamps) - 1
        for i in range(start_cycle, len(run.timestamps)):
            timestamp = run.timestamps[i]
            run.pricing.cursor = i
            now[0] = timestamp
            anvil.rpc("evm_mine", int(_unix(timestamp)))  # the chain's clock is the cycle's: deadlines count from it
            for ticker, pair in universe.pairs.items():
                price = run.pricing.get_mid_price(pair)
                if price is not None:
                    pools.set_pool(ticker, price, liquidity(pair))
            trader.run_cycle(timestamp)
            if i < last and trader.state.portfolio.open_positions:
                _replay_triggers(run, i, trader, pools, {t: liquidity(p) for t, p in universe.pairs.items()}, anvil, now)
            if (i + 1) % options.checkpoint_every == 0 and i < last:
                trader.save()
                trader.store.finish(trader.state)  # the journal folded in: the checkpoint copies the state file alone
                checkpoints.save(i + 1, anvil.rpc("anvil_dumpState"), options.state_file, deployment)
            if options.progress:
                options.progress(i + 1, len(run.timestamps))
        trader.store.finish(trader.state)  # the finished replay's state file alone holds it
        live_state = trader.state
    comparison = compare(backtest.state, live_state)
    return ReplayResult(backtest.state, live_state, comparison, len(run.timestamps), time.monotonic() - started, pools.swaps, deployment)


def _unix(timestamp: datetime.datetime) -> float:
    return timestamp.replace(tzinfo=datetime.UTC).timestamp()


class _GapAware:
    """Live prices, but no price for a pair whose historical candle is missing: the backtest skips those."""

    def __init__(self, pricing, run: BacktestRun):
        self._pricing = pricing
        self._run = run

    def get_mid_price(self, pair):
        return self._pricing.get_mid_price(pair) if self._run.pricing.has_candle_now(pair.ticker) else None

    def get_liquidity(self, pair):
        return self._pricing.get_liquidity(pair)


def _replay_triggers(run: BacktestRun, i: int, trader: LiveTrader, pools: PoolSetters, liquidity, anvil: Anvil, now: list) -> None:
    step = run.universe.get_effective_stop_loss_time_frame().to_pytimedelta()
    tickers = {p.pair.ticker for p in trader.state.portfolio.open_positions.values() if p.stop_loss is not None or p.take_profit is not None}
    for ticker in tickers:
        lo, hi, opens, highs, lows, stamps = run.stop_loss_bars(ticker)
        for j in range(lo[i], hi[i]):
            positions = [p for p in trader.state.portfolio.open_positions.values() if p.pair.ticker == ticker]
            if not positions:
                break
            bar_open = pd.Timestamp(int(stamps[j])).to_pydatetime()
            for k, (price, check) in enumerate(price_path(positions, opens[j], highs[j], lows[j])):
                pools.set_pool(ticker, price, liquidity[ticker], swap=False)
                anvil.rpc("evm_mine", int(_unix(bar_open)) + 60 + 10 * k)
                if check:
                    now[0] = bar_open + step
                    trader.check_triggers(bar_open + step)


def price_path(positions, open_: float, high: float, low: float) -> list[tuple[Decimal, bool]]:
    """The points of a candle where the backtest could act, in its order, with the trigger check at each.

    The open, when it is already beyond a level (the backtest fills at the open then); each stop
    level the candle falls through; each take-profit level it rises through; and the high, when a
    trailing stop would follow it up (the backtest raises the stop after the candle). A candle that
    touches no level and lifts no trailing stop has nothing to replay.
    """
    to_decimal = lambda x: Decimal(repr(float(x)))  # noqa: E731
    stops = sorted({p.stop_loss for p in positions if p.stop_loss is not None}, reverse=True)
    targets = sorted({p.take_profit for p in positions if p.take_profit is not None})
    if any(open_ <= float(s) for s in stops) or any(open_ >= float(t) for t in targets):
        return [(to_decimal(open_), True)]
    path = [(s, True) for s in stops if low <= float(s) < open_]
    path += [(t, True) for t in targets if open_ < float(t) <= high]
    if any(p.trailing_stop_loss_pct is not None and high > float(p.high_water_price or 0) for p in positions):
        path.append((to_decimal(high), True))
    return path


def compare(backtest: State, live: State, period: tuple[datetime.datetime, datetime.datetime] | None = None, label: str = "live") -> Comparison:
    """Trade by trade, in time order; with ``period``, only the trades opened within it (a paper run's span).

    Trades are matched by cycle, pair, side and type, so one trade that only one run made (or that
    the live run decided but a safety rule refused: its unfilled trade, shown with its reason) is
    one row on its own, not a shift of every later row. ``label`` names the live side in the mismatches.
    """

    def within(trades):
        if period is not None:
            trades = [t for t in trades if period[0] <= t.opened_at <= period[1]]
        return sorted(trades, key=lambda t: (t.opened_at, t.trade_id))

    def key(trade):
        return (trade.opened_at, trade.pair.ticker, trade.is_buy, trade.trade_type)

    def filled(state: State):
        return [t for p in state.portfolio.get_all_positions() for t in p.trades.values() if t.is_success]

    ours, theirs = within(filled(backtest)), within(filled(live))
    unfilled = within(list(live.portfolio.unfilled_trades.values()))
    rows, mismatches = [], []
    i = j = 0
    while i < len(ours) or j < len(theirs):
        b = ours[i] if i < len(ours) else None
        live_trade = theirs[j] if j < len(theirs) else None
        if b is not None and live_trade is not None and key(b) != key(live_trade):  # one side only: the earlier one
            if key(b)[0] <= key(live_trade)[0]:
                live_trade = None
            else:
                b = None
        i, j = i + (b is not None), j + (live_trade is not None)
        refused = next((u for u in unfilled if key(u) == key(b)), None) if live_trade is None and b is not None else None
        if refused is not None:
            unfilled.remove(refused)
        reference = b or live_trade
        side = "buy" if reference.is_buy else "sell"
        where = f"{reference.opened_at} {reference.pair.ticker} {side}"
        if live_trade is None:
            got = f"{label} {refused.status.value} it ({refused.failure_reason})" if refused is not None else f"{label} made no such trade"
            mismatches.append(f"{where}: backtest filled at {b.executed_price:.6f}, {got}")
        elif b is None:
            mismatches.append(f"{where}: {label} filled at {live_trade.executed_price:.6f}, the backtest made no such trade")
        rows.append(
            TradeRow(
                reference.opened_at, reference.pair.ticker, side, reference.trade_type.value,
                b.executed_price if b else None, live_trade.executed_price if live_trade else None,
                b.lp_fees_paid if b else None, live_trade.lp_fees_paid if live_trade else None,
                refused.status.value if refused is not None else None,
            )
        )
    live_gas = sum((t.gas_cost_usd or Decimal(0) for t in theirs), Decimal(0))
    marks = backtest_marks(backtest)
    return Comparison(rows, not mismatches, equity_at(backtest, marks), equity_at(live, marks), live_gas, mismatches)


def backtest_marks(backtest: State) -> dict[str, Decimal]:
    """Each held pair's price at the backtest's last valuation (the mid price)."""
    held = sorted((*backtest.portfolio.open_positions.values(), *backtest.portfolio.frozen_positions.values()), key=lambda p: p.last_pricing_at)
    return {p.pair.ticker: p.last_token_price for p in held}


def equity_at(state: State, marks: dict[str, Decimal]) -> Decimal:
    """Cash plus the open and frozen positions, each pair at ``marks``' price where it has one.

    Both sides of a comparison are valued at the backtest's marks: a position bought in the last cycle
    is otherwise at the mid price in the backtest and at its fill price (fee and impact in it) live,
    which shows as an equity difference that no trade made."""
    portfolio = state.portfolio
    held = (*portfolio.open_positions.values(), *portfolio.frozen_positions.values())
    return portfolio.get_cash() + sum((p.get_quantity() * marks.get(p.pair.ticker, p.last_token_price) for p in held), Decimal(0))
