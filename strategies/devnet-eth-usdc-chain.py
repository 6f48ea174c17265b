"""ETH/USDC SMA crossover on the devnet's pool, the same module for a paper run and its backtest.

`data.chain(["ETH"], time_frame="5s")` is the devnet pool: live (and paper) its candles come from
the chain, in a backtest from the history `trade-executor download` cached. The market simulator
moves the pool one hourly ETH close every 5 s, so 5-second cycles trade within a few minutes.
See README "Forward test first".
"""

import math
from decimal import Decimal

from trade_executor.strategy.api import ChainId, IndicatorSet, StrategyInput, TradingUniverse

trading_strategy_engine_version = "1.0"
trading_strategy_cycle = "5s"
chain_id = ChainId.anvil
exchange = "uniswap-v2"
reserve_currency = "USDC"


class Parameters:
    initial_cash = 10_000
    fast_sma: int = 3
    slow_sma: int = 8
    allocation: float = 0.9
    slippage_tolerance = 0.01
    # No pool_liquidity_usd: a backtest fill pays the price impact the pool's own reserves gave.


def create_trading_universe(timestamp, data, execution_context, options) -> TradingUniverse:
    return data.chain(["ETH"], time_frame="5s")


def create_indicators(timestamp, parameters, universe, execution_context) -> IndicatorSet:
    indicators = IndicatorSet()
    indicators.add("fast_sma", lambda close: close.rolling(parameters.fast_sma).mean())
    indicators.add("slow_sma", lambda close: close.rolling(parameters.slow_sma).mean())
    return indicators


def decide_trades(input: StrategyInput) -> list:
    fast, slow = input.indicators.get("fast_sma"), input.indicators.get("slow_sma")
    if math.isnan(slow):
        return []
    position_manager = input.position_manager
    if position_manager.is_any_open():
        return position_manager.close_all() if fast < slow else []
    if fast > slow:
        cash = position_manager.get_current_cash() * Decimal(str(input.parameters.allocation))
        return position_manager.open_long(input.universe.get_single_pair(), cash)
    return []
