"""Fixture strategy that looks ahead through a universe it kept from create_indicators.

create_indicators receives the engine's whole universe (indicators are computed over all of it);
this module keeps it in a global, and decide_trades reads the close of the candle still open at
the cycle time. No indicator changes; the decisions do. check-lookahead must report them.
"""

from decimal import Decimal

from trade_executor.strategy.api import ChainId, IndicatorSet

trading_strategy_engine_version = "1.0"
trading_strategy_cycle = "1h"
chain_id = ChainId.ethereum
exchange = "uniswap-v2"
reserve_currency = "USDC"

KEPT = {}


class Parameters:
    initial_cash = 10_000
    pool_liquidity_usd = 5_000_000


def create_trading_universe(timestamp, data, execution_context, options):
    return data.embedded(["ETH"])


def create_indicators(timestamp, parameters, universe, execution_context):
    KEPT["universe"] = universe
    return IndicatorSet()


def decide_trades(input):
    pm = input.position_manager
    pair = input.universe.get_single_pair()
    candles = KEPT["universe"].candles[pair.ticker]
    now = candles.loc[candles.index >= input.timestamp]
    if now.empty:
        return []
    rising = now["close"].iloc[0] > now["open"].iloc[0]
    if rising and not pm.is_any_open():
        return pm.open_long(pair, pm.get_current_cash() * Decimal("0.5"))
    if not rising and pm.is_any_open():
        return pm.close_all()
    return []
