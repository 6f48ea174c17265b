"""Fixture: an engine version this trade-executor does not know."""

from trade_executor.strategy.api import ChainId

trading_strategy_engine_version = "0.1"
trading_strategy_cycle = "1h"
chain_id = ChainId.ethereum
exchange = "uniswap-v2"
reserve_currency = "USDC"


class Parameters:
    initial_cash = 10_000


def create_trading_universe(timestamp, data, execution_context, options):
    return data.embedded(["ETH"])


def decide_trades(input):
    return []
