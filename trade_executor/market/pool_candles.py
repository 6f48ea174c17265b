"""Candles of any time frame from a pool's stored history: its mid price, volume and liquidity.

The price is the pool's mid price (quote reserve / base reserve) after the last Sync of each
block: that is where the pool stood for everyone trading after the block. A candle's open is the
price in force when it opens (the previous close; the first price for the first candle), so a
backtest that trades at the open trades at the price the pool really had at that moment, and an
hour without a swap is a flat candle at the standing price, not a gap: an AMM always has a price.
Candles run to the last block the history covers (``PoolMetadata.last_timestamp``).

``volume`` is the quote token traded (in + out of each Swap), ``liquidity`` the quote-side
reserve at the candle's close in quote units: with a USD stablecoin quote, the USD value the
constant-product fill model expects (see execution/fill_models.py), so a backtest charges the
price impact the pool had. Floats here (indicators); the stored reserves stay exact.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from trade_executor.errors import DataError
from trade_executor.market.pool_history import PoolMetadata

COLUMNS = ["open", "high", "low", "close", "volume", "liquidity"]


def _floats(table: pa.Table, column: str) -> np.ndarray:
    return pc.cast(table[column], pa.float64(), safe=False).to_numpy(zero_copy_only=False)


def _ints(table: pa.Table, column: str) -> np.ndarray:
    return table[column].to_numpy(zero_copy_only=False).astype("int64")


def block_prices(metadata: PoolMetadata, syncs: pa.Table, base: str) -> pd.DataFrame:
    """Per block that moved the pool: timestamp, price (quote per base) and quote reserve in token units."""
    base_token = metadata.token(base)
    if base_token is None:
        raise DataError(f"Pool {metadata.pool} trades {metadata.token0.symbol}/{metadata.token1.symbol}, not {base}.")
    base_is_token0 = base_token == metadata.token0
    quote_token = metadata.token1 if base_is_token0 else metadata.token0
    blocks = _ints(syncs, "block")
    last_of_block = np.append(blocks[1:] != blocks[:-1], True) if len(blocks) else np.zeros(0, dtype=bool)
    reserve_base = _floats(syncs, "reserve0" if base_is_token0 else "reserve1")[last_of_block]
    reserve_quote = _floats(syncs, "reserve1" if base_is_token0 else "reserve0")[last_of_block]
    priced = (reserve_base > 0) & (reserve_quote > 0)
    scale = 10.0 ** (base_token.decimals - quote_token.decimals)
    return pd.DataFrame(
        {
            "timestamp": _ints(syncs, "timestamp")[last_of_block][priced],
            "price": reserve_quote[priced] / reserve_base[priced] * scale,
            "liquidity": reserve_quote[priced] / 10.0**quote_token.decimals,
        },
        index=pd.Index(blocks[last_of_block][priced], name="block"),
    )


def swap_volumes(metadata: PoolMetadata, swaps: pa.Table, base: str) -> pd.DataFrame:
    """Per swap: timestamp and the quote token amount it moved (in or out), in token units."""
    quote_token = metadata.token1 if metadata.token(base) == metadata.token0 else metadata.token0
    side = "1" if quote_token == metadata.token1 else "0"
    amount = _floats(swaps, f"amount{side}_in") + _floats(swaps, f"amount{side}_out")
    return pd.DataFrame({"timestamp": _ints(swaps, "timestamp"), "volume": amount / 10.0**quote_token.decimals})


def pool_candles(metadata: PoolMetadata, syncs: pa.Table, swaps: pa.Table, base: str, time_frame: pd.Timedelta) -> pd.DataFrame:
    """OHLC of the mid price, volume and closing liquidity per ``time_frame`` bucket, no bucket missing."""
    return candles_from_blocks(block_prices(metadata, syncs, base), swap_volumes(metadata, swaps, base), metadata.last_timestamp, time_frame)


def candles_from_blocks(
    prices: pd.DataFrame, volumes: pd.DataFrame, last_timestamp: int | None, time_frame: pd.Timedelta, *, standing: float | None = None, extra: tuple[str, ...] = ()
) -> pd.DataFrame:
    """Candles from per-block ``prices`` (timestamp, price, liquidity and the ``extra`` columns, last value per
    bucket) and per-swap ``volumes`` (timestamp, volume); the first candle opens at ``standing`` if given."""
    if prices.empty:
        return pd.DataFrame(columns=[*COLUMNS, *extra], index=pd.DatetimeIndex([], name="timestamp", dtype="datetime64[ns]"), dtype="float64")
    step = int(pd.Timedelta(time_frame).total_seconds())
    bucket = prices["timestamp"].to_numpy() // step * step
    grouped = prices.groupby(bucket)
    frame = pd.DataFrame({"high": grouped["price"].max(), "low": grouped["price"].min(), "close": grouped["price"].last()})
    for column in ("liquidity", *extra):
        frame[column] = grouped[column].last()
    end = max(int(bucket[-1]), (last_timestamp or 0) // step * step)
    frame = frame.reindex(np.arange(int(bucket[0]), end + 1, step))
    for column in ("close", "liquidity", *extra):
        frame[column] = frame[column].ffill()
    first = grouped["price"].first().iloc[0] if standing is None else standing
    opens = frame["close"].shift(1).fillna(first)  # the price in force as each bucket opens
    frame["open"] = opens
    frame["high"] = np.fmax(frame["high"].to_numpy(), opens.to_numpy())
    frame["low"] = np.fmin(frame["low"].to_numpy(), opens.to_numpy())
    traded = volumes.groupby(volumes["timestamp"].to_numpy() // step * step)["volume"].sum()
    frame["volume"] = traded.reindex(frame.index).fillna(0.0).to_numpy()
    frame.index = pd.DatetimeIndex(pd.to_datetime(frame.index.to_numpy(), unit="s"), name="timestamp").as_unit("ns")
    return frame[[*COLUMNS, *extra]].astype("float64")
