"""Fixture: open_long with a value that is no amount of money: NaN, inf, -inf, or 1e30 USDC (the portfolio holds 10,000).

The value comes from the OPEN_LONG_VALUE environment variable (read with float()), so one module covers
every case. Each must stop the backtest with a StrategyRuntimeError naming this file, the line of the
open_long call, and the value; never a bare decimal.InvalidOperation.
"""

import os

import pandas as pd

from trade_executor.strategy.api import ChainId

trading_strategy_engine_version = "1.0"
trading_strategy_cycle = "1h"
chain_id = ChainId.ethereum
exchange = "uniswap-v2"
reserve_currency = "USDC"


class Parameters:
    initial_cash = 10_000
    pool_liquidity_usd = 1_000_000


def create_trading_universe(timestamp, data, execution_context, options):
    index = pd.date_range("2021-03-01", periods=24, freq="1h", name="timestamp")
    candles = pd.DataFrame({"open": 300.0, "high": 301.0, "low": 299.0, "close": 300.0, "volume": 10.0}, index=index)
    return data.from_frames({"ETH": candles})


def decide_trades(input):
    pm = input.position_manager
    value = float(os.environ.get("OPEN_LONG_VALUE", "1000"))
    trades = [] if pm.is_any_open() else pm.open_long(input.universe.get_single_pair(), value)
    return trades
