"""Fixture strategy for the v3 replay of two pairs in pools of different fee tiers: ETH at 0.05%, BTC at 0.3%.

The momentum rotation of strategies/eth-btc-momentum.py (its Parameters, indicators and decisions,
loaded from that file), with both pairs on Uniswap v3: the mixed example
(strategies/eth-btc-momentum-mixed.py) with BTC moved from Uniswap v2 to the v3 pool of the 0.3% tier.
"""

from pathlib import Path

from trade_executor.strategy.api import ChainId, TradingUniverse
from trade_executor.strategy.module import load_strategy_module

trading_strategy_engine_version = "1.0"
trading_strategy_cycle = "4h"
chain_id = ChainId.ethereum
exchange = "uniswap-v3"
reserve_currency = "USDC"

_EXAMPLE = load_strategy_module(Path(__file__).resolve().parents[2] / "strategies" / "eth-btc-momentum.py").module
Parameters = _EXAMPLE.Parameters
create_indicators = _EXAMPLE.create_indicators
decide_trades = _EXAMPLE.decide_trades


def create_trading_universe(timestamp, data, execution_context, options) -> TradingUniverse:
    return data.embedded(["ETH", "BTC"], fee={"ETH": 0.0005, "BTC": 0.003})  # two v3 pools, two fee tiers
