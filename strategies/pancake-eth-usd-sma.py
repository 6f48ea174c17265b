"""ETH/USDC simple moving average crossover on PancakeSwap v2 (BNB Chain), hourly candles.

The deployment guide's example strategy id (``pancake-eth-usd-sma``).

Buy with all cash when the fast SMA crosses above the slow one; sell when it falls back below,
when the price drops to the stop loss, or when it reaches the take profit. PancakeSwap v2 pools
charge a 0.25% LP fee. Gas is paid in BNB; the universe has no BNB pair to price it, so the
BNB price is a fixed parameter.
"""

import math
from decimal import Decimal

from trade_executor.strategy.api import ChainId, IndicatorSet, StrategyInput, TradingUniverse

trading_strategy_engine_version = "1.0"
trading_strategy_cycle = "1h"
chain_id = ChainId.bsc
exchange = "pancakeswap-v2"
reserve_currency = "USDC"

#: PancakeSwap v2 LP fee: 0.25%.
PANCAKE_LP_FEE = 0.0025


class Parameters:
    initial_cash = 10_000
    fast_sma: int = 24
    slow_sma: int = 96
    stop_loss_pct: float = 0.95
    take_profit_pct: float = 1.15
    allocation: float = 1.0
    pool_liquidity_usd = 5_000_000
    # Gas is paid in BNB; there is no BNB pair in the data to price it.
    native_token_price_usd = 300


def create_trading_universe(timestamp, data, execution_context, options) -> TradingUniverse:
    return data.embedded(["ETH"], fee=PANCAKE_LP_FEE)


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
        parameters = input.parameters
        cash = position_manager.get_current_cash() * Decimal(str(parameters.allocation))
        pair = input.universe.get_single_pair()
        return position_manager.open_long(
            pair,
            cash,
            stop_loss_pct=parameters.stop_loss_pct,
            take_profit_pct=parameters.take_profit_pct,
        )
    return []
