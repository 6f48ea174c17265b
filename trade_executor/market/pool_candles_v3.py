"""Candles of a Uniswap v3 pool from its stored history: exact prices from sqrtPriceX96, volume, and its L.

The pool's state is replayed event by event with integers: a Swap (or the pool's Initialize) sets
sqrtPriceX96, tick and the active liquidity L as the event reports them; a Mint or Burn whose range
holds the current tick (tickLower <= tick < tickUpper, the pool's own rule) adds to or takes from L,
as the pool does, though no Swap reports it until the next one. The state before the history's first
block comes from the cache's ``start_state``. Per block, the state after its last event is the price
and L everyone trading after the block met.

Prices are quote per base in whole tokens, exact as fractions (sqrtPriceX96**2 / 2**192 scaled by the
decimals, inverted when the base is token1), converted to float once for the candle columns, so a
candle's close is the float nearest slot0's price after its last swap. ``volume`` is the quote token
each swap moved (|amount|), ``liquidity`` the quote side of the v2 pool as deep as L at the price
(virtual reserve: L * sqrtP / 2**96 quote units when quote is token1, L * 2**96 / sqrtP when token0),
the depth the fill models take (execution/uniswap_v3_fill.py turns it back into L), and
``active_liquidity`` L itself (float). ``liquidity_net`` sums the Mint and Burn rows into the
tick -> liquidityNet table the pool keeps; ``range_history`` keeps that table through time, from the
ticks initialised before the first block on, with the states (market/pool_ranges.py): what a
backtest fill crosses. Candles are built as for v2 (market/pool_candles.py).
"""

from __future__ import annotations

from fractions import Fraction
from typing import NamedTuple

import pandas as pd
import pyarrow as pa

from trade_executor.errors import DataError
from trade_executor.market.fee_tiers import TICK_SPACINGS
from trade_executor.market.pool_candles import candles_from_blocks
from trade_executor.market.pool_history import PoolMetadata
from trade_executor.market.pool_ranges import RangeHistory

Q96 = 2**96
V3_EXTRA = ("active_liquidity",)


class BlockState(NamedTuple):
    """A v3 pool after the last event of ``block``: its exact state."""

    block: int
    timestamp: int
    sqrt_price: int
    tick: int
    liquidity: int


def _rows(table: pa.Table) -> list[dict]:
    return table.to_pylist()


def block_states(metadata: PoolMetadata, swaps: pa.Table, ranges: pa.Table) -> list[BlockState]:
    """The pool's state after each block that has an event, replayed exactly (see the module docstring)."""
    events = sorted([(r["block"], r["log_index"], 0, r) for r in _rows(swaps)] + [(r["block"], r["log_index"], 1, r) for r in _rows(ranges)], key=lambda e: e[:2])
    state = list(metadata.start_state) if metadata.start_state else None  # [sqrt price, tick, L]
    found: list[BlockState] = []
    for block, _, kind, row in events:
        if kind == 0:
            state = [int(row["sqrt_price"]), int(row["tick"]), int(row["liquidity"])]
        elif state is not None and row["tick_lower"] <= state[1] < row["tick_upper"]:
            state[2] += int(row["amount"])
        if state is None:
            continue
        current = BlockState(block, int(row["timestamp"]), state[0], state[1], state[2])
        if found and found[-1].block == block:
            found[-1] = current
        else:
            found.append(current)
    return found


def price_of(metadata: PoolMetadata, sqrt_price: int, base_is_token0: bool) -> Fraction:
    """Quote per base in whole tokens, exactly."""
    raw = Fraction(sqrt_price * sqrt_price, 2**192)  # token1 units per token0 unit
    scale = Fraction(10**metadata.token0.decimals, 10**metadata.token1.decimals)
    return raw * scale if base_is_token0 else 1 / (raw * scale)


def quote_depth(metadata: PoolMetadata, sqrt_price: int, liquidity: int, base_is_token0: bool) -> Fraction:
    """The quote side of a v2 pool as deep as ``liquidity`` at ``sqrt_price``, in whole quote tokens (exact)."""
    if base_is_token0:
        return Fraction(liquidity * sqrt_price, Q96 * 10**metadata.token1.decimals)
    return Fraction(liquidity * Q96, sqrt_price * 10**metadata.token0.decimals)


