"""Benchmark strategy: 1,051,200 one-minute bars (two years) of a synthetic random walk, SMA crossover.

The bar count can be changed with the BARS environment variable (benchmarks/backtest_speed.py
runs 10k, 100k and 1M to show that the cost per cycle does not grow with history); DECIDE=noop
makes decide_trades return nothing, which measures the engine's own cost per cycle.
"""

import math
import os
from decimal import Decimal

from trade_executor.strategy.api import ChainId, IndicatorSet
from trade_executor.testing.synthetic import synthetic_candles

trading_strategy_engine_version = "1.0"
trading_strategy_cycle = "1m"
chain_id = ChainId.ethereum
exchange = "uniswap-v2"
reserve_currency = "USDC"

BARS = int(os.environ.get("BARS", "1051200"))
NO_OP = os.environ.get("DECIDE") == "noop"  # the engine's own cost per cycle: a strategy that never trades


class Parameters:
    initial_cash = 10_000
    fast_sma: int = 360
    slow_sma: int = 1440
    stop_loss_pct: float = 0.97
    fill_model = "simple"
    simple_fee_rate = 0.0005


def create_trading_universe(timestamp, data, execution_context, options):
    return data.from_frames(synthetic_candles(["ETH"], periods=BARS, freq="1min", volatility=0.0005, seed=7))


def create_indicators(timestamp, parameters, universe, execution_context):
    indicators = IndicatorSet()
    indicators.add("fast_sma", lambda close: close.rolling(parameters.fast_sma).mean())
    indicators.add("slow_sma", lambda close: close.rolling(parameters.slow_sma).mean())
    return indicators


def decide_trades(input):
    if NO_OP:
        return []
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
        cash = position_manager.get_current_cash() * Decimal("0.99")
        return position_manager.open_long(input.universe.get_single_pair(), cash, stop_loss_pct=input.parameters.stop_loss_pct)
    return []
