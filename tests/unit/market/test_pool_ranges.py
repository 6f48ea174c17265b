"""A v3 pool's ranges through time: the table at any moment equals the one rebuilt from scratch from the
start ticks and the Mint/Burn rows before it, and a swap over it is the swap over that rebuilt table."""

from __future__ import annotations

import pickle
import random
from decimal import Decimal

import numpy as np
import pyarrow as pa
import pytest

from trade_executor.market.pool_candles_v3 import range_history
from trade_executor.market.pool_history import SCHEMAS, PoolMetadata, TokenInfo
from trade_executor.market.pool_ranges import PoolDepth, RangeHistory
from trade_executor.market.uniswap_v3_math import MAX_SQRT_RATIO, MIN_SQRT_RATIO, get_sqrt_ratio_at_tick
from trade_executor.market.uniswap_v3_swap import PoolState, TickTable, swap

SPACING = 60
T0 = 1_700_000_000
POOL = "0x" + "33" * 20


def tables(positions: list[tuple[int, int, int]]) -> tuple[dict[int, int], dict[int, int]]:
    """(gross, net) by tick of (lower, upper, liquidity) positions, as the pool keeps them."""
    gross: dict[int, int] = {}
    net: dict[int, int] = {}
    for lower, upper, amount in positions:
        for tick, signed in ((lower, amount), (upper, -amount)):
            gross[tick] = gross.get(tick, 0) + amount
            net[tick] = net.get(tick, 0) + signed
    return {t: g for t, g in gross.items() if g}, {t: net[t] for t, g in gross.items() if g}


def active(net: dict[int, int], tick: int) -> int:
    return sum(value for t, value in net.items() if t <= tick)


class Market:
    """Positions before the history, then mints and burns of random ranges at random blocks, and the pool's tick moving."""

    def __init__(self, seed: int, rows: int = 60, blocks: int = 200):
        rng = random.Random(seed)
        self.start = [(-887_220, 887_220, 10**18)] + [self.range(rng) for _ in range(8)]
        held = list(self.start[1:])
        self.rows: list[tuple[int, int, int, int]] = []  # block, lower, upper, signed amount
        for block in sorted(rng.sample(range(1, blocks), rows)):
            if held and rng.random() < 0.4:
                lower, upper, amount = held.pop(rng.randrange(len(held)))
                part = amount if rng.random() < 0.5 else amount // 3
                self.rows.append((block, lower, upper, -part))
                if part != amount:
                    held.append((lower, upper, amount - part))
            else:
                position = self.range(rng)
                held.append(position)
                self.rows.append((block, *position))
        self.ticks = {block: rng.randrange(-30, 30) * SPACING + rng.randrange(SPACING) for block in range(blocks)}
        self.blocks = blocks

    @staticmethod
    def range(rng: random.Random) -> tuple[int, int, int]:
        lower = rng.randrange(-25, 25) * SPACING
        return lower, lower + rng.choice((1, 2, 5)) * SPACING, rng.randrange(10**15, 10**17)

    def positions(self, version: int) -> list[tuple[int, int, int]]:
        return self.start + [(lower, upper, amount) for _, lower, upper, amount in self.rows[:version]]

    def version_after(self, block: int) -> int:
        return sum(1 for row in self.rows if row[0] <= block)

    def states(self) -> list[tuple[int, int, int, int]]:
        """(time, block, tick, L) after each block: every third block has an event; L as the table gives it."""
        found = []
        for block in range(0, self.blocks, 3):
            tick = self.ticks[block]
            found.append((T0 + 12 * block, block, tick, active(tables(self.positions(self.version_after(block)))[1], tick)))
        return found

    def history(self, known_words=None) -> RangeHistory:
        start_gross, start_net = tables(self.start)
        start_ticks = [[t, start_gross[t], start_net[t]] for t in sorted(start_gross)]
        tick0 = 7
        return RangeHistory(POOL, SPACING, start_ticks, known_words, self.rows, self.states(), (tick0, active(start_net, tick0)))


@pytest.mark.parametrize("seed", range(6))
def test_the_table_at_any_time_is_the_table_rebuilt_from_the_rows_before_it(seed):
    market = Market(seed)
    history = market.history()
    states = market.states()
    times = np.array([T0 * 10**9 - 1, *(T0 * 10**9 + k * 6 * 10**9 for k in range(0, 2 * market.blocks, 7))], dtype=np.int64)
    for when, index in zip(times, history.state_index_at(times), strict=True):
        before = [s for s in states if s[0] * 10**9 < when]  # strictly before: a cycle at T trades at the state the candle opens with
        assert index == len(before) - 1
        version = market.version_after(before[-1][1]) if before else 0
        ranges = history.at(int(index))
        gross, net = tables(market.positions(version))
        assert ranges.version == version and ranges.table() == net
        rebuilt = TickTable(SPACING, net)  # initialised ticks whose nets cancel stay in it: a swap step ends there too
        for tick in range(-32 * SPACING, 32 * SPACING, 17):
            assert ranges.liquidity_at(tick) == rebuilt.liquidity_at(tick) == active(net, tick)
            for lte in (True, False):
                assert ranges.next_initialized_tick_within_one_word(tick, lte) == rebuilt.next_initialized_tick_within_one_word(tick, lte)
        assert set(gross) == set(net)


