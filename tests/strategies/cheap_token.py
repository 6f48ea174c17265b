"""Fixture: $10,000 of an 18-decimal token priced at $0.000000001 (1e13 tokens, 1e31 wei), bought then sold.

Money maths must be exact at this scale (integer token units or a wide enough Decimal context). The
candles come from ``pepe.csv`` beside this module (the test writes it); live on anvil the same call
means the chain's PEPE pool (``TOKEN_PEPE``). Cycles alternate: buy when flat, sell everything when open.
"""

from pathlib import Path

from trade_executor.strategy.api import ChainId

trading_strategy_engine_version = "1.0"
trading_strategy_cycle = "1h"
chain_id = ChainId.anvil
exchange = "uniswap-v2"
reserve_currency = "USDC"

CANDLES = Path(__file__).with_name("pepe.csv")


class Parameters:
    initial_cash = 10_000
    pool_liquidity_usd = 100_000_000
    gas_units_per_swap = 0
    slippage_tolerance = 0.01


def create_trading_universe(timestamp, data, execution_context, options):
    return data.files(CANDLES, pairs=["PEPE-USDC"])


def decide_trades(input):
    pm = input.position_manager
    trades = pm.close_all() if pm.is_any_open() else pm.open_long(input.universe.get_single_pair(), 10_000)
    return trades
