"""ETH/USDC SMA crossover for the local devnet on its PancakeSwap v3 pool (0.25% tier): 15-second cycles.

The strategy of devnet-eth-usdc-v3.py (its Parameters, indicators and decisions are used as they
are) on PancakeSwap v3. Run `trade-executor devnet --exchange=pancakeswap-v3 --market-simulator`
first; its v2 and PancakeSwap v3 pools follow the embedded ETH/USD closes, one hourly close every
few seconds. Live candles are built from the pool's own events: a module for live demos.
"""

from pathlib import Path

from trade_executor.strategy.api import ChainId, TradingUniverse
from trade_executor.strategy.module import load_strategy_module

trading_strategy_engine_version = "1.0"
trading_strategy_cycle = "15s"
chain_id = ChainId.anvil
exchange = "pancakeswap-v3"
reserve_currency = "USDC"

_SMA = load_strategy_module(Path(__file__).with_name("devnet-eth-usdc-v3.py")).module
Parameters = _SMA.Parameters
create_indicators = _SMA.create_indicators
decide_trades = _SMA.decide_trades


def create_trading_universe(timestamp, data, execution_context, options) -> TradingUniverse:
    return data.embedded(["ETH"], fee={"ETH": 0.0025})  # the devnet's PancakeSwap v3 pool is of the 0.25% tier
