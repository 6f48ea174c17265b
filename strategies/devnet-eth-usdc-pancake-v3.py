"""ETH/USDC SMA crossover for the local devnet on its PancakeSwap v3 pool (0.25% tier): 15-second cycles.

The same strategy as devnet-eth-usdc-v3.py, on PancakeSwap v3. Run
`trade-executor devnet --exchange=pancakeswap-v3 --market-simulator` first; its v2 and v3 pools
follow the embedded ETH/USD closes, one hourly close every few seconds. Live candles are the v3
pool oracle's mean price per candle, so this module is for live demos; backtest and replay
strategies/eth-usd-sma-v3.py (an SMA crossover on hourly data) instead.
"""

import math
from decimal import Decimal

from trade_executor.strategy.api import ChainId, IndicatorSet, StrategyInput, TradingUniverse

trading_strategy_engine_version = "1.0"
trading_strategy_cycle = "15s"
chain_id = ChainId.anvil
exchange = "pancakeswap-v3"
reserve_currency = "USDC"


class Parameters:
    initial_cash = 10_000
    fast_sma: int = 3
    slow_sma: int = 8
    stop_loss_pct: float = 0.95
    allocation: float = 0.9
    pool_liquidity_usd = 5_000_000
    slippage_tolerance = 0.01


def create_trading_universe(timestamp, data, execution_context, options) -> TradingUniverse:
    return data.embedded(["ETH"], fee={"ETH": 0.0025})  # the devnet's PancakeSwap v3 pool is of the 0.25% tier


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
        return position_manager.open_long(input.universe.get_single_pair(), cash, stop_loss_pct=input.parameters.stop_loss_pct)
    return []
