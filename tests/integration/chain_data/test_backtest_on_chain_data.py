"""A backtest on the downloaded pool pays the price impact the pool's reserves gave that hour, and a replay agrees.

The strategy (tests/strategies/chain_sma.py) reads ``data.chain(["ETH"])`` and sets no
``pool_liquidity_usd``: each fill's pool is the one the history had at that hour.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest

from trade_executor.market.amm import get_amount_out, price_impact, reserves_for_price
from trade_executor.market.pool_history import PoolHistoryStore
from trade_executor.money import to_units
from trade_executor.replay.driver import ReplayOptions, run_replay
from trade_executor.runner.backtest import BacktestOptions, BacktestRun, build_universe
from trade_executor.strategy.context import ExecutionContext, ExecutionMode
from trade_executor.strategy.module import load_strategy_module

from .conftest import download_directly

pytestmark = pytest.mark.xdist_group("chain-history")  # with -n, every test of the 200,000-block history in one worker: built once

REPO = Path(__file__).resolve().parents[3]
STRATEGY = REPO / "tests" / "strategies" / "chain_sma.py"


@pytest.fixture(scope="module")
def cache(tmp_path_factory, history_node, history):
    path = tmp_path_factory.mktemp("chain-cache")
    download_directly(history_node.url, path, history.pools, history.last_block)
    return path


def quote_reserve_at(store: PoolHistoryStore, pool: str, quote_is_token1: bool, before: int) -> int:
    """The pool's exact quote reserve after its last Sync before ``before`` (unix seconds)."""
    syncs = store.read(store.load(31337, pool), "sync").to_pandas()
    last = syncs[syncs["timestamp"] < before].iloc[-1]
    return int(last["reserve1" if quote_is_token1 else "reserve0"])


def test_a_backtest_on_downloaded_data_pays_the_price_impact_the_pool_had(cache, history, monkeypatch):
    monkeypatch.setenv("CACHE_PATH", str(cache))
    strategy = load_strategy_module(STRATEGY)
    universe = build_universe(strategy, BacktestOptions(), ExecutionContext(ExecutionMode.backtesting, strategy.engine_version))
    pair = universe.pairs["ETH-USDC"]
    assert "liquidity" in universe.candles["ETH-USDC"].columns and universe.liquidity_usd is None
    state = BacktestRun(strategy, universe, BacktestOptions()).run().state

    trades = [t for p in state.portfolio.get_all_positions() for t in p.trades.values() if t.is_success]
    assert len(trades) >= 6 and {t.trade_type.value for t in trades} >= {"rebalance", "stop_loss"}
    store = PoolHistoryStore(cache)
    quote_is_token1 = int(history.tokens["ETH"], 16) < int(history.tokens["USDC"], 16)
    impacts = []
    for trade in trades:
        # The cycle the fill belongs to: a stop loss fills at the end of its 15-minute bar, inside the cycle's hour.
        cycle = (pd.Timestamp(trade.opened_at) - pd.Timedelta(microseconds=1)).floor("1h") if trade.trigger_price is not None else pd.Timestamp(trade.opened_at)
        # The pool's quote side as known at the cycle's start: the close of the hour before (no look-ahead into the cycle's own candle).
        reserve = quote_reserve_at(store, pair.pool_address, quote_is_token1, int(cycle.timestamp()))
        liquidity = Decimal(repr(reserve / 1e6))
        assert Decimal(repr(float(universe.candles["ETH-USDC"].loc[cycle - pd.Timedelta(hours=1), "liquidity"]))) == liquidity
        reserve_base, reserve_quote = reserves_for_price(trade.planned_price, liquidity, 18, 6)
        if trade.is_buy:
            amount_in, hops = to_units(trade.executed_reserve, 6), [(reserve_quote, reserve_base)]
            out = get_amount_out(amount_in, reserve_quote, reserve_base)
            assert to_units(trade.executed_quantity, 18) == out
        else:
            amount_in, hops = to_units(-trade.executed_quantity, 18), [(reserve_base, reserve_quote)]
            out = get_amount_out(amount_in, reserve_base, reserve_quote)
            assert to_units(trade.executed_reserve, 6) == out
        assert trade.price_impact == price_impact(amount_in, out, hops, pair.fee, quote_in=trade.is_buy)
        impacts.append(trade.price_impact)
    assert max(impacts) > Decimal("0.02")  # $200,000 into a pool of a few million: the impact is no rounding error


def test_a_replay_of_the_same_period_agrees_with_its_backtest(cache, monkeypatch, tmp_path):
    monkeypatch.setenv("CACHE_PATH", str(cache))
    # Ends two hours after a sell: a buy in the very last cycle would leave the live pool where the buy's own impact
    # moved it (valued so), while the backtest values at the candle; the next cycle would set the pool back.
    result = run_replay(ReplayOptions(STRATEGY, tmp_path / "replay.json", pd.Timestamp("2024-01-09"), pd.Timestamp("2024-01-12 12:00")))
    comparison = result.comparison
    assert comparison.decisions_match, comparison.mismatches
    assert len(comparison.rows) >= 4 and {row.side for row in comparison.rows} == {"buy", "sell"}
    assert comparison.worst_price_difference < 0.0005
    assert abs(comparison.equity_difference) < 0.001
