"""Uniswap v3 integer maths: exact values from v3-core's own tests (test/SwapMath.spec.ts,
test/SqrtPriceMath.spec.ts, TickMath's constants) and the pool's swap walk over initialised ticks.

``encode_price_sqrt`` is v3-core's test helper encodePriceSqrt(reserve1, reserve0): sqrt(r1/r0) * 2**96
rounded down (the helper computes it to 40 decimals and floors; for these inputs that is isqrt).
"""

from __future__ import annotations

import random
from decimal import Decimal
from math import isqrt

import pytest

from trade_executor.market.uniswap_v3_math import (
    MAX_SQRT_RATIO,
    MAX_TICK,
    MIN_SQRT_RATIO,
    MIN_TICK,
    Q96,
    UniswapV3MathError,
    add_delta,
    compute_swap_step,
    get_amount0_delta,
    get_amount1_delta,
    get_next_sqrt_price_from_input,
    get_next_sqrt_price_from_output,
    get_sqrt_ratio_at_tick,
    get_tick_at_sqrt_ratio,
    mul_div,
    mul_div_rounding_up,
)
from trade_executor.market.uniswap_v3_swap import (
    TickTable,
    full_range_ticks,
    get_liquidity_for_amounts,
    nearest_usable_tick,
    pool_at_price,
    price_from_sqrt_price_x96,
    sqrt_price_x96_from_price,
    swap,
)

E18 = 10**18
Q128 = 1 << 128


