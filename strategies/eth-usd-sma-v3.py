"""ETH/USDC simple moving average crossover with a stop loss, on a Uniswap v3 pool of the 0.05% tier.

The strategy of eth-usd-sma.py on a concentrated-liquidity venue: the pair's fee is the pool's
fee tier (0.01%, 0.05%, 0.3% or 1% on Uniswap v3), and backtest swaps fill with the pool's own
v3 maths (the default fill model on a v3 exchange). The depth is one full-range position as deep
as a v2 pool with Parameters.pool_liquidity_usd on its quote side; a candle 'liquidity' column
would take its place.
"""

import math
from decimal import Decimal

from trade_executor.strategy.api import ChainId, IndicatorSet, StrategyInput, TradingUniverse

trading_strategy_engine_version = "1.0"
trading_strategy_cycle = "1h"
chain_id = ChainId.ethereum
exchange = "uniswap-v3"
reserve_currency = "USDC"


class Parameters:
    initial_cash = 10_000
    fast_sma: int = 24
    slow_sma: int = 96
    stop_loss_pct: float = 0.95
    allocation: float = 1.0
    pool_liquidity_usd = 5_000_000


def create_trading_universe(timestamp, data, execution_context, options) -> TradingUniverse:
    return data.embedded(["ETH"], fee={"ETH": 0.0005})  # the 0.05% pool


def create_indicators(timestamp, parameters, universe, execution_context) -> IndicatorSet:
    indicators = IndicatorSet()
    indicators.add("fast_sma", lambda close: close.rolling(parameters.fast_sma).mean())
    indicators.add("slow_sma", lambda close: close.rolling(parameters.slow_sma).mean())
    return indicators


def decide_trades(input: StrategyInput) -> list:
    indicators = input.indicators
    fast, slow = indicators.get("fast_sma"), indicators.get("slow_sma")
    if math.isnan(slow):
        return []
    position_manager = input.position_manager
    if position_manager.is_any_open():
        if fast < slow:
            return position_manager.close_all()
        return []
    if fast > slow and indicators.get("fast_sma", lag=1) <= indicators.get("slow_sma", lag=1):
        cash = position_manager.get_current_cash() * Decimal(str(input.parameters.allocation))
        pair = input.universe.get_single_pair()
        return position_manager.open_long(pair, cash, stop_loss_pct=input.parameters.stop_loss_pct)
    return []
