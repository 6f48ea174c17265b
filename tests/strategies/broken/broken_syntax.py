"""Fixture: a syntax error on line 7 (a missing colon)."""

from trade_executor.strategy.api import ChainId

trading_strategy_engine_version = "1.0"

def decide_trades(input)
    return []