def encode_price_sqrt(reserve1: int, reserve0: int) -> int:
    return isqrt((reserve1 << 192) // reserve0)


# --- TickMath ------------------------------------------------------------------------------------


def test_sqrt_ratio_at_the_extreme_ticks_and_at_zero():
    assert get_sqrt_ratio_at_tick(MIN_TICK) == 4295128739 == MIN_SQRT_RATIO
    assert get_sqrt_ratio_at_tick(MAX_TICK) == 1461446703485210103287273052203988822378723970342 == MAX_SQRT_RATIO
    assert get_sqrt_ratio_at_tick(0) == 2**96
    assert get_sqrt_ratio_at_tick(MIN_TICK + 1) == 4295343490
    assert get_sqrt_ratio_at_tick(MAX_TICK - 1) == 1461373636630004318706518188784493106690254656249


def test_ticks_beyond_the_bounds_revert():
    for tick in (MIN_TICK - 1, MAX_TICK + 1):
        with pytest.raises(UniswapV3MathError) as raised:
            get_sqrt_ratio_at_tick(tick)
        assert raised.value.reason == "T"
    for sqrt_price in (MIN_SQRT_RATIO - 1, MAX_SQRT_RATIO):
        with pytest.raises(UniswapV3MathError) as raised:
            get_tick_at_sqrt_ratio(sqrt_price)
        assert raised.value.reason == "R"


def test_tick_at_sqrt_ratio_round_trips_and_the_ratio_just_below_a_tick_is_the_tick_before():
    rng = random.Random(16)
    ticks = [MIN_TICK, MIN_TICK + 1, -1, 0, 1, MAX_TICK - 1] + [rng.randint(MIN_TICK, MAX_TICK - 1) for _ in range(3000)]
    ticks += list(range(-300, 300))
    for tick in ticks:
        ratio = get_sqrt_ratio_at_tick(tick)
        assert get_tick_at_sqrt_ratio(ratio) == tick
        assert get_tick_at_sqrt_ratio(ratio + 1) == tick
        if tick > MIN_TICK:
            assert get_tick_at_sqrt_ratio(ratio - 1) == tick - 1
    assert get_tick_at_sqrt_ratio(MIN_SQRT_RATIO) == MIN_TICK
    assert get_tick_at_sqrt_ratio(MAX_SQRT_RATIO - 1) == MAX_TICK - 1


# --- FullMath, LiquidityMath ---------------------------------------------------------------------


def test_mul_div_rounds_down_and_up_and_refuses_what_does_not_fit():
    assert mul_div(Q128, 35 * Q128, 8 * Q128) == 4375 * Q128 // 1000
    assert mul_div(Q128, 1000 * Q128, 3000 * Q128) == 113427455640312821154458202477256070485
    assert mul_div_rounding_up(Q128, 1000 * Q128, 3000 * Q128) == 113427455640312821154458202477256070486
    assert mul_div_rounding_up(Q128, 50 * Q128 // 100, 150 * Q128 // 100) == Q128 // 3 + 1
    with pytest.raises(UniswapV3MathError):
        mul_div(Q128, Q128, 1)
    with pytest.raises(UniswapV3MathError):
        mul_div(1, 1, 0)


def test_liquidity_add_delta_reverts_below_zero_and_above_uint128():
    assert add_delta(1, -1) == 0 and add_delta(1, 2) == 3
    with pytest.raises(UniswapV3MathError) as raised:
        add_delta(1, -2)
    assert raised.value.reason == "LS"
    with pytest.raises(UniswapV3MathError) as raised:
        add_delta(2**128 - 15, 15)
    assert raised.value.reason == "LA"


# --- SqrtPriceMath (values from SqrtPriceMath.spec.ts) -------------------------------------------


def test_next_sqrt_price_from_input_and_output():
    one = encode_price_sqrt(1, 1)
    assert get_next_sqrt_price_from_input(one, E18, E18 // 10, False) == 87150978765690771352898345369
    assert get_next_sqrt_price_from_input(one, E18, E18 // 10, True) == 72025602285694852357767227579
    assert get_next_sqrt_price_from_input(one, 10 * E18, 2**100, True) == 624999999995069620
    assert get_next_sqrt_price_from_input(one, 1, (2**256 - 1) // 2, True) == 1
    assert get_next_sqrt_price_from_input(1, 1, 2**255, True) == 1
    assert get_next_sqrt_price_from_input(one, E18 // 10, 0, True) == one
    assert get_next_sqrt_price_from_output(one, E18, E18 // 10, False) == 88031291682515930659493278152
    assert get_next_sqrt_price_from_output(one, E18, E18 // 10, True) == 71305346262837903834189555302
    with pytest.raises(UniswapV3MathError):
        get_next_sqrt_price_from_input(2**160 - 1, 1024, 1024, False)
    with pytest.raises(UniswapV3MathError):  # exactly the virtual reserves of token0
        get_next_sqrt_price_from_output(20282409603651670423947251286016, 1024, 4, False)
    with pytest.raises(UniswapV3MathError):
        get_next_sqrt_price_from_output(one, 1, 2**256 - 1, True)


def test_sqrt_price_times_sqrt_q_overflowing_takes_the_other_formula():
    sqrt_p, liquidity = 1025574284609383690408304870162715216695788925244, 50015962439936049619261659728067971248
    sqrt_q = get_next_sqrt_price_from_input(sqrt_p, liquidity, 406, True)
    assert sqrt_q == 1025574284609383582644711336373707553698163132913
    assert get_amount0_delta(sqrt_p, sqrt_q, liquidity, True) == 406


def test_amount_deltas_round_as_asked():
    one, p121 = encode_price_sqrt(1, 1), encode_price_sqrt(121, 100)
    assert get_amount0_delta(p121, one, E18, True) == 90909090909090910
    assert get_amount0_delta(p121, one, E18, False) == 90909090909090909
    assert get_amount1_delta(one, p121, E18, True) == 100000000000000000
    assert get_amount1_delta(one, p121, E18, False) == 99999999999999999
    assert get_amount0_delta(encode_price_sqrt(2, 1), one, 0, True) == 0
    up = get_amount0_delta(encode_price_sqrt(2**96, 1), encode_price_sqrt(2**90, 1), E18, True)
    assert up == get_amount0_delta(encode_price_sqrt(2**96, 1), encode_price_sqrt(2**90, 1), E18, False) + 1


# --- SwapMath.computeSwapStep (vectors from SwapMath.spec.ts) -------------------------------------

SWAP_STEP_VECTORS = [
    # (sqrtP, sqrtTarget, liquidity, amountRemaining, feePips) -> (sqrtQ, amountIn, amountOut, feeAmount)
    (
        (encode_price_sqrt(1, 1), encode_price_sqrt(101, 100), 2 * E18, E18, 600),
        (encode_price_sqrt(101, 100), 9975124224178055, 9925619580021728, 5988667735148),
    ),
    (
        (encode_price_sqrt(1, 1), encode_price_sqrt(101, 100), 2 * E18, -E18, 600),
        (encode_price_sqrt(101, 100), 9975124224178055, 9925619580021728, 5988667735148),
    ),
    (
        (encode_price_sqrt(1, 1), encode_price_sqrt(1000, 100), 2 * E18, E18, 600),
        (
            get_next_sqrt_price_from_input(encode_price_sqrt(1, 1), 2 * E18, E18 - 600000000000000, False),
            999400000000000000,
            666399946655997866,
            600000000000000,
        ),
    ),
    (
        (encode_price_sqrt(1, 1), encode_price_sqrt(10000, 100), 2 * E18, -E18, 600),
        (
            get_next_sqrt_price_from_output(encode_price_sqrt(1, 1), 2 * E18, E18, False),
            2000000000000000000,
            E18,
            1200720432259356,
        ),
    ),
    (
        (417332158212080721273783715441582, 1452870262520218020823638996, 159344665391607089467575320103, -1, 1),
        (417332158212080721273783715441581, 1, 1, 1),
    ),
    ((2, 1, 1, 3915081100057732413702495386755767, 1), (1, 39614081257132168796771975168, 0, 39614120871253040049813)),
    ((2413, 79887613182836312, 1985041575832132834610021537970, 10, 1872), (2413, 0, 0, 10)),
    (
        (20282409603651670423947251286016, 20282409603651670423947251286016 * 11 // 10, 1024, -4, 3000),
        (20282409603651670423947251286016 * 11 // 10, 26215, 0, 79),
    ),
    (
        (20282409603651670423947251286016, 20282409603651670423947251286016 * 9 // 10, 1024, -263000, 3000),
        (20282409603651670423947251286016 * 9 // 10, 1, 26214, 1),
    ),
]


@pytest.mark.parametrize(("arguments", "expected"), SWAP_STEP_VECTORS)
def test_compute_swap_step_matches_v3_core(arguments, expected):
    assert compute_swap_step(*arguments) == expected


def test_the_encoded_prices_are_v3_cores():
    assert encode_price_sqrt(101, 100) == 79623317895830914510639640423
    assert compute_swap_step(*SWAP_STEP_VECTORS[2][0])[0] < encode_price_sqrt(1000, 100)


# --- the pool's swap ------------------------------------------------------------------------------

SPACING = 60
# Three positions around price 1 (tick 0): wide, middle and narrow ranges.
POSITIONS = [(-6000, 6000, 10 * E18), (-1200, 1200, 30 * E18), (-120, 120, 50 * E18)]


def tick_table(positions=POSITIONS, spacing=SPACING) -> TickTable:
    net: dict[int, int] = {}
    for lower, upper, liquidity in positions:
        net[lower] = net.get(lower, 0) + liquidity
        net[upper] = net.get(upper, 0) - liquidity
    return TickTable(spacing, net)


def in_range(tick: int, positions=POSITIONS) -> int:
    """The liquidity of the positions whose [lower, upper) holds ``tick``, counted independently."""
    return sum(liquidity for lower, upper, liquidity in positions if lower <= tick < upper)


def test_a_swap_down_crosses_each_initialised_tick_and_keeps_the_liquidity_books():
    pool = pool_at_price(Q96, 3000, tick_table())
    assert (pool.tick, pool.liquidity) == (0, 90 * E18)
    result = swap(pool, True, 5 * E18, MIN_SQRT_RATIO + 1)
    assert result.ticks_crossed == (-120, -1200)
    assert result.liquidity == in_range(result.tick) == 10 * E18
    assert -6000 < result.tick < -1200
    assert get_sqrt_ratio_at_tick(result.tick) <= result.sqrt_price_x96 < get_sqrt_ratio_at_tick(result.tick + 1)
    assert result.amount0 == 5 * E18 and result.amount1 < 0
    # Token1 paid out is what each range gives between its price bounds (each rounded down, so
    # the sum may exceed the pool's figure by one unit per step).
    bounds = [Q96, get_sqrt_ratio_at_tick(-120), get_sqrt_ratio_at_tick(-1200), result.sqrt_price_x96]
    liquidities = [90 * E18, 40 * E18, 10 * E18]
    by_range = sum(get_amount1_delta(b, a, L, False) for a, b, L in zip(bounds, bounds[1:], liquidities, strict=False))
    assert 0 <= by_range - -result.amount1 <= 8
    # Back up across the same ticks: the liquidity returns to where it started.
    back = swap(pool_at_price(result.sqrt_price_x96, 3000, tick_table()), False, 10 * E18, get_sqrt_ratio_at_tick(60))
    assert back.ticks_crossed == (-1200, -120)
    assert back.liquidity == in_range(back.tick) == 90 * E18


def test_a_swap_up_stops_at_the_price_limit_and_leaves_the_rest_of_the_amount():
    pool = pool_at_price(Q96, 500, tick_table())
    limit = get_sqrt_ratio_at_tick(600)
    result = swap(pool, False, 10**30, limit)
    assert result.sqrt_price_x96 == limit and result.tick == 600
    assert result.ticks_crossed == (120,)
    assert result.amount1 < 10**30
    assert (
        result.amount1
        == get_amount1_delta(Q96, get_sqrt_ratio_at_tick(120), 90 * E18, True)
        + get_amount1_delta(get_sqrt_ratio_at_tick(120), limit, 40 * E18, True)
        + result.fee_amount
    )


def test_exact_input_then_the_same_output_exactly_needs_no_more_input():
    rng = random.Random(3)
    for _ in range(200):
        zero_for_one = rng.random() < 0.5
        amount = rng.randint(1, 2 * E18)
        pool = pool_at_price(encode_price_sqrt(rng.randint(90, 110), 100), rng.choice([100, 500, 3000, 10000]), tick_table())
        limit = MIN_SQRT_RATIO + 1 if zero_for_one else MAX_SQRT_RATIO - 1
        forward = swap(pool, zero_for_one, amount, limit)
        amount_in = forward.amount0 if zero_for_one else forward.amount1
        assert amount_in == amount  # the positions hold enough for every swap here
        amount_out = -(forward.amount1 if zero_for_one else forward.amount0)
        if amount_out == 0:
            continue
        reverse = swap(pool, zero_for_one, -amount_out, limit)
        assert -(reverse.amount1 if zero_for_one else reverse.amount0) == amount_out
        needed = reverse.amount0 if zero_for_one else reverse.amount1
        # The pool rounds against the swapper both ways: at most the same input, and one unit or
        # so less per step (each step rounds its input and its fee up once; 500 random swaps: 0 or 1).
        assert 0 <= amount_in - needed <= 1 + len(forward.ticks_crossed)
        assert reverse.ticks_crossed == forward.ticks_crossed


def test_steps_end_at_the_bitmap_word_as_on_chain():
    """With no initialised tick near, a step ends at the 256-tick word's edge: two steps, two roundings."""
    table = full_range_ticks(10 * E18, 1)
    pool = pool_at_price(get_sqrt_ratio_at_tick(10), 3000, table)
    result = swap(pool, True, E18 // 10, MIN_SQRT_RATIO + 1)
    assert result.tick < 0  # crossed the word edge at tick 0 without crossing an initialised tick
    assert result.ticks_crossed == ()
    first = compute_swap_step(pool.sqrt_price_x96, Q96, 10 * E18, E18 // 10, 3000)
    assert first[0] == Q96
    second = compute_swap_step(Q96, get_sqrt_ratio_at_tick(-256), 10 * E18, E18 // 10 - first[1] - first[3], 3000)
    assert result.sqrt_price_x96 == second[0]
    assert result.amount1 == -(first[2] + second[2])
    assert result.fee_amount == first[3] + second[3]


def test_swaps_refuse_a_zero_amount_and_a_limit_on_the_wrong_side():
    pool = pool_at_price(Q96, 3000, tick_table())
    with pytest.raises(UniswapV3MathError) as raised:
        swap(pool, True, 0, MIN_SQRT_RATIO + 1)
    assert raised.value.reason == "AS"
    for zero_for_one, limit in ((True, Q96 + 1), (False, Q96 - 1), (True, MIN_SQRT_RATIO), (False, MAX_SQRT_RATIO)):
        with pytest.raises(UniswapV3MathError) as raised:
            swap(pool, zero_for_one, E18, limit)
        assert raised.value.reason == "SPL"


# --- helpers --------------------------------------------------------------------------------------


def test_sqrt_price_from_a_decimal_price_is_the_exact_floor():
    assert sqrt_price_x96_from_price(Decimal(1), 18, 18) == Q96
    assert sqrt_price_x96_from_price(Decimal("1.01"), 18, 18) == encode_price_sqrt(101, 100)
    # 2000 USDC (6 decimals, token1) per WETH (18 decimals, token0): raw price 2000e6 / 1e18.
    sqrt_price = sqrt_price_x96_from_price(Decimal(2000), 18, 6)
    assert sqrt_price == isqrt(2000 * 10**6 * 2**192 // 10**18) == 3543191142285914205922034
    assert sqrt_price**2 <= 2000 * 10**6 * 2**192 // 10**18 < (sqrt_price + 1) ** 2
    assert price_from_sqrt_price_x96(sqrt_price, 18, 6).quantize(Decimal("0.000001")) == Decimal("2000.000000")
    assert price_from_sqrt_price_x96(Q96, 18, 18) == 1
    with pytest.raises(ValueError):
        sqrt_price_x96_from_price(Decimal(0), 18, 6)


def test_nearest_usable_tick():
    assert nearest_usable_tick(MIN_TICK, 1) == MIN_TICK
    assert nearest_usable_tick(MIN_TICK, 60) == -887220
    assert nearest_usable_tick(MAX_TICK, 200) == 887200
    assert nearest_usable_tick(5, 10) == 10 and nearest_usable_tick(4, 10) == 0 and nearest_usable_tick(-5, 10) == 0
    assert nearest_usable_tick(-6, 10) == -10 and nearest_usable_tick(34, 60) == 60 and nearest_usable_tick(-34, 60) == -60


def test_liquidity_for_amounts():
    one = encode_price_sqrt(1, 1)
    lower, upper = encode_price_sqrt(100, 110), encode_price_sqrt(110, 100)
    assert get_liquidity_for_amounts(one, lower, upper, 100, 200) == 2148
    assert get_liquidity_for_amounts(encode_price_sqrt(99, 110), lower, upper, 100, 200) == 1048
    assert get_liquidity_for_amounts(encode_price_sqrt(111, 100), lower, upper, 100, 200) == 2097
    assert get_liquidity_for_amounts(lower, lower, upper, 100, 200) == 1048
    assert get_liquidity_for_amounts(upper, lower, upper, 100, 200) == 2097
