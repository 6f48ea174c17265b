"""Fixture strategy for chain-data tests: an ETH SMA crossover on the devnet pool's own downloaded history.

``data.chain`` gives the pool's candles with its liquidity at every hour, and no
``pool_liquidity_usd`` is set: every fill pays the price impact the pool's reserves give. The
trade is large against the pool ($200,000 into about $2-5 million), so that impact is plain.
"""

import math

from trade_executor.strategy.api import ChainId

trading_strategy_engine_version = "1.0"
trading_strategy_cycle = "1h"
chain_id = ChainId.anvil
exchange = "uniswap-v2"
reserve_currency = "USDC"


class Parameters:
    initial_cash = 200_000
    fast_sma = 6
    slow_sma = 24
    stop_loss_pct = 0.97
    max_price_impact = 0.2


def create_trading_universe(timestamp, data, execution_context, options):
    return data.chain(["ETH"], time_frame="1h", stop_loss_time_frame="15m")


def create_indicators(timestamp, parameters, universe, execution_context):
    from trade_executor.strategy.api import IndicatorSet

    indicators = IndicatorSet()
    indicators.add("fast", lambda close: close.rolling(parameters.fast_sma).mean())
    indicators.add("slow", lambda close: close.rolling(parameters.slow_sma).mean())
    return indicators


def decide_trades(input):
    fast, slow = input.indicators.get("fast"), input.indicators.get("slow")
    if math.isnan(slow):
        return []
    pm = input.position_manager
    if pm.is_any_open():
        return pm.close_all() if fast < slow else []
    if fast > slow:
        return pm.open_long(input.universe.get_single_pair(), pm.get_current_cash(), stop_loss_pct=input.parameters.stop_loss_pct)
    return []
