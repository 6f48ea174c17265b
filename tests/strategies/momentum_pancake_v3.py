"""Fixture strategy for the replay on PancakeSwap v3: ETH in the 0.25% pool (a tier Uniswap v3 has not), BTC in the 0.05% one.

The momentum rotation of strategies/eth-btc-momentum.py (its Parameters, indicators and decisions,
loaded from that file) with both pairs on PancakeSwap v3: tests/strategies/momentum_two_v3_tiers.py
moved from Uniswap v3 to PancakeSwap v3 (which is on Ethereum too: gas is then priced in ETH from the
ETH pair, as the replay chain charges it).
"""

from pathlib import Path

from trade_executor.strategy.api import ChainId, TradingUniverse
from trade_executor.strategy.module import load_strategy_module

trading_strategy_engine_version = "1.0"
trading_strategy_cycle = "4h"
chain_id = ChainId.ethereum
exchange = "pancakeswap-v3"
reserve_currency = "USDC"

_EXAMPLE = load_strategy_module(Path(__file__).resolve().parents[2] / "strategies" / "eth-btc-momentum.py").module
Parameters = _EXAMPLE.Parameters
create_indicators = _EXAMPLE.create_indicators
decide_trades = _EXAMPLE.decide_trades


def create_trading_universe(timestamp, data, execution_context, options) -> TradingUniverse:
    return data.embedded(["ETH", "BTC"], fee={"ETH": 0.0025, "BTC": 0.0005})  # two PancakeSwap v3 pools, two fee tiers