@pytest.mark.parametrize("seed", range(4))
def test_a_swap_over_the_ranges_is_the_swap_over_the_rebuilt_table(seed):
    market = Market(seed)
    history = market.history()
    crossed = []
    for index in range(-1, len(history), 5):
        ranges = history.at(index)
        table = TickTable(SPACING, ranges.table())
        for tick, zero_for_one, amount in ((ranges.tick, True, 3 * 10**17), (ranges.tick + 41, False, 2 * 10**17), (ranges.tick - 200, True, 10**18)):
            sqrt_price = get_sqrt_ratio_at_tick(tick) + 12345
            limit = MIN_SQRT_RATIO + 1 if zero_for_one else MAX_SQRT_RATIO - 1
            liquidity = ranges.liquidity_at(tick)
            ours = swap(PoolState(sqrt_price, tick, liquidity, 3000, ranges), zero_for_one, amount, limit)
            theirs = swap(PoolState(sqrt_price, tick, table.liquidity_at(tick), 3000, table), zero_for_one, amount, limit)
            assert ours == theirs
            crossed.append(len(ours.ticks_crossed))
    assert sum(n >= 3 for n in crossed) >= len(crossed) // 3  # most walk through several initialised ticks


@pytest.mark.parametrize("seed", range(3))
def test_the_walk_meets_the_rebuilt_tables_ticks_in_order_and_every_kind_of_swap_agrees(seed):
    market = Market(seed)
    history = market.history()
    for index in range(-1, len(history), 9):
        ranges = history.at(index)
        net = ranges.table()
        for tick in range(-30 * SPACING, 30 * SPACING, 37):
            assert list(ranges.initialized_ticks_from(tick, True)) == [(t, net[t]) for t in sorted(net, reverse=True) if t <= tick]
            assert list(ranges.initialized_ticks_from(tick, False)) == [(t, net[t]) for t in sorted(net) if t > tick]
        table = TickTable(SPACING, net)
        sqrt_price = get_sqrt_ratio_at_tick(ranges.tick) + 777
        near = (get_sqrt_ratio_at_tick(ranges.tick - 900), get_sqrt_ratio_at_tick(ranges.tick + 900))
        cases = [(True, -(10**16), None, MIN_SQRT_RATIO + 1), (False, -(10**16), ranges.tick, MAX_SQRT_RATIO - 1)]  # exact output
        cases += [(True, 10**18, None, near[0]), (False, 10**18, ranges.tick, near[1])]  # stopped by a limit inside the ranges
        for zero_for_one, amount, tick, limit in cases:  # ``tick`` None: the swap works it out (the walk from it)
            liquidity = ranges.liquidity_at(ranges.tick)
            ours = swap(PoolState(sqrt_price, tick, liquidity, 500, ranges), zero_for_one, amount, limit)
            assert ours == swap(PoolState(sqrt_price, tick, liquidity, 500, table), zero_for_one, amount, limit)


def test_a_walk_across_bitmap_words_stops_at_each_words_edge_as_the_bitmap_does():
    """Spacing 1: a word is 256 ticks, and these swaps walk through several, up and down, over sparse ranges
    (each step's rounding, and so the amounts, depend on where the steps end)."""
    rng = random.Random(7)
    positions = [(-887_272, 887_272, 10**17)] + [(low, low + rng.randrange(1, 900), rng.randrange(10**15, 10**17)) for low in rng.sample(range(-4000, 4000), 40)]
    rows = [(block, *position) for block, position in enumerate(positions[1:], start=1)]
    net = tables(positions)[1]
    states = [(T0 + block, block, tick, active(net, tick)) for block, tick in ((len(rows), -37), (len(rows) + 1, 1234))]
    history = RangeHistory(POOL, 1, [[-887_272, 10**17, 10**17], [887_272, 10**17, -(10**17)]], None, rows, states, None)
    table = TickTable(1, net)
    for index in range(len(history)):
        ranges = history.at(index)
        sqrt_price = get_sqrt_ratio_at_tick(ranges.tick) + 99
        for zero_for_one, amount in ((True, 10**17), (False, 10**17), (True, 3 * 10**18), (False, 3 * 10**18)):
            limit = MIN_SQRT_RATIO + 1 if zero_for_one else MAX_SQRT_RATIO - 1
            ours = swap(PoolState(sqrt_price, ranges.tick, ranges.liquidity, 3000, ranges), zero_for_one, amount, limit)
            assert ours == swap(PoolState(sqrt_price, ranges.tick, ranges.liquidity, 3000, table), zero_for_one, amount, limit)
            assert abs(ours.tick - ranges.tick) > 512  # through two words and more


