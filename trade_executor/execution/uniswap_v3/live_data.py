"""The ``data`` of a live run on Uniswap v3: the pairs' pools, with candles from each pool's own events.

``data.embedded(["ETH"], fee={"ETH": 0.0005})`` (or ``data.chain``, ``data.files`` with pairs, as on
v2) means the ETH pool of the 0.05 % tier against the reserve token (TOKEN_<SYMBOL> addresses, pools
from the v3 factory); without a fee, the first tier (in the routing's order) that has a pool.

Candles are built from the pool's Swap, Mint, Burn and Initialize events exactly as a backtest on
downloaded data builds them (market/pool_candles_v3.py: open, high, low, close of the exact price,
volume, the depth of the active liquidity), by the v2 live path (uniswap_v2/live_pool_history.py)
with the v3 downloader: the history the strategy needs is read into the same cache ``download``
writes (CACHE_PATH), then each cycle reads only the new blocks of all pools in one log query and
commits the confirmed ones. The pool's oracle is not a candle source: it gives the manipulation-
resistant reference price (live_pricing.py).
"""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from trade_executor.errors import DataError
from trade_executor.execution.uniswap_v2.live_data import ChainMarketDataLoader
from trade_executor.execution.uniswap_v2.live_pool_history import LivePoolHistory
from trade_executor.execution.uniswap_v3.live_pricing import UniswapV3LiveRouting, fee_tier
from trade_executor.execution.uniswap_v3.pool_download import V3PoolDownloader
from trade_executor.identifiers import TradingPairIdentifier
from trade_executor.market.fee_tiers import PIPS, check_fee_tier, format_fee_pips
from trade_executor.market.pool_candles import COLUMNS
from trade_executor.market.pool_candles_v3 import v3_candles
from trade_executor.market.pool_history import PoolMetadata


class V3LivePoolHistory(LivePoolHistory):
    """v3 pools' histories kept up to date block by block: the v2 live history with v3 events and candles.

    The window kept in memory starts at the last Swap before it (its sqrtPriceX96, tick and L are the
    pool's whole state then), with every Mint and Burn from that Swap's block on, so L is replayed
    exactly through the window as it is over the whole cache.
    """

    downloader_class = V3PoolDownloader
    kinds = ("v3_swap", "v3_range")

    def window(self, tables: dict[str, pa.Table], cutoff: int) -> tuple[dict[str, pa.Table], bool]:
        swaps, ranges = tables["v3_swap"], tables["v3_range"]
        before = pc.sum(pc.less(swaps["timestamp"], cutoff)).as_py() or 0  # rows are in chain order: times never go back
        if before < 2:
            return tables, False
        swaps = swaps.slice(before - 1)
        first_block = swaps["block"][0].as_py()
        kept = ranges.filter(pc.greater_equal(ranges["block"], first_block)) if ranges.num_rows else ranges
        return {"v3_swap": swaps, "v3_range": kept}, True

    def pool_candles(self, metadata: PoolMetadata, tables: dict[str, pa.Table], base: str, time_frame: pd.Timedelta, *, trimmed: bool) -> pd.DataFrame:
        """The backtest's candles of the pool (market/pool_candles_v3.py); once rows were dropped the history opens at the first Swap kept."""
        opened = replace(metadata, start_state=None) if trimmed else metadata
        return v3_candles(opened, tables["v3_swap"], tables["v3_range"], base, time_frame)[COLUMNS]


class UniswapV3MarketDataLoader(ChainMarketDataLoader):
    """The v2 loader's tokens, assets and event-sourced candles; v3 pools by fee tier (``history``: a V3LivePoolHistory)."""

    routing: UniswapV3LiveRouting
    history: V3LivePoolHistory

    def pair(self, symbol: str, fee=None) -> TradingPairIdentifier:
        base = self.asset(symbol)
        tier = None if fee is None else int(check_fee_tier(f"{base.token_symbol}-{self.reserve_asset.token_symbol}", self.exchange_slug, Decimal(str(fee))) * PIPS)
        route = self.routing.route(self.reserve_asset.address, base.address, fee=tier)
        if len(route.hops) != 1:
            raise DataError(f"{base.token_symbol} trades against {self.reserve_asset.token_symbol} only through {len(route.hops)} pools; live candles need a direct pool.")
        (hop,) = route.hops
        return TradingPairIdentifier(base, self.reserve_asset, hop.pool, self.exchange_slug, Decimal(hop.fee) / PIPS)

    def pair_of(self, symbol: str, fee) -> TradingPairIdentifier:
        """``fee``: one fee for all symbols, or per symbol ({"ETH": 0.0005}); None: the first tier with a pool."""
        return self.pair(symbol, fee.get(symbol, fee.get(symbol.upper())) if isinstance(fee, dict) else fee)

    def pool_of(self, pair: TradingPairIdentifier) -> tuple[str, bool, str]:
        """The pair's pool of its fee tier, named as ``download`` names it ("ETH-USDC-0.3%"); a v3 pool's token0 is the lower address."""
        return pair.pool_address, int(pair.base.address, 16) < int(pair.quote.address, 16), f"{pair.ticker}-{format_fee_pips(fee_tier(pair))}"
