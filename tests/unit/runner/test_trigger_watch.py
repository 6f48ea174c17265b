"""The trigger watch skips cycles in which no bar can fire: it must fire exactly where checking every bar does."""

from __future__ import annotations

import numpy as np
import pandas as pd

import trade_executor.runner.backtest_triggers as backtest_triggers
from trade_executor.market.loader import MarketDataLoader
from trade_executor.runner.backtest import BacktestOptions, BacktestRun
from trade_executor.strategy.module import load_strategy_module

STRATEGY = '''
from decimal import Decimal
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
        if position is None and cycle % 5 == offset:
            levels = [dict(stop_loss_pct=0.99), dict(take_profit_pct=1.01, stop_loss_pct=0.97), dict(trailing_stop_loss_pct=0.99)][cycle % 3]
            trades += pm.open_long(pair, 1000, **levels)
        elif position is not None and cycle % 13 == 0 and position.stop_loss is not None:
            position.stop_loss = position.stop_loss * Decimal("1.005")  # moved by the strategy, no trade
        elif position is not None and cycle % 29 == 0:
            trades += pm.adjust_position(pair, 300)
    return trades
'''


def run(tmp_path, every_bar: bool, monkeypatch):
    path = tmp_path / "watched.py"
    path.write_text(STRATEGY)
    strategy = load_strategy_module(path)
    rng = np.random.default_rng(11)
    frames, stop_loss_frames = {}, {}
    for symbol, start in (("ETH", 2000.0), ("BTC", 30000.0)):
        index = pd.date_range("2021-01-01", periods=400 * 4, freq="15min")
        close = start * np.exp(np.cumsum(rng.normal(0, 0.004, len(index))))
        bars = pd.DataFrame({"open": np.r_[start, close[:-1]], "close": close, "volume": 1.0}, index=index)
        bars["high"], bars["low"] = bars[["open", "close"]].max(axis=1) * 1.002, bars[["open", "close"]].min(axis=1) * 0.998
        stop_loss_frames[symbol] = bars
        hourly = bars.resample("1h").agg({"open": "first", "high": "max", "low": "min", "close": "last", "volume": "sum"})
        frames[symbol] = hourly.drop(hourly.index[rng.choice(len(hourly), 12, replace=False)])  # gaps
    universe = MarketDataLoader(strategy.chain_id, strategy.exchange_slug, strategy.reserve_currency).from_frames(frames, stop_loss_frames=stop_loss_frames)
    backtest = BacktestRun(strategy, universe, BacktestOptions())
    if every_bar:  # the plain way: every cycle, every bar
        monkeypatch.setattr(backtest_triggers, "first_bar_reaching", lambda lows, highs, stop, target, start: start)
        original = backtest.triggers.check

        def check_every_cycle(i):
            original(i)
            backtest.triggers.next_cycle = i + 1

        backtest.triggers.check = check_every_cycle
    return backtest.run().state


def fingerprint(state):
    return [
        (t.trade_id, t.trade_type.value, t.executed_at, t.executed_quantity, t.executed_reserve, t.trigger_price)
        for p in sorted(state.portfolio.get_all_positions(), key=lambda p: p.position_id)
        for t in p.trades.values()
    ]


def test_the_watch_fires_exactly_where_checking_every_bar_does(tmp_path, monkeypatch):
    watched = run(tmp_path, every_bar=False, monkeypatch=monkeypatch)
    plain = run(tmp_path, every_bar=True, monkeypatch=monkeypatch)
    kinds = [kind for _, kind, *_ in fingerprint(plain)]
    assert min(kinds.count("stop_loss"), kinds.count("take_profit"), kinds.count("trailing_stop_loss")) >= 3
    assert fingerprint(watched) == fingerprint(plain)
    assert list(watched.stats.total_equity) == list(plain.stats.total_equity)
