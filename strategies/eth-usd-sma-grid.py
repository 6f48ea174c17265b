"""eth-usd-sma.py with search spaces: `trade-executor grid-search` backtests every combination.

The same ETH/USDC SMA crossover with a stop loss; the lists and ranges in Parameters are the
values to try (3 x 6 x 2 = 36 combinations). A plain backtest of this module is refused: it
needs one value per parameter.
"""

import math
from decimal import Decimal

from trade_executor.strategy.api import ChainId, IndicatorSet, StrategyInput, TradingUniverse

trading_strategy_engine_version = "1.0"
trading_strategy_cycle = "1h"
chain_id = ChainId.ethereum
exchange = "uniswap-v2"
reserve_currency = "USDC"


class Parameters:
    initial_cash = 10_000
    fast_sma: int = [12, 24, 36]
    slow_sma: int = range(48, 169, 24)
    stop_loss_pct: float = [0.95, 0.9]
    allocation: float = 1.0
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
        cash = position_manager.get_current_cash() * Decimal(str(input.parameters.allocation))
        pair = input.universe.get_single_pair()
        return position_manager.open_long(pair, cash, stop_loss_pct=input.parameters.stop_loss_pct)
    return []
