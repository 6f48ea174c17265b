"""Prices in a backtest: the open of the candle that starts at the cycle time.

Every cycle's candle index is found once, up front (one searchsorted per pair), so a price
look-up is a list index and a cached Decimal: O(1) whatever the length of history. The cache
holds one price per pair (the cycle's: revaluation and fills in the same cycle share it), so it
does not grow with history either.

A v3 pool from ``data.chain`` also has its ranges through time (``TradingUniverse.pool_ranges``):
each cycle's state index is found up front too, and ``get_liquidity`` hands a fill the pool as it
stood at the cycle's open (the state after the last block before the cycle: the candle's open is
that state's price) with the depth, as a ``PoolDepth``.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

import numpy as np

from trade_executor.identifiers import TradingPairIdentifier
from trade_executor.market.indexes import SharedFloatColumns, as_array, index_list, sorted_positions
from trade_executor.market.pool_ranges import PoolDepth, RangeHistory
from trade_executor.market.universe import TradingUniverse


def candle_index_at(timestamps: np.ndarray, times: np.ndarray) -> np.ndarray:
    """For each time, the index of the candle that opens exactly then, or -1 (a gap)."""
    idx = sorted_positions(timestamps, times)
    inside = idx < len(timestamps)
    exact = np.zeros(len(times), dtype=bool)
    exact[inside] = timestamps[idx[inside]] == times[inside]
    return np.where(exact, idx, -1)


def to_decimal(value: float) -> Decimal:
    """A float price as the Decimal its shortest repr shows (303.44 -> Decimal('303.44'))."""
    return Decimal(repr(float(value)))


class BacktestPricing:
    def __init__(self, universe: TradingUniverse, cycle_times_ns: np.ndarray, shared: SharedFloatColumns | None = None):
        """``shared``: the run's float columns, so that one read by several parts (the opens) is held once."""
        shared = shared or SharedFloatColumns()
        self.cursor = 0
        self._candle_at_cycle: dict[str, list[int]] = {}
        self._open: dict[str, memoryview] = {}  # candle opens, read one float at a time
        self._liquidity: dict[str, np.ndarray | None] = {}
        self._cache: dict[str, tuple[int, Decimal | None]] = {}  # ticker -> (candle index, its open as a Decimal)
        self._last_index: dict[str, list[int]] = {}
        self._liquidity_index: dict[str, list[int]] = {}
        self._ranges: dict[str, tuple[RangeHistory, Sequence[int]]] = {}  # ticker -> (the v3 pool's ranges, its state index per cycle)
        for ticker in universe.pairs:
            arrays = universe.get_arrays(ticker)
            at_cycle = candle_index_at(arrays.timestamps, cycle_times_ns)
            self._candle_at_cycle[ticker] = index_list(at_cycle)
            last_index = sorted_positions(arrays.timestamps, cycle_times_ns, side="right") - 1
            self._last_index[ticker] = index_list(last_index)
            if arrays.liquidity is not None:
                # A candle's liquidity is its value at the close: at time T the latest known is the last candle closed by T.
                closed = sorted_positions(arrays.timestamps + universe.time_frame.value, cycle_times_ns, side="right") - 1
                self._liquidity_index[ticker] = index_list(np.maximum(closed, np.minimum(last_index, 0)))
                ranges = universe.pool_ranges.get(ticker)
                if ranges is not None and ranges.pool.lower() == universe.pairs[ticker].pool_address.lower():
                    self._ranges[ticker] = (ranges, index_list(ranges.state_index_at(cycle_times_ns)))
            self._open[ticker] = shared.floats(arrays.open)
            self._liquidity[ticker] = arrays.liquidity
            self._cache[ticker] = (-1, None)
        self._constant_liquidity = universe.liquidity_usd

    def candle_indexes(self, ticker: str) -> list[int]:
        """For each cycle, the index of the pair's candle that opens at the cycle's time, or -1 (a gap)."""
        return self._candle_at_cycle[ticker]

    def open_float_now(self, ticker: str) -> float | None:
        """The open of the pair's candle at the current cycle as a float (statistics), or None in a gap: one call per position per cycle."""
        index = self._candle_at_cycle[ticker][self.cursor]
        return self._open[ticker][index] if index >= 0 else None

    def decimal_open(self, ticker: str, index: int) -> Decimal:
        """The open of the pair's candle ``index`` as the exact Decimal fills and valuation use."""
        return self._price(ticker, index)

    def _price(self, ticker: str, index: int) -> Decimal:
        cached_index, price = self._cache[ticker]
        if cached_index != index or price is None:
            price = to_decimal(self._open[ticker][index])
            self._cache[ticker] = (index, price)
        return price

    def get_mid_price(self, pair: TradingPairIdentifier) -> Decimal | None:
        index = self._candle_at_cycle[pair.ticker][self.cursor]
        return None if index < 0 else self._price(pair.ticker, index)

    def get_last_known_price(self, pair: TradingPairIdentifier) -> Decimal | None:
        """The latest candle open at or before now, for things that may use a stale price (gas)."""
        index = self._last_index[pair.ticker][self.cursor]
        return None if index < 0 else self._price(pair.ticker, index)

    def get_liquidity(self, pair: TradingPairIdentifier) -> Decimal | None:
        """The depth known now; a v3 pool's with its ranges as they stood at the cycle's open (a PoolDepth)."""
        series = self._liquidity[pair.ticker]
        if series is None:
            return self._constant_liquidity
        index = self._liquidity_index[pair.ticker][self.cursor]
        if index < 0:
            return None
        ranges = self._ranges.get(pair.ticker)
        if ranges is None:
            return to_decimal(series[index])
        return PoolDepth(to_decimal(series[index]), ranges[0].at(ranges[1][self.cursor]))

    def has_candle_now(self, ticker: str) -> bool:
        return self._candle_at_cycle[ticker][self.cursor] >= 0

    def opens_between(self, ticker: str, first: int, end: int) -> tuple[np.ndarray, np.ndarray]:
        """For cycles ``first`` to ``end - 1``: the opens of their candles as floats, and which cycles have one (a gap has none)."""
        indexes = as_array(self._candle_at_cycle[ticker][first:end])
        present = indexes >= 0
        opens = np.frombuffer(self._open[ticker], dtype=np.float64)
        return np.where(present, opens[np.where(present, indexes, 0)], np.nan), present
