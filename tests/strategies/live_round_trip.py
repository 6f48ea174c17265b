"""Fixture strategy for live tests on anvil: buy a fixed value of ETH when flat, sell it all when a position is open.

The buy carries a stop loss 10% below and a take profit 10% above the entry price. The trade is
small against the devnet pool ($2,000 into $1,000,000), so its own price impact stays far below
any tripwire: what moves the pool in these tests is the adversary.
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
    trade_value = 2_000
    stop_loss_pct = 0.9
    take_profit_pct = 1.1


def create_trading_universe(timestamp, data, execution_context, options):
    return data.embedded(["ETH"])


def decide_trades(input):
    pm = input.position_manager
    parameters = input.parameters
    if pm.is_any_open():
        trades = pm.close_all()
    else:
        pair = input.universe.get_single_pair()
        trades = pm.open_long(pair, parameters.trade_value, stop_loss_pct=parameters.stop_loss_pct, take_profit_pct=parameters.take_profit_pct)
    return trades
