"""A swap that starts without slot0's tick (the backtest fill's shortcut) gives exactly the swap that starts with it."""

import random

import pytest

from trade_executor.market.uniswap_v3_math import MAX_SQRT_RATIO, MIN_SQRT_RATIO, get_sqrt_ratio_at_tick, get_tick_at_sqrt_ratio
from trade_executor.market.uniswap_v3_swap import PoolState, TickTable, full_range_ticks, swap

E18 = 10**18


def _both(sqrt_price: int, liquidity: int, table: TickTable, zero_for_one: bool, amount: int):
    limit = MIN_SQRT_RATIO + 1 if zero_for_one else MAX_SQRT_RATIO - 1
    known = swap(PoolState(sqrt_price, get_tick_at_sqrt_ratio(sqrt_price), liquidity, 500, table), zero_for_one, amount, limit)
    lazy = swap(PoolState(sqrt_price, None, liquidity, 500, table), zero_for_one, amount, limit)
    assert lazy[:6] == known[:6] and lazy.tick == known.tick
    return known


@pytest.mark.parametrize("spacing", [1, 10, 60, 200])
def test_a_swap_without_the_start_tick_is_the_same_swap(spacing):
    rng = random.Random(spacing)
    table = full_range_ticks(10**6 * E18 // 10**6, spacing)
    for _ in range(300):
        tick = rng.randrange(-300_000, 300_000)
        word_edge = (tick // (256 * spacing)) * 256 * spacing + rng.choice([0, -spacing, spacing, 255 * spacing, 256 * spacing])
        for start in (tick, word_edge):
            sqrt_price = get_sqrt_ratio_at_tick(start) + rng.choice([0, 0, 1, -1, rng.randrange(1, 10**12)])
            for zero_for_one in (True, False):
                _both(sqrt_price, table.liquidity_at(get_tick_at_sqrt_ratio(sqrt_price)), table, zero_for_one, rng.choice([10**6, 10**15, 10**22, 10**26]))


def test_a_word_with_initialised_ticks_falls_back_to_the_tick():
    spacing = 10
    table = TickTable(spacing, {-887270: 5 * E18, -20: 10 * E18, 30: -10 * E18, 887270: -5 * E18})
    for start in (-25, -20, -1, 0, 29, 30, 31, 2560, -2561):
        sqrt_price = get_sqrt_ratio_at_tick(start) + 7
        for zero_for_one in (True, False):
            for amount in (10**15, 10**18, 10**21):
                _both(sqrt_price, table.liquidity_at(get_tick_at_sqrt_ratio(sqrt_price)), table, zero_for_one, amount)
