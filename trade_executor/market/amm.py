"""Constant-product (x*y=k) pool maths, exactly as the Uniswap v2 router computes it.

Integer token units in, integer token units out, so a simulated fill equals what a pool with
the same reserves would give, to the wei. The LP fee is a fraction; Uniswap v2 is 0.003
(997/1000), PancakeSwap v2 0.0025 (9975/10000).
"""

from __future__ import annotations

from decimal import Decimal


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
