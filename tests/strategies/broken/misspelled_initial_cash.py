"""Fixture: initial_cash misspelled as inital_cash."""

from trade_executor.strategy.api import ChainId

trading_strategy_engine_version = "1.0"
trading_strategy_cycle = "1h"
chain_id = ChainId.ethereum
exchange = "uniswap-v2"
reserve_currency = "USDC"


class Parameters:
    fast_sma: int = 20
    inital_cash = 10_000


def create_trading_universe(timestamp, data, execution_context, options):
    return data.embedded(["ETH"])


def decide_trades(input):
    return []
