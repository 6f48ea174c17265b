"""Fixture strategy whose decisions are random and unseeded: two runs on the same data differ.

check-lookahead cannot tell look-ahead from chance here, and must say so instead of reporting it.
"""

import random
from decimal import Decimal

from trade_executor.strategy.api import ChainId

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


def decide_trades(input):
    pm = input.position_manager
    if random.random() > 0.05:
        return []
    if pm.is_any_open():
        return pm.close_all()
    return pm.open_long(input.universe.get_single_pair(), pm.get_current_cash() * Decimal("0.5"))
