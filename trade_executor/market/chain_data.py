"""A trading universe from downloaded pool histories (``data.chain(...)``): the pool you will trade.

Each pair is the real pool with its real tokens (addresses, decimals), and its candles carry the
pool's liquidity at every candle, so the constant-product fill model charges the price impact the
pool had then. A symbol matches a pool downloaded under that name (``--pairs=ETH``), or whose base
token has that symbol or its wrapped form (ETH matches WETH), quoted in the reserve currency.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from pathlib import Path

import pandas as pd

from trade_executor.errors import DataError
from trade_executor.identifiers import AssetIdentifier, TradingPairIdentifier
from trade_executor.market.candles import parse_time_frame, validate_candles
from trade_executor.market.pool_candles import pool_candles
from trade_executor.market.pool_history import PoolHistoryStore, PoolMetadata, TokenInfo
from trade_executor.market.universe import TradingUniverse


def find_pool(store: PoolHistoryStore, chain_id: int, symbol: str, reserve: str) -> tuple[PoolMetadata, TokenInfo, TokenInfo]:
    """(metadata, base token, quote token) of the cached pool trading ``symbol`` against ``reserve``."""
    symbol, reserve = symbol.upper(), reserve.upper()
    candidates = store.pools(chain_id)
    for metadata in candidates:
        quote = next((t for t in (metadata.token1, metadata.token0) if t.symbol.upper() == reserve), None)
        if quote is None:
            continue
        base = metadata.token0 if quote is metadata.token1 else metadata.token1
        named = (metadata.pair or "").upper().split("-")[0]
        if symbol in (named, base.symbol.upper(), base.symbol.upper().removeprefix("W")):
            return metadata, base, quote
    cached = ", ".join(m.pair or m.pool for m in candidates) or "nothing"
    raise DataError(
        f"No downloaded history of {symbol}-{reserve} on chain {chain_id} in {store.root} (it holds: {cached}). "
        f"Download it first: trade-executor download --pairs={symbol} --reserve-currency={reserve} --start=YYYY-MM-DD "
        "(with the same CACHE_PATH)."
    )


def candles_of(store: PoolHistoryStore, metadata: PoolMetadata, base: TokenInfo, time_frame: pd.Timedelta, start=None, end=None) -> pd.DataFrame:
    frame = pool_candles(metadata, store.read(metadata, "sync"), store.read(metadata, "swap"), base.address, time_frame)
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
    fee: Decimal,
    stop_loss_time_frame: str | pd.Timedelta | None = None,
    start=None,
    end=None,
) -> TradingUniverse:
    store = PoolHistoryStore(cache_path)
    step = parse_time_frame(time_frame) if isinstance(time_frame, str) else pd.Timedelta(time_frame)
    stop_step = parse_time_frame(stop_loss_time_frame) if isinstance(stop_loss_time_frame, str) else stop_loss_time_frame
    pairs, candles, stop_loss = {}, {}, {}
    reserve_asset = None
    for symbol in symbols:
        metadata, base, quote = find_pool(store, chain_id, symbol, reserve)
        quote_asset = AssetIdentifier(chain_id, quote.address, reserve.upper(), quote.decimals)
        if reserve_asset is not None and quote_asset != reserve_asset:
            raise DataError(f"Pool {metadata.pool} quotes {reserve} at {quote.address}, another pool at {reserve_asset.address}: one reserve token per universe.")
        reserve_asset = quote_asset
        pair = TradingPairIdentifier(AssetIdentifier(chain_id, base.address, symbol.upper(), base.decimals), quote_asset, metadata.pool, exchange_slug, fee)
        pairs[pair.ticker] = pair
        candles[pair.ticker] = validate_candles(candles_of(store, metadata, base, step, start, end), source=f"pool {metadata.pool}", pair=pair.ticker)
        if stop_step is not None:
            stop_loss[pair.ticker] = validate_candles(candles_of(store, metadata, base, stop_step, start, end), source=f"pool {metadata.pool}", pair=pair.ticker)
    if reserve_asset is None:
        raise DataError("data.chain(...) needs at least one pair, e.g. data.chain(pairs=['ETH']).")
    return TradingUniverse(
        chain_id=chain_id, exchange_slug=exchange_slug, reserve_asset=reserve_asset, pairs=pairs, candles=candles, time_frame=step,
        stop_loss_candles=stop_loss or None, stop_loss_time_frame=stop_step if stop_loss else None,
    )  # fmt: skip
