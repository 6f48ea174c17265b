"""A Uniswap v3 pool's initialised ticks and active liquidity through time, from its downloaded events.

A backtest fill that crosses initialised ticks needs the pool's tick -> liquidityNet table as it
stood at the fill's time, with the active liquidity L. Rebuilding the table for a fill would cost
its size each time; here every tick keeps the versions at which its liquidity changed, so the table
at any moment is a view (``PoolRanges``) that lists the ticks a swap meets in its order, reading each
one's versions only when the swap gets to it.

- Version 0 is the table before the history's first block: the ticks read from the chain there
  (``PoolMetadata.start_ticks``), or none when the history holds the pool's Initialize (no position
  can exist before it). Version k is the table after the first k Mint/Burn rows in chain order: a
  Mint of L over [lower, upper) adds L to both ticks' liquidityGross, L to lower's liquidityNet and
  -L to upper's; a Burn takes them off again. A tick is initialised while its liquidityGross is above
  zero, as in the pool's bitmap (a tick whose nets cancel is still one where a swap step ends).
- The pool's state after each block that has an event: its time, tick, L, and the version standing
  (the states the candles are made of, market/pool_candles_v3.py's ``block_states``).
- Positions minted before the history are known within the tick bitmap words read at its start
  (``known_words``). Ticks outside them are left out of every version: a Burn there could not be
  told from what stood before it. A swap that walks beyond them meets no initialised tick there.

``state_index_at(times)`` finds for each time the last state strictly before it, for all of a
backtest's cycles in one searchsorted; ``at(index)`` is the pool then, in O(1). The fill's L is the
state's own L carried to the fill price's tick through the nets in between (``liquidity_at``).
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Iterator, Sequence
from decimal import Decimal

import numpy as np

from trade_executor.market.uniswap_v3_math import MAX_TICK, UINT128_MAX, get_sqrt_ratio_at_tick, get_tick_at_sqrt_ratio

_LOW64 = (1 << 64) - 1


class RangeHistory:
    """One pool's ranges through time (see the module docstring); built once, read by every fill of a backtest."""

    __slots__ = ("pool", "tick_spacing", "known_words", "ticks", "_changes", "times", "_ticks", "_l_high", "_l_low", "_versions", "_start")

    def __init__(
        self,
        pool: str,
        tick_spacing: int,
        start_ticks: Iterable[Sequence[int]],
        known_words: tuple[int, int] | None,
        changes: Iterable[tuple[int, int, int, int]],
        states: Iterable[tuple[int, int, int, int]],
        start: tuple[int, int] | None,
    ):
        """``start_ticks``: (tick, liquidityGross, liquidityNet) before the first block; ``known_words``: the bitmap
        words they were read from (None: every word, the history is complete); ``changes``: (block, tick_lower,
        tick_upper, signed amount) per Mint/Burn in chain order; ``states``: (time in s, block, tick, L) after
        each block with an event, in order; ``start``: (tick, L) before the first block, None if not initialised."""
        if tick_spacing <= 0:
            raise ValueError(f"tick spacing must be positive, got {tick_spacing}")
        self.pool, self.tick_spacing, self.known_words = pool, tick_spacing, known_words
        self._changes: dict[int, tuple[list[int], list[int], list[int]]] = {}  # tick -> (versions, gross, net)
        for tick, gross, net in start_ticks:
            if self._known(tick) and gross:
                self._changes[tick] = ([0], [gross], [net])
        blocks = []
        for version, (block, lower, upper, amount) in enumerate(changes, start=1):
            blocks.append(block)
            for tick, signed in ((lower, amount), (upper, -amount)):
                if self._known(tick):
                    versions, gross, net = self._changes.setdefault(tick, ([0], [0], [0]))
                    versions.append(version)
                    gross.append(gross[-1] + amount)
                    net.append(net[-1] + signed)
        self.ticks = sorted(self._changes)
        times, ticks, highs, lows, versions = [], [], [], [], []
        for stamp, block, tick, liquidity in states:
            times.append(stamp * 1_000_000_000)
            ticks.append(tick)
            highs.append(liquidity >> 64)
            lows.append(liquidity & _LOW64)
            versions.append(bisect_right(blocks, block))  # the rows of this block and before
        self.times = np.array(times, dtype=np.int64)  # ns, as the backtest's cycle times
        self._ticks = memoryview(np.array(ticks, dtype=np.int32))  # an item reads as a Python int
        self._l_high, self._l_low = (memoryview(np.array(v, dtype=np.uint64)) for v in (highs, lows))
        self._versions = memoryview(np.array(versions, dtype=np.int64))
        self._start = start

    def _known(self, tick: int) -> bool:
        if self.known_words is None:
            return True
        return self.known_words[0] <= (tick // self.tick_spacing) >> 8 <= self.known_words[1]

    def __len__(self) -> int:
        """The number of states (blocks with an event)."""
        return len(self.times)

    def state_index_at(self, times_ns: np.ndarray) -> np.ndarray:
        """For each time, the index of the last state strictly before it: -1 for the state before the first block.

        A cycle at T trades at the candle's open, the price after the last block before T. Before the first
        state of a pool created inside the history (no state before its first block) the first state stands in,
        as the candles' first close does for the depth."""
        found = np.searchsorted(self.times, np.asarray(times_ns, dtype=np.int64), side="left") - 1
        return found if self._start is not None else np.maximum(found, 0)

    def at(self, index: int) -> PoolRanges:
        """The pool after state ``index`` (-1: before the first block)."""
        if index < 0:
            if self._start is None:
                raise IndexError("the pool was not initialised before the history's first block")
            tick, liquidity = self._start
            return PoolRanges(self, 0, tick, liquidity)
        liquidity = (self._l_high[index] << 64) | self._l_low[index]
        return PoolRanges(self, self._versions[index], self._ticks[index], liquidity)

    def fingerprint(self) -> bytes:
        """Bytes that change whenever anything a fill reads changes (for caches of results keyed on the data)."""
        parts = [repr((self.pool, self.tick_spacing, self.known_words, self._start, [(t, self._changes[t]) for t in self.ticks])).encode()]
        parts += [bytes(self.times.data), bytes(self._ticks), bytes(self._l_high), bytes(self._l_low), bytes(self._versions)]
        return b"".join(parts)

    def __reduce__(self):  # memoryviews do not pickle; a grid search ships the universe to its workers
        state = (np.asarray(self._ticks), np.asarray(self._l_high), np.asarray(self._l_low), np.asarray(self._versions))
        return _restore, (self.pool, self.tick_spacing, self.known_words, self.ticks, self._changes, self.times, state, self._start)


def _restore(pool, spacing, known, ticks, changes, times, arrays, start) -> RangeHistory:
    history = RangeHistory.__new__(RangeHistory)
    history.pool, history.tick_spacing, history.known_words, history.ticks, history._changes = pool, spacing, known, ticks, changes
    history.times, history._start = times, start
    history._ticks, history._l_high, history._l_low, history._versions = (memoryview(np.ascontiguousarray(a)) for a in arrays)
    return history


class PoolRanges:
    """The pool at one moment: its tick, L, and its tick table at that version.

    It is what ``uniswap_v3_swap.swap`` reads of a tick table, answered from the history without building
    the table: ``initialized_ticks_from`` (and, as on a TickTable, ``next_initialized_tick_within_one_word``
    and ``liquidity_net[tick]``).
    """

    __slots__ = ("tick_spacing", "tick", "liquidity", "version", "_ticks", "_changes")

    def __init__(self, history: RangeHistory, version: int, tick: int, liquidity: int):
        self.tick_spacing, self.version, self.tick, self.liquidity = history.tick_spacing, version, tick, liquidity
        self._ticks, self._changes = history.ticks, history._changes

    def _gross_net(self, tick: int) -> tuple[int, int]:
        entry = self._changes.get(tick)
        if entry is None:
            return 0, 0
        versions, version = entry[0], self.version
        index = len(versions) - 1 if versions[-1] <= version else bisect_right(versions, version) - 1
        return entry[1][index], entry[2][index]

    @property
    def liquidity_net(self) -> PoolRanges:
        """``liquidity_net[tick]`` as on a TickTable."""
        return self

    def __getitem__(self, tick: int) -> int:
        return self._gross_net(tick)[1]

    def is_initialised(self, tick: int) -> bool:
        return self._gross_net(tick)[0] > 0

    def next_initialized_tick_within_one_word(self, tick: int, lte: bool) -> tuple[int, bool]:
        """TickBitmap.nextInitializedTickWithinOneWord on this version's table."""
        spacing, ticks = self.tick_spacing, self._ticks
        compressed = tick // spacing
        if lte:
            lowest = ((compressed >> 8) << 8) * spacing
            index = bisect_right(ticks, compressed * spacing) - 1
            while index >= 0 and ticks[index] >= lowest:
                if self._gross_net(ticks[index])[0] > 0:
                    return ticks[index], True
                index -= 1
            return lowest, False
        highest = ((((compressed + 1) >> 8) << 8) + 255) * spacing
        index = bisect_right(ticks, compressed * spacing)
        while index < len(ticks) and ticks[index] <= highest:
            if self._gross_net(ticks[index])[0] > 0:
                return ticks[index], True
            index += 1
        return highest, False

    def initialized_ticks_from(self, tick: int, lte: bool) -> Iterator[tuple[int, int]]:
        """The ticks initialised at this version that a swap from ``tick`` meets, in its order, with their
        liquidityNet: those at or below the tick going down (``lte``), those above it going up (on the
        tick's spacing, as the bitmap compresses it). The swap finds the words' edges itself.

        One bisection for the whole swap, and a tick's versions are read only when the swap gets to it
        (bisected only if the tick changed after this version). No table is built per version: a history
        changes version at nearly every block with a Mint or Burn, so fills seldom share one, and each
        table would cost the pool's tick count where a fill reads the few ticks it crosses."""
        ticks, changes, version = self._ticks, self._changes, self.version
        compressed = tick // self.tick_spacing * self.tick_spacing
        if lte:
            indices = range(bisect_right(ticks, compressed) - 1, -1, -1)
        else:
            indices = range(bisect_right(ticks, compressed), len(ticks))
        for index in indices:
            versions, gross, net = changes[ticks[index]]
            at = -1 if versions[-1] <= version else bisect_right(versions, version) - 1
            if gross[at] > 0:
                yield ticks[index], net[at]

    def next_initialized_tick_at_price(self, sqrt_price_x96: int, lte: bool) -> None:
        """Not answered from a price: the swap works its tick out (see TickTable)."""
        return None

    def tick_at(self, sqrt_price_x96: int) -> int:
        """The tick of a price: this moment's own tick when the price lies in it (a fill at the candle's open nearly
        always does: two cached TickMath look-ups instead of the log of ``get_tick_at_sqrt_ratio``)."""
        tick = self.tick
        if tick < MAX_TICK and get_sqrt_ratio_at_tick(tick) <= sqrt_price_x96 < get_sqrt_ratio_at_tick(tick + 1):
            return tick
        return get_tick_at_sqrt_ratio(sqrt_price_x96)

    def liquidity_at(self, tick: int) -> int:
        """The active liquidity when the pool's tick is ``tick``: this moment's L carried through the nets between."""
        ticks, liquidity = self._ticks, self.liquidity
        if tick > self.tick:
            for crossed in ticks[bisect_right(ticks, self.tick) : bisect_right(ticks, tick)]:
                liquidity += self[crossed]
        elif tick < self.tick:
            for crossed in ticks[bisect_right(ticks, tick) : bisect_right(ticks, self.tick)]:
                liquidity -= self[crossed]
        if not 0 <= liquidity <= UINT128_MAX:
            raise ValueError(f"the ranges give liquidity {liquidity} at tick {tick} (L {self.liquidity} at tick {self.tick}): their nets do not add up")
        return liquidity

    def table(self) -> dict[int, int]:
        """tick -> liquidityNet of every tick initialised at this version (as the pool's ticks(t) answer it)."""
        table = {}
        for tick in self._ticks:
            gross, net = self._gross_net(tick)
            if gross > 0:
                table[tick] = net
        return table


class PoolDepth(Decimal):
    """A pool's depth as fill models take it (a Decimal: the quote side of a v2 pool as deep), and, for a v3
    pool downloaded from the chain, ``ranges``: the pool at that moment, for a fill that crosses ticks.

    A Decimal so that every fill model, and everything else reading a pricing model's liquidity, takes it
    as the depth it always was; only the concentrated-liquidity model looks at ``ranges``."""

    __slots__ = ("ranges",)

    def __new__(cls, value: Decimal | str, ranges: PoolRanges) -> PoolDepth:
        depth = super().__new__(cls, value)
        depth.ranges = ranges
        return depth

    def __reduce__(self):
        return PoolDepth, (str(self), self.ranges)
