"""Fixture: the module raises while it is imported."""

from trade_executor.strategy.api import ChainId

trading_strategy_engine_version = "1.0"
trading_strategy_cycle = "1h"
chain_id = ChainId.ethereum
exchange = "uniswap-v2"
reserve_currency = "USDC"

WINDOWS = {"fast": 20, "slow": 96}
MEDIUM_WINDOW = WINDOWS["medium"]


class Parameters:
    initial_cash = 10_000


def create_trading_universe(timestamp, data, execution_context, options):
    return data.embedded(["ETH"])


def decide_trades(input):
    return []