def base_is_token0_of(metadata: PoolMetadata, base: str) -> bool:
    token = metadata.token(base)
    if token is None:
        raise DataError(f"Pool {metadata.pool} trades {metadata.token0.symbol}/{metadata.token1.symbol}, not {base}.")
    return token == metadata.token0


def v3_candles(
    metadata: PoolMetadata, swaps: pa.Table, ranges: pa.Table, base: str, time_frame: pd.Timedelta, *, states: list[BlockState] | None = None
) -> pd.DataFrame:
    """OHLC of the exact pool price, quote volume, closing depth and L per ``time_frame`` bucket, no bucket missing
    (``states``: ``block_states`` of these events, when the caller has them already)."""
    base_is_token0 = base_is_token0_of(metadata, base)
    states = [s for s in (block_states(metadata, swaps, ranges) if states is None else states) if s.sqrt_price]
    prices = pd.DataFrame(
        {
            "timestamp": [s.timestamp for s in states],
            "price": [float(price_of(metadata, s.sqrt_price, base_is_token0)) for s in states],
            "liquidity": [float(quote_depth(metadata, s.sqrt_price, s.liquidity, base_is_token0)) for s in states],
            "active_liquidity": [float(s.liquidity) for s in states],
        },
        dtype="float64",
    ).astype({"timestamp": "int64"})
    quote_side, quote = ("amount1", metadata.token1) if base_is_token0 else ("amount0", metadata.token0)
    rows = [r for r in _rows(swaps) if r[quote_side]]  # Initialize rows move nothing
    volumes = pd.DataFrame({"timestamp": [int(r["timestamp"]) for r in rows], "volume": [float(Fraction(abs(int(r[quote_side])), 10**quote.decimals)) for r in rows]})
    volumes = volumes.astype({"timestamp": "int64", "volume": "float64"})
    start = metadata.start_state
    standing = float(price_of(metadata, start[0], base_is_token0)) if start and start[0] else None
    return candles_from_blocks(prices, volumes, metadata.last_timestamp, time_frame, standing=standing, extra=V3_EXTRA)


def liquidity_net(ranges: pa.Table) -> dict[int, int]:
    """tick -> liquidityNet from Mint (+amount at tickLower, -amount at tickUpper) and Burn rows; zero nets left out.

    Positions minted before the history's first block are not in it: the table is then the change since."""
    net: dict[int, int] = {}
    for row in _rows(ranges):
        amount = int(row["amount"])
        net[row["tick_lower"]] = net.get(row["tick_lower"], 0) + amount
        net[row["tick_upper"]] = net.get(row["tick_upper"], 0) - amount
    return {tick: value for tick, value in sorted(net.items()) if value}


def range_history(metadata: PoolMetadata, swaps: pa.Table, ranges: pa.Table, states: list[BlockState] | None = None) -> RangeHistory | None:
    """The pool's initialised ticks and L through time (market/pool_ranges.py), or None where what stood before
    the history is not known: a pool initialised before its first block whose cache has no start ticks (written
    before they were kept; ``download`` reads them on its next run), or a history that begins after the pool's
    creation without its state then (a node that keeps no state that old)."""
    spacing = metadata.tick_spacing or TICK_SPACINGS.get(metadata.fee_pips or 0)
    if metadata.start_state:
        if metadata.start_ticks is None or metadata.start_words is None:
            return None
        start_ticks, known, start = metadata.start_ticks, (metadata.start_words[0], metadata.start_words[1]), (metadata.start_state[1], metadata.start_state[2])
    elif _opens_with_initialize(swaps):
        start_ticks, known, start = [], None, None  # created inside the history: its events are all there is
    else:
        return None
    if spacing is None:
        return None
    states = block_states(metadata, swaps, ranges) if states is None else states
    changes = ((r["block"], r["tick_lower"], r["tick_upper"], int(r["amount"])) for r in _rows(ranges.select(["block", "tick_lower", "tick_upper", "amount"])))
    return RangeHistory(
        metadata.pool, spacing, start_ticks, known, changes, ((s.timestamp, s.block, s.tick, s.liquidity) for s in states), start
    )


def _opens_with_initialize(swaps: pa.Table) -> bool:
    """The first row is the pool's Initialize (stored as a swap of nothing with no liquidity: no real Swap is one)."""
    if not swaps.num_rows:
        return False
    first = swaps.slice(0, 1).to_pylist()[0]
    return first["amount0"] == 0 and first["amount1"] == 0 and first["liquidity"] == 0
