"""Fixture strategy: buy once, then hold to the end with a stop loss that never fires (far below the walk).

Every cycle after the buy does the same work whatever the length of history: revaluation, the
trigger checks, the equity curve and two indicator reads. tests/unit/runner/test_cost_per_cycle.py
counts that work at the end of a short and of a long history. HOLD_BARS sets the history's length.
"""

import os
from decimal import Decimal

from trade_executor.strategy.api import ChainId, IndicatorSet
from trade_executor.testing.synthetic import synthetic_candles

trading_strategy_engine_version = "1.0"
trading_strategy_cycle = "1m"
chain_id = ChainId.ethereum
exchange = "uniswap-v2"
reserve_currency = "USDC"


class Parameters:
    initial_cash = 10_000
    fill_model = "simple"


def create_trading_universe(timestamp, data, execution_context, options):
    bars = int(os.environ.get("HOLD_BARS", "2000"))
    return data.from_frames(synthetic_candles(["ETH"], periods=bars, freq="1min", volatility=0.0001, seed=3))


def create_indicators(timestamp, parameters, universe, execution_context):
    indicators = IndicatorSet()
    indicators.add("sma", lambda close: close.rolling(10).mean())
    return indicators


def decide_trades(input):
    sma, before = input.indicators.get("sma"), input.indicators.get("sma", lag=1)
    position_manager = input.position_manager
    if position_manager.is_any_open() or not sma > 0 or not before > 0 or input.state.portfolio.closed_positions:
        return []
    cash = position_manager.get_current_cash() * Decimal("0.9")
    return position_manager.open_long(input.universe.get_single_pair(), cash, stop_loss_pct=0.001)
