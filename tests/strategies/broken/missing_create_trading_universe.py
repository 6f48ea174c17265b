"""Fixture: no create_trading_universe function."""

from trade_executor.strategy.api import ChainId

trading_strategy_engine_version = "1.0"
trading_strategy_cycle = "1h"
chain_id = ChainId.ethereum
exchange = "uniswap-v2"
reserve_currency = "USDC"


class Parameters:
    initial_cash = 10_000


def decide_trades(input):
    return []
