"""Fixture: an annotated strategy parameter whose value is of the wrong type."""

from trade_executor.strategy.api import ChainId

trading_strategy_engine_version = "1.0"
trading_strategy_cycle = "1h"
chain_id = ChainId.ethereum
exchange = "uniswap-v2"
reserve_currency = "USDC"


class Parameters:
    initial_cash = 10_000
    slow_sma: int = 96
    fast_sma: int = "20"


def create_trading_universe(timestamp, data, execution_context, options):
    return data.embedded(["ETH"])


def decide_trades(input):
    return []
