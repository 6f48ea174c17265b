"""Uniswap v3 pool maths on Python integers, rounding exactly as v3-core's Solidity libraries do.

A port of TickMath, FullMath, SqrtPriceMath, SwapMath and LiquidityMath (and periphery's
LiquidityAmounts), written from their semantics: prices are Q64.96 square roots of the raw price
(token1 units per token0 unit), liquidity is L = sqrt(x * y) of the active range, and every
division rounds the way the pool rounds (against the swapper). Python ints do not wrap, so where
Solidity relies on a 256-bit overflow to pick a formula we test for it explicitly; where Solidity
reverts we raise ``UniswapV3MathError`` with the contract's revert reason.

Names follow the Solidity ones in snake case, so a reader can put the two side by side.
"""

from __future__ import annotations

from functools import lru_cache

MIN_TICK = -887272
MAX_TICK = 887272
MIN_SQRT_RATIO = 4295128739
MAX_SQRT_RATIO = 1461446703485210103287273052203988822378723970342

Q96 = 1 << 96
Q128 = 1 << 128
UINT128_MAX = (1 << 128) - 1
UINT160_MAX = (1 << 160) - 1
UINT256_MAX = (1 << 256) - 1
PIPS = 1_000_000  # fee denominator: 3000 pips = 0.3%

# sqrt(1.0001) ** -(2 ** i) as Q128.128, for the bits of |tick| (TickMath's table).
_TICK_FACTORS = (
    0xFFFCB933BD6FAD37AA2D162D1A594001,
    0xFFF97272373D413259A46990580E213A,
    0xFFF2E50F5F656932EF12357CF3C7FDCC,
    0xFFE5CACA7E10E4E61C3624EAA0941CD0,
    0xFFCB9843D60F6159C9DB58835C926644,
    0xFF973B41FA98C081472E6896DFB254C0,
    0xFF2EA16466C96A3843EC78B326B52861,
    0xFE5DEE046A99A2A811C461F1969C3053,
    0xFCBE86C7900A88AEDCFFC83B479AA3A4,
    0xF987A7253AC413176F2B074CF7815E54,
    0xF3392B0822B70005940C7A398E4B70F3,
    0xE7159475A2C29B7443B29C7FA6E889D9,
    0xD097F3BDFD2022B8845AD8F792AA5825,
    0xA9F746462D870FDF8A65DC1F90E061E5,
    0x70D869A156D2A1B890BB3DF62BAF32F7,
    0x31BE135F97D08FD981231505542FCFA6,
    0x9AA508B5B7A84E1C677DE54F3E99BC9,
    0x5D6AF8DEDB81196699C329225EE604,
    0x2216E584F5FA1EA926041BEDFE98,
    0x48A170391F7DC42444E8FA2,
)
_LOG_SQRT10001 = 255738958999603826347141  # 2**64 / log2(sqrt(1.0001)): Q64.64 log2 -> Q128.128 tick
_TICK_LOW_ERROR = 3402992956809132418596140100660247210
_TICK_HIGH_ERROR = 291339464771989622907027621153398088495


class UniswapV3MathError(ArithmeticError):
    """An input the pool contract would revert on; ``reason`` is the contract's revert string."""

    def __init__(self, reason: str, message: str):
        super().__init__(f"{message} (the pool reverts with {reason!r})")
        self.reason = reason


# --- FullMath, UnsafeMath ------------------------------------------------------------------------


def mul_div(a: int, b: int, denominator: int) -> int:
    """floor(a * b / denominator) with a full-width product; reverts when the result needs > 256 bits."""
    if denominator <= 0:
        raise UniswapV3MathError("", "mulDiv by zero")
    result = a * b // denominator
    if result > UINT256_MAX:
        raise UniswapV3MathError("", "mulDiv result does not fit in 256 bits")
    return result


