"""Fixture strategy that looks ahead through an indicator: ``next_close`` is the close of the next candle.

Each value of ``next_close`` is the close of the candle after its own, so the value the strategy
reads at a cycle is the close of the candle still open then. check-lookahead must name it.
"""

import math
from decimal import Decimal

from trade_executor.strategy.api import ChainId, IndicatorSet

trading_strategy_engine_version = "1.0"
trading_strategy_cycle = "1h"
chain_id = ChainId.ethereum
exchange = "uniswap-v2"
reserve_currency = "USDC"


class Parameters:
    initial_cash = 10_000
    pool_liquidity_usd = 5_000_000


def create_trading_universe(timestamp, data, execution_context, options):
    return data.embedded(["ETH"])


def create_indicators(timestamp, parameters, universe, execution_context):
    indicators = IndicatorSet()
    indicators.add("sma", lambda close: close.rolling(12).mean())
    indicators.add("next_close", lambda close: close.shift(-1))
    return indicators


def decide_trades(input):
    pm = input.position_manager
    close, sma = input.indicators.get("next_close"), input.indicators.get("sma")
    if math.isnan(sma):
        return []
    if pm.is_any_open():
        return pm.close_all() if close < sma else []
    if close > sma:
        return pm.open_long(input.universe.get_single_pair(), pm.get_current_cash() * Decimal("0.5"))
    return []
