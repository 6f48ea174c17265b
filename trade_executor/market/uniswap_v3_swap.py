"""A Uniswap v3 pool's swap, simulated step by step on Python integers as UniswapV3Pool.swap runs it.

The pool walks from its price towards the limit one step at a time: each step ends at the next
initialised tick or at the end of the tick bitmap's 256-tick word (whichever comes first, exactly
as ``TickBitmap.nextInitializedTickWithinOneWord`` finds it), so the per-step rounding, and so
the amounts, are the pool's to the unit. Crossing an initialised tick adds its liquidityNet
(subtracts it going down). No protocol fee is modelled (it changes what LPs get, not the swapper).

Also the price helpers a backtest needs: the sqrt price of a Decimal price, the price of a sqrt
price, the nearest usable tick, and periphery's LiquidityAmounts.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Mapping
from decimal import Decimal
from fractions import Fraction
from math import isqrt
from typing import NamedTuple

from trade_executor.market.uniswap_v3_math import (
    MAX_SQRT_RATIO,
    MAX_TICK,
    MIN_SQRT_RATIO,
    MIN_TICK,
    Q96,
    UINT128_MAX,
    UniswapV3MathError,
    add_delta,
    compute_swap_step,
    compute_swap_step_exact_in,
    get_sqrt_ratio_at_tick,
    get_tick_at_sqrt_ratio,
    mul_div,
)
from trade_executor.money import ratio


class TickTable:
    """A pool's initialised ticks: tick -> liquidityNet, each tick a multiple of ``tick_spacing``."""

    __slots__ = ("tick_spacing", "liquidity_net", "ticks", "_cumulative")

    def __init__(self, tick_spacing: int, liquidity_net: Mapping[int, int]):
        if tick_spacing <= 0:
            raise ValueError(f"tick spacing must be positive, got {tick_spacing}")
        off_grid = [t for t in liquidity_net if t % tick_spacing or not MIN_TICK <= t <= MAX_TICK]
        if off_grid:
            raise ValueError(f"ticks {off_grid[:5]} are not usable ticks for spacing {tick_spacing}")
        self.tick_spacing = tick_spacing
        self.liquidity_net = dict(liquidity_net)
        self.ticks = sorted(self.liquidity_net)
        cumulative, running = [], 0
        for tick in self.ticks:
            running += self.liquidity_net[tick]
            cumulative.append(running)
        self._cumulative = cumulative

    def liquidity_at(self, tick: int) -> int:
        """Active liquidity when the pool's current tick is ``tick``: the net of every initialised tick <= it."""
        index = bisect_right(self.ticks, tick)
        liquidity = self._cumulative[index - 1] if index else 0
        if not 0 <= liquidity <= UINT128_MAX:
            raise ValueError(f"the tick table gives liquidity {liquidity} at tick {tick}: its nets do not add up")
        return liquidity

    def next_initialized_tick_within_one_word(self, tick: int, lte: bool) -> tuple[int, bool]:
        """TickBitmap.nextInitializedTickWithinOneWord: the next initialised tick, or the word's end."""
        spacing = self.tick_spacing
        compressed = tick // spacing  # rounds towards negative infinity, as the contract does
        if lte:
            word_start = (compressed >> 8) << 8
            index = bisect_right(self.ticks, compressed * spacing) - 1
            if index >= 0 and self.ticks[index] >= word_start * spacing:
                return self.ticks[index], True
            return word_start * spacing, False
        word_end = (((compressed + 1) >> 8) << 8) + 255
        index = bisect_left(self.ticks, (compressed + 1) * spacing)
        if index < len(self.ticks) and self.ticks[index] <= word_end * spacing:
            return self.ticks[index], True
        return word_end * spacing, False

    def next_initialized_tick_at_price(self, sqrt_price_x96: int, lte: bool) -> tuple[int, bool] | None:
        """``next_initialized_tick_within_one_word`` from slot0's price when its tick is not known.

        The word the contract searches is found by comparing the price with the sqrt prices of
        the word's edges (exact integers; kept per spacing and direction, since a backtest's
        prices stay in one word for many swaps). Returns None when the word holds an initialised
        tick: then the answer depends on the tick, which the caller works out.
        """
        key = (self.tick_spacing, lte)
        word = _WORDS.get(key)
        if word is None or not word[0] <= sqrt_price_x96 < word[1]:
            word = _WORDS[key] = _word_at(sqrt_price_x96, self.tick_spacing, lte)
        index = bisect_left(self.ticks, word[2])
        if index < len(self.ticks) and self.ticks[index] <= word[3]:
            return None
        return word[3 if not lte else 2], False


