"""The swap step's written-out forms equal SqrtPriceMath's and SwapMath's own composition, to the unit.

``compute_swap_step_exact_in`` writes getAmount0Delta/getAmount1Delta out for the steps that reach
their target, and ``get_amount0_delta`` rounds once by sqrtA * sqrtB where FullMath rounds by sqrtB
then by sqrtA (equal for integers: ceil(ceil(x / a) / b) = ceil(x / ab), and the first quotient, at
most L << 96, cannot overflow while that fits in 256 bits). Here both are checked against the
contract's order of operations, written plainly below, on random and extreme inputs: the same
integers, and the same revert where the contract reverts.
"""

from __future__ import annotations

import random

import pytest

from trade_executor.market.uniswap_v3_math import (
    MAX_SQRT_RATIO,
    MIN_SQRT_RATIO,
    PIPS,
    Q96,
    UINT256_MAX,
    UniswapV3MathError,
    compute_swap_step,
    compute_swap_step_exact_in,
    get_amount0_delta,
    get_amount1_delta,
    get_next_sqrt_price_from_input,
    get_next_sqrt_price_from_output,
    get_sqrt_ratio_at_tick,
    mul_div_rounding_up,
)

EXTREMES = (0, 1, 2, 3, MIN_SQRT_RATIO, MAX_SQRT_RATIO, Q96, 2**128 - 1, 2**160 - 1, 2**255, UINT256_MAX)


def amount0_as_fullmath(sqrt_a: int, sqrt_b: int, liquidity: int, round_up: bool) -> int:
    """SqrtPriceMath.getAmount0Delta: mulDiv(L << 96, sqrtB - sqrtA, sqrtB), then divided by sqrtA."""
    if sqrt_a > sqrt_b:
        sqrt_a, sqrt_b = sqrt_b, sqrt_a
    if sqrt_a <= 0:
        raise UniswapV3MathError("", "sqrt price must be positive")
    product = (liquidity << 96) * (sqrt_b - sqrt_a)
    quotient = -(-product // sqrt_b) if round_up else product // sqrt_b
    if quotient > UINT256_MAX:
        raise UniswapV3MathError("", "mulDiv result does not fit in 256 bits")
    return -(-quotient // sqrt_a) if round_up else quotient // sqrt_a


def step_as_swapmath(sqrt_p: int, sqrt_target: int, liquidity: int, remaining: int, fee_pips: int) -> tuple[int, int, int, int]:
    """SwapMath.computeSwapStep line by line, on the functions above."""
    zero_for_one, exact_in = sqrt_p >= sqrt_target, remaining >= 0
    amount_in = amount_out = 0
    if exact_in:
        less_fee = remaining * (PIPS - fee_pips) // PIPS
        amount_in = amount0_as_fullmath(sqrt_target, sqrt_p, liquidity, True) if zero_for_one else get_amount1_delta(sqrt_p, sqrt_target, liquidity, True)
        sqrt_next = sqrt_target if less_fee >= amount_in else get_next_sqrt_price_from_input(sqrt_p, liquidity, less_fee, zero_for_one)
    else:
        amount_out = get_amount1_delta(sqrt_target, sqrt_p, liquidity, False) if zero_for_one else amount0_as_fullmath(sqrt_p, sqrt_target, liquidity, False)
        sqrt_next = sqrt_target if -remaining >= amount_out else get_next_sqrt_price_from_output(sqrt_p, liquidity, -remaining, zero_for_one)
    reached = sqrt_next == sqrt_target
    if zero_for_one:
        amount_in = amount_in if reached and exact_in else amount0_as_fullmath(sqrt_next, sqrt_p, liquidity, True)
        amount_out = amount_out if reached and not exact_in else get_amount1_delta(sqrt_next, sqrt_p, liquidity, False)
    else:
        amount_in = amount_in if reached and exact_in else get_amount1_delta(sqrt_p, sqrt_next, liquidity, True)
        amount_out = amount_out if reached and not exact_in else amount0_as_fullmath(sqrt_p, sqrt_next, liquidity, False)
    if not exact_in and amount_out > -remaining:
        amount_out = -remaining
    fee = remaining - amount_in if exact_in and not reached else mul_div_rounding_up(amount_in, fee_pips, PIPS - fee_pips)
    return sqrt_next, amount_in, amount_out, fee


def outcome(function, *arguments):
    try:
        return function(*arguments)
    except UniswapV3MathError as error:
        return ("reverts", str(error))
    except ArithmeticError as error:  # a division by zero where the contract would divide by zero too
        return (type(error).__name__,)


def random_steps(seed: int, count: int):
    rng = random.Random(seed)
    for _ in range(count):
        if rng.random() < 0.5:  # neighbouring prices of a real pool
            tick = rng.randrange(-880_000, 880_000)
            sqrt_p = get_sqrt_ratio_at_tick(tick) + rng.randrange(10**6)
            sqrt_target = get_sqrt_ratio_at_tick(max(-887_272, min(887_272, tick + rng.randrange(-3000, 3000))))
            liquidity = rng.getrandbits(rng.randrange(1, 129))
            remaining = rng.getrandbits(rng.randrange(1, 200)) * rng.choice((1, 1, -1))
            fee_pips = rng.choice((100, 500, 3000, 10_000))
        else:  # anything, extremes among it
            sqrt_p, sqrt_target = (rng.choice((rng.getrandbits(rng.randrange(1, 170)), rng.choice(EXTREMES))) for _ in range(2))
            liquidity = rng.choice((rng.getrandbits(rng.randrange(1, 200)), rng.choice(EXTREMES)))
            remaining = rng.choice((rng.getrandbits(rng.randrange(1, 260)), rng.choice(EXTREMES))) * rng.choice((1, -1))
            fee_pips = rng.choice((0, 1, 500, 999_999, PIPS, PIPS + 1))
        yield sqrt_p, sqrt_target, liquidity, remaining, fee_pips


@pytest.mark.parametrize("seed", range(3))
def test_the_step_is_swapmaths_step_exact_input_and_output(seed):
    reached = 0
    for arguments in random_steps(seed, 4000):
        expected = outcome(step_as_swapmath, *arguments)
        assert outcome(compute_swap_step, *arguments) == expected, arguments
        if arguments[3] >= 0:
            assert outcome(compute_swap_step_exact_in, *arguments) == expected, arguments
            reached += isinstance(expected[1], int) and expected[0] == arguments[1]
    assert reached > 500  # the written-out case is well covered


@pytest.mark.parametrize("seed", range(3))
def test_amount0_rounds_once_as_fullmath_rounds_twice(seed):
    rng = random.Random(seed)
    for _ in range(5000):
        sqrt_a, sqrt_b = (rng.choice((rng.getrandbits(rng.randrange(1, 170)), rng.choice(EXTREMES))) for _ in range(2))
        liquidity = rng.choice((rng.getrandbits(rng.randrange(1, 200)), rng.choice(EXTREMES), -rng.getrandbits(100)))
        for round_up in (True, False):
            arguments = (sqrt_a, sqrt_b, liquidity, round_up)
            assert outcome(get_amount0_delta, *arguments) == outcome(amount0_as_fullmath, *arguments), arguments
