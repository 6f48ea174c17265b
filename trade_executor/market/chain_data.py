"""A trading universe from downloaded pool histories (``data.chain(...)``): the pool you will trade.

Each pair is the real pool with its real tokens (addresses, decimals), and its candles carry the
pool's liquidity at every candle, so the constant-product fill model charges the price impact the
pool had then. A symbol matches a pool downloaded under that name (``--pairs=ETH``), or whose base
token has that symbol or its wrapped form (ETH matches WETH), quoted in the reserve currency.

On a concentrated-liquidity exchange (uniswap-v3...) the pool is the v3 pool of the pair's fee tier,
and its candles come from market/pool_candles_v3.py: exact prices from sqrtPriceX96, and the depth
of its active liquidity L at every candle. The universe also carries the pool's initialised ticks
and L through time (``pool_ranges``, market/pool_ranges.py), built from the same events: the
backtest's pricing hands each fill the pool as it stood at the fill's time, and the concentrated-
liquidity fill model (execution/uniswap_v3_fill.py) crosses ticks with each range's liquidity.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from decimal import Decimal
from pathlib import Path

import pandas as pd

from trade_executor.errors import DataError
from trade_executor.identifiers import AssetIdentifier, TradingPairIdentifier
from trade_executor.market.candles import parse_time_frame, validate_candles
from trade_executor.market.fee_tiers import PIPS, check_fee_tier, format_fee, is_concentrated_liquidity
from trade_executor.market.pool_candles import COLUMNS, pool_candles
from trade_executor.market.pool_candles_v3 import block_states, range_history, v3_candles
from trade_executor.market.pool_history import PoolHistoryStore, PoolMetadata, TokenInfo
from trade_executor.market.pool_ranges import RangeHistory
from trade_executor.market.universe import TradingUniverse

logger = logging.getLogger(__name__)


def find_pool(store: PoolHistoryStore, chain_id: int, symbol: str, reserve: str, fee_pips: int | None = None) -> tuple[PoolMetadata, TokenInfo, TokenInfo]:
    """(metadata, base token, quote token) of the cached pool trading ``symbol`` against ``reserve``:
    a v2 pool, or with ``fee_pips`` the v3 pool of that fee tier."""
    symbol, reserve = symbol.upper(), reserve.upper()
    candidates = store.pools(chain_id)
    for metadata in candidates:
        if metadata.fee_pips != fee_pips:
            continue
        quote = next((t for t in (metadata.token1, metadata.token0) if t.symbol.upper() == reserve), None)
        if quote is None:
            continue
        base = metadata.token0 if quote is metadata.token1 else metadata.token1
        named = (metadata.pair or "").upper().split("-")[0]
        if symbol in (named, base.symbol.upper(), base.symbol.upper().removeprefix("W")):
            return metadata, base, quote
    cached = ", ".join(m.pair or m.pool for m in candidates) or "nothing"
    what = f"{symbol}-{reserve}" if fee_pips is None else f"{symbol}-{reserve} in the v3 pool of the {format_fee(Decimal(fee_pips) / PIPS)} tier"
    raise DataError(
        f"No downloaded history of {what} on chain {chain_id} in {store.root} (it holds: {cached}). "
        f"Download it first: trade-executor download --pairs={symbol} --reserve-currency={reserve} --start=YYYY-MM-DD "
        "(with the same CACHE_PATH)."
    )


def stored_candles(store: PoolHistoryStore, metadata: PoolMetadata, base: str, time_frame: pd.Timedelta) -> pd.DataFrame:
    """The cached pool's candles (v2 or v3), ``base`` a token address or symbol; a v3 pool's carry ``active_liquidity`` too."""
    return StoredPool(store, metadata).candles(base, time_frame)


class StoredPool:
    """One cached pool's events, read once, for candles of several time frames and (v3) its ranges through time."""

    def __init__(self, store: PoolHistoryStore, metadata: PoolMetadata):
        self.metadata = metadata
        kinds = ("v3_swap", "v3_range") if metadata.is_v3 else ("sync", "swap")
        self.tables = [store.read(metadata, kind) for kind in kinds]
        self.states = block_states(metadata, *self.tables) if metadata.is_v3 else None

    def candles(self, base: str, time_frame: pd.Timedelta) -> pd.DataFrame:
        if self.metadata.is_v3:
            return v3_candles(self.metadata, *self.tables, base, time_frame, states=self.states)
        return pool_candles(self.metadata, *self.tables, base, time_frame)

    def ranges(self) -> RangeHistory | None:
        """A v3 pool's initialised ticks and L through time (None for a v2 pool, or where the start is not known)."""
        return range_history(self.metadata, *self.tables, self.states) if self.metadata.is_v3 else None