_WORDS: dict[tuple[int, bool], tuple[int, int, int, int]] = {}


def _word_at(sqrt_price_x96: int, spacing: int, lte: bool) -> tuple[int, int, int, int]:
    """(lowest price, price past the highest, first tick, last tick) of the word a swap from this price searches.

    Going down the pool searches the word of its compressed tick c = tick // spacing; going up the
    word of c + 1. The prices are those at which c stays in the range that gives the same word.
    """
    compressed = get_tick_at_sqrt_ratio(sqrt_price_x96) // spacing
    word_start = ((compressed if lte else compressed + 1) >> 8) << 8
    first_c, last_c = (word_start, word_start + 255) if lte else (word_start - 1, word_start + 254)  # c's giving this word
    low_tick, high_tick = first_c * spacing, (last_c + 1) * spacing
    low = get_sqrt_ratio_at_tick(low_tick) if low_tick >= MIN_TICK else 0
    high = get_sqrt_ratio_at_tick(high_tick) if high_tick <= MAX_TICK else MAX_SQRT_RATIO + 1
    return low, high, word_start * spacing, (word_start + 255) * spacing


class PoolState(NamedTuple):  # immutable, and cheap to build (a backtest fill calls swap_steps, building none)
    """What a swap needs of a pool: slot0's price and tick, the active liquidity, fee and ticks.

    ``tick`` may be None: the swap works it out only if the first step needs it (its word holds
    an initialised tick), which saves a backtest fill the costliest part of TickMath.
    """

    sqrt_price_x96: int
    tick: int | None
    liquidity: int
    fee_pips: int
    ticks: TickTable


class SwapResult(NamedTuple):
    """The pool's deltas (positive: paid into the pool, negative: paid out) and its state after."""

    amount0: int
    amount1: int
    sqrt_price_x96: int
    liquidity: int
    ticks_crossed: tuple[int, ...]
    fee_amount: int  # of the input token, all steps together (what the swapper paid in fees)
    end_tick: int | None  # None: the swap ended inside a range; ``tick`` works it out when asked

    @property
    def tick(self) -> int:
        """slot0.tick after the swap (computed on demand: a backtest fill never needs it)."""
        return self.end_tick if self.end_tick is not None else get_tick_at_sqrt_ratio(self.sqrt_price_x96)


def pool_at_price(sqrt_price_x96: int, fee_pips: int, ticks: TickTable) -> PoolState:
    """A pool at ``sqrt_price_x96``: its tick and active liquidity as the contract would hold them."""
    tick = get_tick_at_sqrt_ratio(sqrt_price_x96)
    return PoolState(sqrt_price_x96, tick, ticks.liquidity_at(tick), fee_pips, ticks)


def swap(state: PoolState, zero_for_one: bool, amount_specified: int, sqrt_price_limit: int) -> SwapResult:
    """UniswapV3Pool.swap: ``amount_specified`` > 0 is exact input, < 0 exact output.

    Stops when the amount is used up or the price reaches ``sqrt_price_limit`` (then part of the
    amount is left over, as on chain). Raises UniswapV3MathError where the pool reverts.
    """
    amount0, amount1, sqrt_price, liquidity, crossed, fees, tick = swap_steps(*state, zero_for_one, amount_specified, sqrt_price_limit)
    return SwapResult(amount0, amount1, sqrt_price, liquidity, tuple(crossed), fees, tick)


