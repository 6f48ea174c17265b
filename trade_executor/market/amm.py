"""Constant-product (x*y=k) pool maths, exactly as the Uniswap v2 router computes it.

Integer token units in, integer token units out, so a simulated fill equals what a pool with
the same reserves would give, to the wei. The LP fee is a fraction; Uniswap v2 is 0.003
(997/1000), PancakeSwap v2 0.0025 (9975/10000).
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from functools import cache
from math import isqrt

from trade_executor.money import ratio


@cache
def fee_fraction_to_ratio(fee: Decimal) -> tuple[int, int]:
    """0.003 -> (997, 1000); 0.0025 -> (9975, 10000): the router's integer fee arithmetic."""
    denominator = 1000
    while (fee * denominator) != int(fee * denominator):
        denominator *= 10
    return denominator - int(fee * denominator), denominator


def get_amount_out(amount_in: int, reserve_in: int, reserve_out: int, fee: Decimal = Decimal("0.003")) -> int:
    """UniswapV2Library.getAmountOut."""
    if amount_in <= 0:
        raise ValueError(f"amount_in must be positive, got {amount_in}")
    if reserve_in <= 0 or reserve_out <= 0:
        raise ValueError("pool has no liquidity")
    numerator_fee, denominator = fee_fraction_to_ratio(fee)
    amount_in_with_fee = amount_in * numerator_fee
    return (amount_in_with_fee * reserve_out) // (reserve_in * denominator + amount_in_with_fee)


def get_amount_in(amount_out: int, reserve_in: int, reserve_out: int, fee: Decimal = Decimal("0.003")) -> int:
    """UniswapV2Library.getAmountIn."""
    if amount_out <= 0 or amount_out >= reserve_out:
        raise ValueError(f"amount_out must be positive and below the reserve {reserve_out}, got {amount_out}")
    numerator_fee, denominator = fee_fraction_to_ratio(fee)
    return (reserve_in * amount_out * denominator) // ((reserve_out - amount_out) * numerator_fee) + 1


def reserves_for_price(price: Decimal, quote_liquidity: Decimal, base_decimals: int, quote_decimals: int) -> tuple[int, int]:
    """Pool reserves (base, quote) in token units whose mid price is ``price`` quote per base.

    ``quote_liquidity`` is the value of the quote-token side of the pool (half its TVL).
    """
    reserve_quote = int(quote_liquidity * (10**quote_decimals))
    reserve_base = int(quote_liquidity / price * (10**base_decimals))
    return reserve_base, reserve_quote


def ideal_amount_out(amount_in: int, hops: list[tuple[int, int]], fee: Decimal = Decimal("0.003")) -> Fraction:
    """What ``amount_in`` would buy along the hops' (reserve in, reserve out) at their mid prices, after
    the LP fee but without price impact: the yardstick of ``price_impact``."""
    numerator, denominator = _ideal_terms(amount_in, hops, fee)
    return Fraction(numerator, denominator)


def _ideal_terms(amount_in: int, hops: list[tuple[int, int]], fee: Decimal) -> tuple[int, int]:
    numerator_fee, denominator_fee = fee_fraction_to_ratio(fee)
    numerator, denominator = amount_in, 1
    for reserve_in, reserve_out in hops:
        numerator *= numerator_fee * reserve_out
        denominator *= denominator_fee * reserve_in
    return numerator, denominator


def price_impact(amount_in: int, amount_out: int, hops: list[tuple[int, int]], fee: Decimal, *, quote_in: bool) -> Decimal:
    """How much worse than the mid price (fee excluded) a swap's price is, as a fraction >= 0.

    Measured in quote per base, as prices are shown: a buy (``quote_in``) pays ``ideal/out - 1``
    more per token, a sell receives ``1 - out/ideal`` less. The same rule in backtests and live.
    Integer arithmetic until the one division: a backtest computes this for every fill.
    """
    if amount_out <= 0:
        return Decimal(1)
    numerator, denominator = _ideal_terms(amount_in, hops, fee)
    shortfall = numerator - amount_out * denominator  # (ideal - out) * denominator
    return ratio(shortfall, amount_out * denominator) if quote_in else ratio(shortfall, numerator)


def reserves_at_price(reserve_in: int, reserve_out: int, price_in_per_out: Fraction) -> tuple[int, int]:
    """The pool's reserves moved along its own curve (same k) to a given price of the out token.

    With the pool's real depth and a price one block cannot move, a swap's fair output (and so its
    minimum) no longer depends on where the last swap left the pool.
    """
    k = reserve_in * reserve_out
    new_in = isqrt(k * price_in_per_out.numerator // price_in_per_out.denominator)
    new_out = k // new_in if new_in else 0
    return new_in, new_out


def amounts_out(amount_in: int, hops: list[tuple[int, int]], fee: Decimal = Decimal("0.003")) -> list[int]:
    """Amounts along a path, as the router's getAmountsOut computes them."""
    amounts = [amount_in]
    for reserve_in, reserve_out in hops:
        amounts.append(get_amount_out(amounts[-1], reserve_in, reserve_out, fee))
    return amounts
