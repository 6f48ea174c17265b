"""Fixture: decide_trades keeps the trade of its first cycle and returns that old trade again in the next one.

The position manager did not plan it in that cycle: returning it is a strategy bug that must stop the
run before anything is signed or filled (it must not buy a second time), naming this file and the line
of the return statement. Runs as a backtest (its own candles) and live on anvil.
"""

import pandas as pd

from trade_executor.strategy.api import ChainId

trading_strategy_engine_version = "1.0"
trading_strategy_cycle = "1h"
chain_id = ChainId.anvil
exchange = "uniswap-v2"
reserve_currency = "USDC"

KEPT = []  # the first cycle's trades, kept across cycles (the bug)


class Parameters:
    initial_cash = 10_000
    pool_liquidity_usd = 1_000_000
    slippage_tolerance = 0.01


def make_candles() -> pd.DataFrame:
    index = pd.date_range("2021-03-01", periods=48, freq="1h", name="timestamp")
    return pd.DataFrame({"open": 300.0, "high": 301.0, "low": 299.0, "close": 300.0, "volume": 10.0}, index=index)


def create_trading_universe(timestamp, data, execution_context, options):
    if execution_context.mode.is_live:
        return data.embedded(["ETH"])
    return data.from_frames({"ETH": make_candles()})


def decide_trades(input):
    pm = input.position_manager
    if not KEPT:
        KEPT.extend(pm.open_long(input.universe.get_single_pair(), 2_000))
    return list(KEPT)