def mul_div_rounding_up(a: int, b: int, denominator: int) -> int:
    """ceil(a * b / denominator); reverts when the result needs > 256 bits."""
    if denominator <= 0:
        raise UniswapV3MathError("", "mulDivRoundingUp by zero")
    result = -(-(a * b) // denominator)
    if result > UINT256_MAX:
        raise UniswapV3MathError("", "mulDivRoundingUp result does not fit in 256 bits")
    return result


def div_rounding_up(x: int, y: int) -> int:
    """UnsafeMath.divRoundingUp: ceil(x / y) for y > 0."""
    return -(-x // y)


# --- TickMath ------------------------------------------------------------------------------------


def _low_bits_table(bits: int) -> tuple[int, ...]:
    """The Q128.128 ratio after TickMath's first ``bits`` steps, for every value of those bits.

    TickMath multiplies in the factors from the lowest bit up, truncating after each, so the
    intermediate after the low bits depends on those bits only: a table gives it exactly.
    """
    table = []
    for low in range(1 << bits):
        ratio = _TICK_FACTORS[0] if low & 1 else Q128
        for index in range(1, bits):
            if low >> index & 1:
                ratio = (ratio * _TICK_FACTORS[index]) >> 128
        table.append(ratio)
    return tuple(table)


_LOW_BITS = 10
_LOW_TABLE = _low_bits_table(_LOW_BITS)
_LOW_MASK = (1 << _LOW_BITS) - 1
_HIGH_FACTORS = tuple((1 << index, factor) for index, factor in enumerate(_TICK_FACTORS) if index >= _LOW_BITS)
_LOG_BITS = tuple(1 << shift for shift in range(63, 49, -1))


@lru_cache(maxsize=16384)  # a backtest's swaps step to the same word edges and ticks again and again
def get_sqrt_ratio_at_tick(tick: int) -> int:
    """sqrt(1.0001 ** tick) * 2**96, rounded up from the Q128.128 intermediate as TickMath does."""
    abs_tick = -tick if tick < 0 else tick
    if abs_tick > MAX_TICK:
        raise UniswapV3MathError("T", f"tick {tick} is outside [{MIN_TICK}, {MAX_TICK}]")
    ratio = _LOW_TABLE[abs_tick & _LOW_MASK]
    for bit, factor in _HIGH_FACTORS:
        if bit > abs_tick:
            break
        if abs_tick & bit:
            ratio = (ratio * factor) >> 128
    if tick > 0:
        ratio = UINT256_MAX // ratio
    return (ratio >> 32) + (1 if ratio & 0xFFFFFFFF else 0)


def get_tick_at_sqrt_ratio(sqrt_price_x96: int) -> int:
    """The greatest tick whose sqrt ratio is <= ``sqrt_price_x96`` (TickMath's log2 approximation).

    Valid for MIN_SQRT_RATIO <= sqrt_price_x96 < MAX_SQRT_RATIO, as in the contract.
    """
    if not MIN_SQRT_RATIO <= sqrt_price_x96 < MAX_SQRT_RATIO:
        raise UniswapV3MathError("R", f"sqrt price {sqrt_price_x96} is outside [MIN_SQRT_RATIO, MAX_SQRT_RATIO)")
    ratio = sqrt_price_x96 << 32
    msb = ratio.bit_length() - 1
    r = ratio >> (msb - 127) if msb >= 128 else ratio << (127 - msb)
    log_2 = (msb - 128) << 64
    for bit in _LOG_BITS:  # 14 fractional bits of log2 by repeated squaring
        r = (r * r) >> 127
        if r >> 128:
            log_2 |= bit
            r >>= 1
    log_sqrt10001 = log_2 * _LOG_SQRT10001
    tick_low = (log_sqrt10001 - _TICK_LOW_ERROR) >> 128
    tick_high = (log_sqrt10001 + _TICK_HIGH_ERROR) >> 128
    if tick_low == tick_high:
        return tick_low
    return tick_high if get_sqrt_ratio_at_tick(tick_high) <= sqrt_price_x96 else tick_low


# --- LiquidityMath -------------------------------------------------------------------------------


def add_delta(liquidity: int, delta: int) -> int:
    """LiquidityMath.addDelta: liquidity + a signed delta, reverting below 0 ('LS') or above uint128 ('LA')."""
    result = liquidity + delta
    if result < 0:
        raise UniswapV3MathError("LS", f"liquidity {liquidity} minus {-delta} is negative")
    if result > UINT128_MAX:
        raise UniswapV3MathError("LA", f"liquidity {liquidity} plus {delta} overflows uint128")
    return result


# --- SqrtPriceMath -------------------------------------------------------------------------------


def _to_uint160(value: int) -> int:
    if not 0 <= value <= UINT160_MAX:
        raise UniswapV3MathError("", f"sqrt price {value} does not fit in uint160")
    return value


def get_next_sqrt_price_from_amount0_rounding_up(sqrt_p: int, liquidity: int, amount: int, add: bool) -> int:
    """The price after adding (removing) ``amount`` of token0: L * P / (L +- amount * P), rounded up."""
    if amount == 0:
        return sqrt_p
    numerator1 = liquidity << 96
    product = amount * sqrt_p
    if add:
        if product <= UINT256_MAX and numerator1 + product <= UINT256_MAX:
            return mul_div_rounding_up(numerator1, sqrt_p, numerator1 + product)
        return _to_uint160(div_rounding_up(numerator1, numerator1 // sqrt_p + amount))
    if product > UINT256_MAX or numerator1 <= product:
        raise UniswapV3MathError("", f"removing {amount} of token0 takes more than the range holds")
    return _to_uint160(mul_div_rounding_up(numerator1, sqrt_p, numerator1 - product))


def get_next_sqrt_price_from_amount1_rounding_down(sqrt_p: int, liquidity: int, amount: int, add: bool) -> int:
    """The price after adding (removing) ``amount`` of token1: P +- amount / L, rounded down."""
    if add:
        return _to_uint160(sqrt_p + (amount << 96) // liquidity)
    quotient = div_rounding_up(amount << 96, liquidity)
    if sqrt_p <= quotient:
        raise UniswapV3MathError("", f"removing {amount} of token1 takes more than the range holds")
    return sqrt_p - quotient


def get_next_sqrt_price_from_input(sqrt_p: int, liquidity: int, amount_in: int, zero_for_one: bool) -> int:
    """The price after swapping ``amount_in`` in; rounded so as never to pass the target price."""
    if sqrt_p <= 0 or liquidity <= 0:
        raise UniswapV3MathError("", "price and liquidity must be positive")
    if zero_for_one:
        return get_next_sqrt_price_from_amount0_rounding_up(sqrt_p, liquidity, amount_in, True)
    return get_next_sqrt_price_from_amount1_rounding_down(sqrt_p, liquidity, amount_in, True)


def get_next_sqrt_price_from_output(sqrt_p: int, liquidity: int, amount_out: int, zero_for_one: bool) -> int:
    """The price after taking ``amount_out`` out; rounded so as to pass the target price."""
    if sqrt_p <= 0 or liquidity <= 0:
        raise UniswapV3MathError("", "price and liquidity must be positive")
    if zero_for_one:
        return get_next_sqrt_price_from_amount1_rounding_down(sqrt_p, liquidity, amount_out, False)
    return get_next_sqrt_price_from_amount0_rounding_up(sqrt_p, liquidity, amount_out, False)


def get_amount0_delta(sqrt_a: int, sqrt_b: int, liquidity: int, round_up: bool) -> int:
    """Token0 between two prices (either order): L * (sqrtB - sqrtA) / (sqrtA * sqrtB)."""
    if sqrt_a > sqrt_b:
        sqrt_a, sqrt_b = sqrt_b, sqrt_a
    if sqrt_a <= 0:
        raise UniswapV3MathError("", "sqrt price must be positive")
    numerator = liquidity << 96
    product = numerator * (sqrt_b - sqrt_a)  # FullMath inline: a swap step calls this up to three times
    if numerator <= UINT256_MAX:  # the first quotient is below the numerator (no revert), and two roundings are one
        return -(-product // (sqrt_a * sqrt_b)) if round_up else product // (sqrt_a * sqrt_b)
    quotient = -(-product // sqrt_b) if round_up else product // sqrt_b
    if quotient > UINT256_MAX:
        raise UniswapV3MathError("", "mulDiv result does not fit in 256 bits")
    return -(-quotient // sqrt_a) if round_up else quotient // sqrt_a


def get_amount1_delta(sqrt_a: int, sqrt_b: int, liquidity: int, round_up: bool) -> int:
    """Token1 between two prices (either order): L * (sqrtB - sqrtA)."""
    if sqrt_a > sqrt_b:
        sqrt_a, sqrt_b = sqrt_b, sqrt_a
    product = liquidity * (sqrt_b - sqrt_a)  # FullMath inline; Q96 is a power of two
    result = -(-product >> 96) if round_up else product >> 96
    if result > UINT256_MAX:
        raise UniswapV3MathError("", "mulDiv result does not fit in 256 bits")
    return result


# --- SwapMath ------------------------------------------------------------------------------------


def compute_swap_step(
    sqrt_p: int, sqrt_target: int, liquidity: int, amount_remaining: int, fee_pips: int
) -> tuple[int, int, int, int]:
    """One step of a swap inside one liquidity range: (sqrt price after, amount in, amount out, fee).

    ``amount_remaining`` > 0 is exact input (the fee comes out of it), < 0 exact output. The
    direction is inferred from the target, as in SwapMath.computeSwapStep.
    """
    if amount_remaining >= 0:
        return compute_swap_step_exact_in(sqrt_p, sqrt_target, liquidity, amount_remaining, fee_pips)
    zero_for_one = sqrt_p >= sqrt_target
    if zero_for_one:  # the amount out to the target: the step ends there if as much is asked for
        amount_out = get_amount1_delta(sqrt_target, sqrt_p, liquidity, False)
    else:
        amount_out = get_amount0_delta(sqrt_p, sqrt_target, liquidity, False)
    if -amount_remaining >= amount_out:
        sqrt_next = sqrt_target
    else:
        sqrt_next = get_next_sqrt_price_from_output(sqrt_p, liquidity, -amount_remaining, zero_for_one)
    reached = sqrt_next == sqrt_target
    if zero_for_one:
        amount_in = get_amount0_delta(sqrt_next, sqrt_p, liquidity, True)
        if not reached:
            amount_out = get_amount1_delta(sqrt_next, sqrt_p, liquidity, False)
    else:
        amount_in = get_amount1_delta(sqrt_p, sqrt_next, liquidity, True)
        if not reached:
            amount_out = get_amount0_delta(sqrt_p, sqrt_next, liquidity, False)
    if amount_out > -amount_remaining:
        amount_out = -amount_remaining
    return sqrt_next, amount_in, amount_out, mul_div_rounding_up(amount_in, fee_pips, PIPS - fee_pips)


def compute_swap_step_exact_in(
    sqrt_p: int, sqrt_target: int, liquidity: int, amount_remaining: int, fee_pips: int
) -> tuple[int, int, int, int]:
    """``compute_swap_step`` for exact input (``amount_remaining`` >= 0).

    Every backtest swap is exact input, and all its steps but the last end at their target (an
    initialised tick or a word's edge). A step in Python costs mostly its calls, so that case has
    SqrtPriceMath's formulas written out: the same integers, checks and reverts as getAmount0Delta
    and getAmount1Delta, in the same order. The step that ends short of its target (once per swap)
    calls the functions.
    """
    remaining_less_fee = amount_remaining * (PIPS - fee_pips) // PIPS
    if sqrt_p >= sqrt_target:  # zeroForOne: token0 in, the price goes down
        if sqrt_target <= 0:
            raise UniswapV3MathError("", "sqrt price must be positive")
        numerator = liquidity << 96
        if numerator > UINT256_MAX:
            amount_in = get_amount0_delta(sqrt_target, sqrt_p, liquidity, True)
        else:  # getAmount0Delta(target, P) rounded up, as get_amount0_delta works it out
            amount_in = -(-(numerator * (sqrt_p - sqrt_target)) // (sqrt_p * sqrt_target))
        if remaining_less_fee < amount_in:
            sqrt_next = get_next_sqrt_price_from_input(sqrt_p, liquidity, remaining_less_fee, True)
            if sqrt_next != sqrt_target:  # SwapMath's test (the rounding keeps a price short of the target short of it)
                amount_in = get_amount0_delta(sqrt_next, sqrt_p, liquidity, True)
                amount_out = get_amount1_delta(sqrt_next, sqrt_p, liquidity, False)
                return sqrt_next, amount_in, amount_out, amount_remaining - amount_in  # the rest of the input is fee
        amount_out = (liquidity * (sqrt_p - sqrt_target)) >> 96  # getAmount1Delta(target, P), down
        if amount_out > UINT256_MAX:
            raise UniswapV3MathError("", "mulDiv result does not fit in 256 bits")
    else:  # oneForZero: token1 in, the price goes up
        amount_in = -(-(liquidity * (sqrt_target - sqrt_p)) >> 96)  # getAmount1Delta(P, target), up
        if amount_in > UINT256_MAX:
            raise UniswapV3MathError("", "mulDiv result does not fit in 256 bits")
        if remaining_less_fee < amount_in:
            sqrt_next = get_next_sqrt_price_from_input(sqrt_p, liquidity, remaining_less_fee, False)
            if sqrt_next != sqrt_target:
                amount_in = get_amount1_delta(sqrt_p, sqrt_next, liquidity, True)
                amount_out = get_amount0_delta(sqrt_p, sqrt_next, liquidity, False)
                return sqrt_next, amount_in, amount_out, amount_remaining - amount_in
        numerator = liquidity << 96
        if sqrt_p <= 0 or numerator > UINT256_MAX:
            amount_out = get_amount0_delta(sqrt_p, sqrt_target, liquidity, False)
        else:  # getAmount0Delta(P, target) rounded down, as get_amount0_delta works it out
            amount_out = numerator * (sqrt_target - sqrt_p) // (sqrt_p * sqrt_target)
    return sqrt_target, amount_in, amount_out, mul_div_rounding_up(amount_in, fee_pips, PIPS - fee_pips)
