"""The replay's market data: the backtest's own candles, under the devnet's on-chain pair identities.

The live trader reads history through this, so its indicators and decisions see exactly what the
backtest saw; only prices, swaps and balances come from the chain.
"""

from __future__ import annotations

from dataclasses import replace

from trade_executor.identifiers import AssetIdentifier, TradingPairIdentifier
from trade_executor.market.universe import TradingUniverse


def onchain_universe(universe: TradingUniverse, tokens: dict[str, str], pools: dict[str, str], chain_id: int, decimals: dict[str, int]) -> TradingUniverse:
    reserve_symbol = universe.reserve_asset.token_symbol
    reserve = AssetIdentifier(chain_id, tokens[reserve_symbol], reserve_symbol, 6)
    pairs = {}
    for ticker, pair in universe.pairs.items():
        symbol = pair.base.token_symbol
        base = AssetIdentifier(chain_id, tokens[symbol], symbol, decimals[symbol])
        pairs[ticker] = TradingPairIdentifier(base, reserve, pools[ticker], pair.exchange_slug, pair.fee)
    return replace(universe, chain_id=chain_id, reserve_asset=reserve, pairs=pairs)


class ReplayDataLoader:
    """Stands in for the strategy's ``data``: whatever it asks for, it gets the replayed universe."""

    def __init__(self, universe: TradingUniverse):
        self.universe = universe
        self.reserve_asset = universe.reserve_asset

    def embedded(self, *args, **kwargs) -> TradingUniverse:
        return self.universe

    files = from_frames = chain = embedded
