"""The equity recorder reads the cash without a call each cycle: it must still see every change of it."""

from __future__ import annotations

import datetime
from decimal import Decimal

import numpy as np
import pandas as pd

from trade_executor.identifiers import AssetIdentifier
from trade_executor.market.loader import MarketDataLoader
from trade_executor.runner.backtest import BacktestOptions, BacktestRun
from trade_executor.runner.cycle import StrategyCycle
from trade_executor.runner.equity import EquityRecorder
from trade_executor.state import ReservePosition, State
from trade_executor.state.portfolio import Portfolio
from trade_executor.strategy.module import load_strategy_module

USDC = AssetIdentifier(1, "0x" + "a" * 40, "USDC", 6)
USDT = AssetIdentifier(1, "0x" + "b" * 40, "USDT", 6)
T0 = datetime.datetime(2024, 1, 1)
TWO_PAIRS = '''
from trade_executor.strategy.api import ChainId

trading_strategy_engine_version = "1.0"
trading_strategy_cycle = "1h"
chain_id = ChainId.ethereum
exchange = "uniswap-v2"
reserve_currency = "USDC"


class Parameters:
    initial_cash = 10_000
    fill_model = "simple"


def create_trading_universe(timestamp, data, execution_context, options):
    raise AssertionError("the test builds the universe itself")


def decide_trades(input):
    pm, cycle, trades = input.position_manager, input.cycle, []
    for offset, pair in enumerate(input.universe.pairs.values()):
        position = pm.get_current_position_for_pair(pair)
        if position is None and cycle % 7 == offset:
            trades += pm.open_long(pair, 1500, stop_loss_pct=0.985)
        elif position is not None and cycle % 11 == 0:
            trades += pm.adjust_position(pair, -200)
        elif position is not None and cycle % 17 == 0:
            trades += pm.close_position(position)
    return trades
'''


def test_cash_is_recorded_through_every_kind_of_change():
    state = State()
    recorder = EquityRecorder(state)
    portfolio = state.portfolio
    recorder.record(T0)  # no reserve yet
    portfolio.reserves[USDC.address] = ReservePosition(USDC, Decimal(0), T0)  # added without a balance update (a live sync)
    recorder.record(T0)
    portfolio.reserves[USDC.address].quantity = Decimal(100)  # settled outside any trade or update
    recorder.record(T0)
    portfolio.adjust_cash(Decimal("-0.5"))
    recorder.record(T0)
    portfolio.reserves[USDT.address] = ReservePosition(USDT, Decimal(7), T0)  # a second reserve: the sum
    recorder.record(T0)
    recorder.record(T0)
    state.portfolio = Portfolio(reserves={USDC.address: ReservePosition(USDC, Decimal(3), T0)})  # a state read again
    recorder.record(T0)
    assert state.stats.cash == [0.0, 0.0, 100.0, 99.5, 106.5, 106.5, 3.0]
    assert state.stats.total_equity == state.stats.cash


def test_a_backtest_curve_rebuilt_from_segments_is_the_per_cycle_curve_to_the_bit(tmp_path):
    """Two pairs with gaps in their candles, buys, partial sells, stop losses and trades at gap cycles:
    the segments and the candles give exactly the floats a per-cycle recorder writes."""
    rng = np.random.default_rng(3)
    frames = {}
    for symbol, start in (("ETH", 2000.0), ("BTC", 30000.0)):
        index = pd.date_range(T0, periods=600, freq="1h")
        close = start * np.exp(np.cumsum(rng.normal(0, 0.01, len(index))))
        frame = pd.DataFrame({"open": close * (1 + rng.normal(0, 0.002, len(index))), "close": close, "volume": 1.0}, index=index)
        frame["high"] = frame[["open", "close"]].max(axis=1) * 1.004
        frame["low"] = frame[["open", "close"]].min(axis=1) * 0.994
        frames[symbol] = frame.drop(index[rng.choice(len(index), 40, replace=False)])  # gaps, some of them at trade cycles
    module = tmp_path / "two_pairs.py"
    module.write_text(TWO_PAIRS)
    strategy = load_strategy_module(module)
    loader = MarketDataLoader(strategy.chain_id, strategy.exchange_slug, strategy.reserve_currency)

    def run(per_cycle: bool):
        backtest = BacktestRun(strategy, loader.from_frames(frames), BacktestOptions())
        if per_cycle:
            backtest.state.stats.segments = None
            recorder = EquityRecorder(backtest.state, backtest.valuation.price_float)
            backtest.cycle = StrategyCycle(strategy, backtest.cycle.input, backtest.valuation, backtest.execution, equity=recorder)
        return backtest.run().state

    segmented, per_cycle = run(per_cycle=False), run(per_cycle=True)
    closed = segmented.portfolio.closed_positions.values()
    assert sum(1 for p in closed for t in p.trades.values() if t.trade_type.value == "stop_loss") >= 3
    assert sum(len(p.trades) > 2 for p in closed) >= 3  # partial sells
    assert len(segmented.stats.segments) > 30
    assert list(segmented.stats.total_equity) == per_cycle.stats.total_equity  # bit for bit
    assert list(segmented.stats.cash) == per_cycle.stats.cash
    assert list(segmented.stats.open_positions) == per_cycle.stats.open_positions
    assert list(segmented.stats.timestamps) == per_cycle.stats.timestamps
