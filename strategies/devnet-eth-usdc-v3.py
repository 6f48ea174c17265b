"""ETH/USDC SMA crossover for the local devnet on its Uniswap v3 pool (0.3% tier): 15-second cycles.

The strategy of devnet-eth-usdc.py (its Parameters, indicators and decisions are used as they are)
on Uniswap v3. Run `trade-executor devnet --exchange=uniswap-v3 --market-simulator` first; its v2
and v3 pools follow the embedded ETH/USD closes, one hourly close every few seconds. Live candles
are built from the pool's own events (15-second candles here), so this module is for live demos;
backtest and replay strategies/eth-usd-sma-v3.py (an SMA crossover on hourly data) instead.
"""

from pathlib import Path

from trade_executor.strategy.api import ChainId, TradingUniverse
from trade_executor.strategy.module import load_strategy_module

trading_strategy_engine_version = "1.0"
trading_strategy_cycle = "15s"
chain_id = ChainId.anvil
exchange = "uniswap-v3"
reserve_currency = "USDC"

_SMA = load_strategy_module(Path(__file__).with_name("devnet-eth-usdc.py")).module
Parameters = _SMA.Parameters
create_indicators = _SMA.create_indicators
decide_trades = _SMA.decide_trades


def create_trading_universe(timestamp, data, execution_context, options) -> TradingUniverse:
    return data.embedded(["ETH"], fee={"ETH": 0.003})  # the devnet's v3 pool is of the 0.3% tier
