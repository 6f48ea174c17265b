"""Fixture strategy for live tests on anvil: buy $2,000 of ETH when flat with a trailing stop 20% below the highest price.

A one-block pump must not ratchet the trailing stop up: otherwise a searcher pumps the pool for one
block (the stop follows to 20% below the pumped price, above the market) and the back-run to the
market price fires it. Sells everything when a position is open.
"""

from trade_executor.strategy.api import ChainId

trading_strategy_engine_version = "1.0"
trading_strategy_cycle = "1h"
chain_id = ChainId.anvil
exchange = "uniswap-v2"
reserve_currency = "USDC"


class Parameters:
    initial_cash = 10_000
    slippage_tolerance = 0.01
    trailing_stop_loss_pct = 0.8


def create_trading_universe(timestamp, data, execution_context, options):
    return data.embedded(["ETH"])


def decide_trades(input):
    pm = input.position_manager
    if pm.is_any_open():
        trades = pm.close_all()
    else:
        trades = pm.open_long(input.universe.get_single_pair(), 2_000, trailing_stop_loss_pct=input.parameters.trailing_stop_loss_pct)
    return trades
