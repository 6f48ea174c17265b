"""Fixture strategy for parameter searches: the ETH/USDC SMA crossover with a small search space.

The fast and slow SMA windows are lists of values (an ordered integer scale and an uneven list);
every other value is fixed. Runs on the embedded hourly ETH data.
"""

import math

from trade_executor.strategy.api import ChainId, IndicatorSet, StrategyInput, TradingUniverse

trading_strategy_engine_version = "1.0"
trading_strategy_cycle = "1h"
chain_id = ChainId.ethereum
exchange = "uniswap-v2"
reserve_currency = "USDC"


class Parameters:
    initial_cash = 10_000
    fast_sma: int = range(6, 31, 6)  # 6, 12, 18, 24, 30
    slow_sma: int = [48, 72, 120]
    stop_loss_pct: float = 0.95
    pool_liquidity_usd = 5_000_000


def create_trading_universe(timestamp, data, execution_context, options) -> TradingUniverse:
    return data.embedded(["ETH"])


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
        cash = position_manager.get_current_cash()
        pair = input.universe.get_single_pair()
        return position_manager.open_long(pair, cash, stop_loss_pct=input.parameters.stop_loss_pct)
    return []
