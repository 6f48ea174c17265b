"""Exact money: token amounts as integer units or Decimals wide enough for any uint256 balance.

Python's default Decimal context keeps 28 significant digits. 1e13 tokens of an 18-decimal token
(ten thousand dollars of a token priced like PEPE) already need 31, so with the default context a
quantize raises InvalidOperation and a sum silently rounds, and the books could then hold more wei
than the chain. ``install()`` widens the context of this process (and of threads started later) to
MONEY_DIGITS, enough for 2**256 wei (78 digits) plus a price's digits. Prices and ratios, which
are inexact anyway, are cut to PRICE_DIGITS by ``ratio`` so that state files stay short.

Rounding rule: an amount the chain credits us is never rounded up (``to_units``/``quantize_down``
round towards zero); a cost we pay is never rounded down (``quantize_up``).
"""

from __future__ import annotations

import decimal
from decimal import ROUND_CEILING, ROUND_DOWN, Decimal

MONEY_DIGITS = 100
PRICE_DIGITS = 36
_PRICE_CONTEXT = decimal.Context(prec=PRICE_DIGITS, rounding=decimal.ROUND_HALF_EVEN)


def install() -> None:
    """Widen the Decimal context of this thread and of every thread started after this call."""
    for context in (decimal.DefaultContext, decimal.getcontext()):
        context.prec = max(context.prec, MONEY_DIGITS)


def to_units(amount: Decimal, decimals: int) -> int:
    """Token amount -> integer units, rounded towards zero (never more than the amount)."""
    return int(amount.scaleb(decimals).to_integral_value(rounding=ROUND_DOWN))


def from_units(units: int, decimals: int) -> Decimal:
    return Decimal(units).scaleb(-decimals)


def quantize_down(amount: Decimal, decimals: int) -> Decimal:
    """On the token's unit grid, towards zero: what we are credited."""
    return amount.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_DOWN)


def quantize_up(amount: Decimal, decimals: int) -> Decimal:
    """On the token's unit grid, upwards: what we pay."""
    return amount.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_CEILING)


def ratio(numerator: Decimal | int, denominator: Decimal | int) -> Decimal:
    """A price or fraction to PRICE_DIGITS significant digits (a quotient is rarely exact)."""
    return _PRICE_CONTEXT.divide(Decimal(numerator), Decimal(denominator))