def test_ticks_outside_the_words_read_at_the_start_are_left_out_of_every_version():
    market = Market(3)
    words = (-1, 0)  # ticks -15,360 .. 15,359 at spacing 60
    history = market.history(known_words=words)
    assert all(-15_360 <= t < 15_360 for t in history.ticks)
    full = market.history()
    ranges, everything = history.at(len(history) - 1), full.at(len(full) - 1)
    assert ranges.table() == {t: v for t, v in everything.table().items() if -15_360 <= t < 15_360}
    assert -887_220 not in ranges.table()  # the full-range position's ticks: in no word read
    # beyond the words read a swap meets no initialised tick: the word's end, as a word with none
    assert ranges.next_initialized_tick_within_one_word(-15_361, True) == (-30_720, False)


def test_before_the_first_state_a_pool_created_inside_the_history_stands_at_its_first_state():
    history = RangeHistory(POOL, SPACING, [], None, [(5, -60, 60, 10**18)], [(T0, 5, 0, 10**18), (T0 + 60, 9, 30, 10**18)], None)
    times = np.array([(T0 - 3600) * 10**9, T0 * 10**9, (T0 + 1) * 10**9, (T0 + 61) * 10**9])
    assert history.state_index_at(times).tolist() == [0, 0, 0, 1]
    with pytest.raises(IndexError):
        history.at(-1)
    assert history.at(0).table() == {-60: 10**18, 60: -10**18}


def test_l_that_does_not_add_up_with_the_nets_is_refused():
    history = RangeHistory(POOL, SPACING, [[-60, 5, 5], [60, 5, -5]], None, [], [(T0, 1, 0, 5)], (0, 5))
    assert history.at(0).liquidity_at(100) == 0 and history.at(0).liquidity_at(-61) == 0
    with pytest.raises(ValueError, match="do not add up"):
        RangeHistory(POOL, SPACING, [[-60, 5, 5], [60, 5, -5]], None, [], [(T0, 1, 0, 2)], (0, 2)).at(0).liquidity_at(100)


def test_a_history_and_a_depth_with_ranges_survive_pickling():
    """A grid search ships the universe, ranges and all, to its workers."""
    market = Market(1)
    history = market.history(known_words=(-2, 1))
    copy = pickle.loads(pickle.dumps(history))
    assert copy.fingerprint() == history.fingerprint()
    assert copy.at(4).table() == history.at(4).table() and copy.at(4).liquidity == history.at(4).liquidity
    depth = PoolDepth(Decimal("1234.5"), history.at(4))
    again = pickle.loads(pickle.dumps(depth))
    assert again == Decimal("1234.5") and type(again) is PoolDepth and again.ranges.table() == history.at(4).table()
    assert depth * 2 == Decimal("2469.0") and depth > 0  # a Decimal to every other reader


def _metadata(**fields) -> PoolMetadata:
    token = TokenInfo("0x" + "11" * 20, "WETH", 18), TokenInfo("0x" + "22" * 20, "USDC", 6)
    return PoolMetadata(31337, POOL, *token, 10, 20, last_timestamp=T0 + 600, fee_pips=3000, **fields)


def _tables(swaps: list[tuple], ranges: list[tuple]) -> tuple[pa.Table, pa.Table]:
    def table(kind, rows):
        return pa.table({name: [row[i] for row in rows] for i, name in enumerate(SCHEMAS[kind].names)}, schema=SCHEMAS[kind])

    return table("v3_swap", swaps), table("v3_range", ranges)


def test_a_history_is_built_only_where_what_stood_before_it_is_known():
    sqrt = get_sqrt_ratio_at_tick(0)
    swaps, ranges = _tables([(10, 0, T0, 10**6, -10**6, sqrt, 10**18, 0)], [(11, 0, T0 + 12, -120, 120, 10**17)])
    started = dict(start_state=[sqrt, 0, 10**18], tick_spacing=60)
    known = range_history(_metadata(**started, start_ticks=[[-60, 10**18, 10**18], [60, 10**18, -10**18]], start_words=[-1, 0]), swaps, ranges)
    assert known is not None and known.at(-1).table() == {-60: 10**18, 60: -10**18}
    assert known.at(1).table() == {-120: 10**17, -60: 10**18, 60: -10**18, 120: -10**17}
    assert range_history(_metadata(**started), swaps, ranges) is None  # a cache from before start ticks were kept
    assert range_history(_metadata(tick_spacing=60), swaps, ranges) is None  # no state before it, and no Initialize in it
    initialize = (10, 0, T0, 0, 0, sqrt, 0, 0)
    swaps, ranges = _tables([initialize], [(10, 1, T0, -60, 60, 10**18)])
    created = range_history(_metadata(), swaps, ranges)  # created inside: the events are all (spacing from the fee tier)
    assert created is not None and created.known_words is None and created.tick_spacing == 60 and created.at(0).liquidity == 10**18
