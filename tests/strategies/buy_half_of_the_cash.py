"""Fixture strategy for live tests on anvil: while more than 60% of the initial cash is free, buy ETH with half of it.

Decided on the books alone (``get_current_cash``), each cycle: a buy that is broadcast but not yet
confirmed must already count, or a second cycle before the block buys again with the same cash.
Exactly one buy is ever intended: after it, half the cash is left.
"""

from decimal import Decimal

from trade_executor.strategy.api import ChainId

trading_strategy_engine_version = "1.0"
trading_strategy_cycle = "1h"
chain_id = ChainId.anvil
exchange = "uniswap-v2"
reserve_currency = "USDC"


class Parameters:
    initial_cash = 10_000
    slippage_tolerance = 0.01


def create_trading_universe(timestamp, data, execution_context, options):
    return data.embedded(["ETH"])


def decide_trades(input):
    pm = input.position_manager
    cash = pm.get_current_cash()
    wanted = cash > Decimal(input.parameters.initial_cash) * Decimal("0.6")
    trades = pm.open_long(input.universe.get_single_pair(), cash / 2) if wanted else []
    return trades
