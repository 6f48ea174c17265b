"""Fixture: Parameters.initial_cash given as text."""

from trade_executor.strategy.api import ChainId

trading_strategy_engine_version = "1.0"
trading_strategy_cycle = "1h"
chain_id = ChainId.ethereum
exchange = "uniswap-v2"
reserve_currency = "USDC"


class Parameters:
    fast_sma: int = 20
    initial_cash = "10000"


def create_trading_universe(timestamp, data, execution_context, options):
    return data.embedded(["ETH"])


def decide_trades(input):
    return []