def swap_steps(
    sqrt_price: int,
    tick: int | None,
    liquidity: int,
    fee_pips: int,
    table: TickTable,
    zero_for_one: bool,
    amount_specified: int,
    sqrt_price_limit: int,
) -> tuple[int, int, int, int, list[int], int, int | None]:
    """``swap`` on the pool's fields, answering SwapResult's fields (the crossed ticks as a list): what a
    backtest fill calls, which needs neither a PoolState nor a SwapResult built.

    Each step asks the table for the next initialised tick within the bitmap word. A table that
    can list its initialised ticks in the swap's order (``initialized_ticks_from``: the ranges of
    a downloaded pool, whose every look-up reads a tick's history) is asked once per swap instead,
    and each step finds its word's edge by arithmetic.
    """
    _check_swap(sqrt_price, zero_for_one, amount_specified, sqrt_price_limit)
    exact_input = amount_specified > 0
    step = compute_swap_step_exact_in if exact_input else compute_swap_step
    remaining, calculated, fees = amount_specified, 0, 0
    crossed: list[int] = []
    spacing, walk = table.tick_spacing, getattr(table, "initialized_ticks_from", None)
    ahead = None  # walk's iterator from ``tick`` on; next_tick, next_net: the next initialised tick it gave
    next_tick = next_net = 0
    beyond = (-(1 << 62), 0) if zero_for_one else (1 << 62, 0)  # past the last: no tick is in the word
    while remaining != 0 and sqrt_price != sqrt_price_limit:
        if walk is None:
            tick, tick_next, initialized = _next_in_word(table, tick, sqrt_price, zero_for_one)
        else:  # nextInitializedTickWithinOneWord: the next tick the walk gives if it is in the word, else the word's edge
            if ahead is None:
                tick = get_tick_at_sqrt_ratio(sqrt_price) if tick is None else tick
                ahead = walk(tick, zero_for_one)
                next_tick, next_net = next(ahead, beyond)
            compressed = tick // spacing
            edge = ((compressed >> 8) << 8) * spacing if zero_for_one else ((((compressed + 1) >> 8) << 8) + 255) * spacing
            initialized = next_tick >= edge if zero_for_one else next_tick <= edge
            tick_next = next_tick if initialized else edge
        start = sqrt_price
        tick_next = MIN_TICK if tick_next < MIN_TICK else MAX_TICK if tick_next > MAX_TICK else tick_next
        sqrt_next = get_sqrt_ratio_at_tick(tick_next)
        beyond_limit = sqrt_next < sqrt_price_limit if zero_for_one else sqrt_next > sqrt_price_limit
        target = sqrt_price_limit if beyond_limit else sqrt_next
        sqrt_price, amount_in, amount_out, fee = step(sqrt_price, target, liquidity, remaining, fee_pips)
        fees += fee
        if exact_input:
            remaining -= amount_in + fee
            calculated -= amount_out
        else:
            remaining += amount_out
            calculated += amount_in + fee
        if sqrt_price == sqrt_next:
            if initialized:
                if ahead is None:
                    net = table.liquidity_net[tick_next]
                else:
                    net, (next_tick, next_net) = next_net, next(ahead, beyond)
                liquidity = add_delta(liquidity, -net if zero_for_one else net)
                crossed.append(tick_next)
            tick = tick_next - 1 if zero_for_one else tick_next
        elif sqrt_price != start:
            tick = ahead = None  # getTickAtSqrtRatio, put off: a step that ends inside a range is almost always the last
    used = amount_specified - remaining
    amount0, amount1 = (used, calculated) if zero_for_one == exact_input else (calculated, used)
    return amount0, amount1, sqrt_price, liquidity, crossed, fees, tick


def _check_swap(sqrt_price: int, zero_for_one: bool, amount_specified: int, sqrt_price_limit: int) -> None:
    """The pool's reverts before any step: a zero amount ('AS'), a limit on the wrong side ('SPL')."""
    if amount_specified == 0:
        raise UniswapV3MathError("AS", "the swap amount is zero")
    if zero_for_one:
        limit_ok = MIN_SQRT_RATIO < sqrt_price_limit < sqrt_price
    else:
        limit_ok = sqrt_price < sqrt_price_limit < MAX_SQRT_RATIO
    if not limit_ok:
        raise UniswapV3MathError("SPL", f"price limit {sqrt_price_limit} is on the wrong side of {sqrt_price}")


def _next_in_word(table: TickTable, tick: int | None, sqrt_price: int, lte: bool) -> tuple[int | None, int, bool]:
    """(tick, next initialised tick or word's edge, whether initialised) from a table's bitmap search. Without
    the tick, from the price when its word holds no initialised tick; else the tick is worked out first."""
    if tick is None:
        found = table.next_initialized_tick_at_price(sqrt_price, lte)
        if found is not None:
            return None, found[0], found[1]
        tick = get_tick_at_sqrt_ratio(sqrt_price)
    return (tick, *table.next_initialized_tick_within_one_word(tick, lte))


# --- prices and ticks ----------------------------------------------------------------------------


