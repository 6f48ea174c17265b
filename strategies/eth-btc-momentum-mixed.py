"""ETH/BTC momentum rotation across two venues: ETH on a Uniswap v3 0.05% pool, BTC on a Uniswap v2 pool.

The strategy of eth-btc-momentum.py (hold whichever of ETH and BTC has the best positive momentum,
with a trailing stop; its Parameters, indicators and decisions are used as they are) on a mixed
universe: this module's ``exchange`` is Uniswap v3, and ``exchange={"BTC": "uniswap-v2"}`` puts BTC
on Uniswap v2. Each pair keeps its venue everywhere: backtest swaps fill with the pool's own maths
(v3 concentrated liquidity for ETH, x*y=k for BTC), and live a rotation sells on one venue and buys
on the other in the same cycle, from one hot wallet (runner/mixed_venue.py). Depth:
Parameters.pool_liquidity_usd on each pool's quote side.
"""

from pathlib import Path

from trade_executor.strategy.api import ChainId, TradingUniverse
from trade_executor.strategy.module import load_strategy_module

trading_strategy_engine_version = "1.0"
trading_strategy_cycle = "4h"
chain_id = ChainId.ethereum
exchange = "uniswap-v3"
reserve_currency = "USDC"

_ROTATION = load_strategy_module(Path(__file__).with_name("eth-btc-momentum.py")).module
Parameters = _ROTATION.Parameters
create_indicators = _ROTATION.create_indicators
decide_trades = _ROTATION.decide_trades


def create_trading_universe(timestamp, data, execution_context, options) -> TradingUniverse:
    # ETH: the 0.05% Uniswap v3 pool; BTC: the Uniswap v2 pool (its 0.3% fee)
    return data.embedded(["ETH", "BTC"], fee={"ETH": 0.0005, "BTC": 0.003}, exchange={"BTC": "uniswap-v2"})
