"""Fixture strategy: one buy whose own price impact is far above its max_price_impact, live on anvil or in a backtest.

$5,000 into a $1,000,000 pool (the devnet's, or ``pool_liquidity_usd`` in a backtest) moves its price
by about 1% (0.5% on the fill), several times the 0.1% this strategy accepts: the price-impact tripwire
must refuse it before it is signed, and a backtest must refuse it by the same rule.
"""

from decimal import Decimal

import pandas as pd

from trade_executor.strategy.api import ChainId

trading_strategy_engine_version = "1.0"
trading_strategy_cycle = "1h"
chain_id = ChainId.anvil
exchange = "uniswap-v2"
reserve_currency = "USDC"


class Parameters:
    initial_cash = 10_000
    pool_liquidity_usd = 1_000_000
    gas_units_per_swap = 0
    slippage_tolerance = 0.01
    max_price_impact = Decimal("0.001")


def create_trading_universe(timestamp, data, execution_context, options):
    if execution_context.mode.is_live:
        return data.embedded(["ETH"])
    index = pd.date_range("2021-03-01", periods=24, freq="1h", name="timestamp")
    return data.from_frames({"ETH": pd.DataFrame({"open": 300.0, "high": 301.0, "low": 299.0, "close": 300.0, "volume": 10.0}, index=index)})


def decide_trades(input):
    pm = input.position_manager
    trades = [] if pm.is_any_open() else pm.open_long(input.universe.get_single_pair(), 5_000)
    return trades