def sqrt_price_x96_from_price(price: Decimal | Fraction, decimals0: int, decimals1: int) -> int:
    """floor(sqrt(raw price) * 2**96) for ``price`` token1 per token0 in whole tokens, exactly.

    A Fraction is taken too, so that the inverse of a Decimal price stays exact (1 / Fraction(price)).
    The raw price is price * 10**decimals1 / 10**decimals0 (units per unit); the result is the
    integer square root of floor(raw * 2**192), which equals floor(sqrt(raw) * 2**96): rounded down.
    """
    if not price > 0:
        raise ValueError(f"price must be positive, got {price}")
    numerator, denominator = price.as_integer_ratio()
    return isqrt((numerator * 10**decimals1 << 192) // (denominator * 10**decimals0))


def price_from_sqrt_price_x96(sqrt_price_x96: int, decimals0: int, decimals1: int) -> Decimal:
    """Token1 per token0 in whole tokens, to money.PRICE_DIGITS significant digits."""
    return ratio(sqrt_price_x96 * sqrt_price_x96 * 10**decimals0, 10**decimals1 << 192)


def nearest_usable_tick(tick: int, tick_spacing: int) -> int:
    """The multiple of ``tick_spacing`` nearest to ``tick`` (halves round up), kept within [MIN_TICK, MAX_TICK]."""
    if tick_spacing <= 0:
        raise ValueError(f"tick spacing must be positive, got {tick_spacing}")
    if not MIN_TICK <= tick <= MAX_TICK:
        raise ValueError(f"tick {tick} is outside [{MIN_TICK}, {MAX_TICK}]")
    rounded = (2 * tick + tick_spacing) // (2 * tick_spacing) * tick_spacing
    if rounded < MIN_TICK:
        return rounded + tick_spacing
    if rounded > MAX_TICK:
        return rounded - tick_spacing
    return rounded


def full_range_ticks(liquidity: int, tick_spacing: int) -> TickTable:
    """A pool whose only position spans every usable tick: +L at the lowest, -L at the highest."""
    if tick_spacing <= 0 or not 0 <= liquidity <= UINT128_MAX:
        raise ValueError(f"a full-range pool needs a positive spacing and a uint128 liquidity, got {tick_spacing}, {liquidity}")
    lowest = -(MAX_TICK // tick_spacing) * tick_spacing
    table = TickTable.__new__(TickTable)  # built directly: a backtest builds one per fill
    table.tick_spacing, table.liquidity_net = tick_spacing, {lowest: liquidity, -lowest: -liquidity}
    table.ticks, table._cumulative = [lowest, -lowest], [liquidity, 0]
    return table


# --- LiquidityAmounts (periphery) ----------------------------------------------------------------


def _to_uint128(value: int) -> int:
    if value > UINT128_MAX:
        raise UniswapV3MathError("", f"liquidity {value} does not fit in uint128")
    return value


def get_liquidity_for_amount0(sqrt_a: int, sqrt_b: int, amount0: int) -> int:
    """L that ``amount0`` of token0 gives over [A, B]: amount0 * sqrtA * sqrtB / (sqrtB - sqrtA), rounded down."""
    if sqrt_a > sqrt_b:
        sqrt_a, sqrt_b = sqrt_b, sqrt_a
    return _to_uint128(mul_div(amount0, mul_div(sqrt_a, sqrt_b, Q96), sqrt_b - sqrt_a))


def get_liquidity_for_amount1(sqrt_a: int, sqrt_b: int, amount1: int) -> int:
    """L that ``amount1`` of token1 gives over [A, B]: amount1 / (sqrtB - sqrtA), rounded down."""
    if sqrt_a > sqrt_b:
        sqrt_a, sqrt_b = sqrt_b, sqrt_a
    return _to_uint128(mul_div(amount1, Q96, sqrt_b - sqrt_a))


def get_liquidity_for_amounts(sqrt_price: int, sqrt_a: int, sqrt_b: int, amount0: int, amount1: int) -> int:
    """The most liquidity the two amounts give over [A, B] at the pool's price (LiquidityAmounts)."""
    if sqrt_a > sqrt_b:
        sqrt_a, sqrt_b = sqrt_b, sqrt_a
    if sqrt_price <= sqrt_a:
        return get_liquidity_for_amount0(sqrt_a, sqrt_b, amount0)
    if sqrt_price < sqrt_b:
        return min(get_liquidity_for_amount0(sqrt_price, sqrt_b, amount0), get_liquidity_for_amount1(sqrt_a, sqrt_price, amount1))
    return get_liquidity_for_amount1(sqrt_a, sqrt_b, amount1)