def candles_of(pool: StoredPool, base: TokenInfo, time_frame: pd.Timedelta, start=None, end=None) -> pd.DataFrame:
    metadata = pool.metadata
    frame = pool.candles(base.address, time_frame)[COLUMNS]
    if start is not None:
        frame = frame[frame.index >= pd.Timestamp(start)]
    if end is not None:
        frame = frame[frame.index < pd.Timestamp(end)]
    if frame.empty:
        raise DataError(f"The downloaded history of pool {metadata.pool} ({metadata.pair}) has no candle in the period asked for; download the period first.")
    return frame


def chain_universe(
    cache_path: Path,
    chain_id: int,
    exchange_slug: str,
    reserve: str,
    symbols: Iterable[str],
    time_frame: str | pd.Timedelta,
    *,
    fee: Decimal | dict[str, Decimal],
    stop_loss_time_frame: str | pd.Timedelta | None = None,
    start=None,
    end=None,
) -> TradingUniverse:
    store = PoolHistoryStore(cache_path)
    step = parse_time_frame(time_frame) if isinstance(time_frame, str) else pd.Timedelta(time_frame)
    stop_step = parse_time_frame(stop_loss_time_frame) if isinstance(stop_loss_time_frame, str) else stop_loss_time_frame
    pairs, candles, stop_loss, ranges = {}, {}, {}, {}
    reserve_asset = None
    v3 = is_concentrated_liquidity(exchange_slug)
    for symbol in symbols:
        pair_fee = fee.get(symbol, fee.get(symbol.upper())) if isinstance(fee, dict) else fee
        if v3:
            check_fee_tier(f"{symbol.upper()}-{reserve.upper()}", exchange_slug, pair_fee)
        metadata, base, quote = find_pool(store, chain_id, symbol, reserve, int(pair_fee * PIPS) if v3 else None)
        quote_asset = AssetIdentifier(chain_id, quote.address, reserve.upper(), quote.decimals)
        if reserve_asset is not None and quote_asset != reserve_asset:
            raise DataError(f"Pool {metadata.pool} quotes {reserve} at {quote.address}, another pool at {reserve_asset.address}: one reserve token per universe.")
        reserve_asset = quote_asset
        pair = TradingPairIdentifier(AssetIdentifier(chain_id, base.address, symbol.upper(), base.decimals), quote_asset, metadata.pool, exchange_slug, pair_fee)
        pairs[pair.ticker] = pair
        pool = StoredPool(store, metadata)
        candles[pair.ticker] = validate_candles(candles_of(pool, base, step, start, end), source=f"pool {metadata.pool}", pair=pair.ticker)
        if stop_step is not None:
            stop_loss[pair.ticker] = validate_candles(candles_of(pool, base, stop_step, start, end), source=f"pool {metadata.pool}", pair=pair.ticker)
        history = pool.ranges()
        if history is not None:
            ranges[pair.ticker] = history
        elif v3:
            logger.warning(
                "The cache of pool %s (%s) does not hold its initialised ticks before block %s: its fills stay in the range of "
                "each candle's L. Run `download` for it again (it reads them once).", metadata.pool, pair.ticker, f"{metadata.first_block:,}",
            )
    if reserve_asset is None:
        raise DataError("data.chain(...) needs at least one pair, e.g. data.chain(pairs=['ETH']).")
    return TradingUniverse(
        chain_id=chain_id, exchange_slug=exchange_slug, reserve_asset=reserve_asset, pairs=pairs, candles=candles, time_frame=step,
        stop_loss_candles=stop_loss or None, stop_loss_time_frame=stop_step if stop_loss else None, pool_ranges=ranges,
    )  # fmt: skip
