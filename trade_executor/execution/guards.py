"""The safety rules a swap passes before it is signed (live) or filled (backtest): pure functions.

- Price deviation: the pool's spot against a reference one block cannot move (the pool's TWAP).
  Beyond ``max_price_deviation`` the pool is being pushed (or the market just jumped): nothing is
  sent, and the next cycle or trigger check decides again.
- Price impact: a trade that would move the pool more than ``max_price_impact`` is refused, in
  backtests with the same number.
- Minimum out: what the pool would pay at the reference price (with its real depth, so the LP fee
  and our own price impact are in it), less ``slippage_tolerance``: amountOutMin never follows a
  moved quote. When the pool pays less than that now, the swap would revert, so it is not sent.
  A fill is never worse than the reference by more than the slippage tolerance.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal
from fractions import Fraction

from trade_executor.market.amm import amounts_out, price_impact, reserves_at_price
from trade_executor.money import ratio

DEFAULT_MAX_PRICE_DEVIATION = Decimal("0.03")


@dataclass(frozen=True)
class SwapCheck:
    """What the rules found for one swap; ``refusal`` is None when it may be sent."""

    minimum_out: int
    quote_out: int
    spot_price: Decimal
    reference_price: Decimal
    impact: Decimal
    refusal: str | None = None


def price_impact_refusal(impact: Decimal, limit: Decimal) -> str:
    return f"price impact {impact:.2%} of this trade exceeds max_price_impact {limit:.2%}: not sent (trade a smaller amount, or raise Parameters.max_price_impact)"


def deviation(spot: Decimal, reference: Decimal) -> Decimal:
    return abs(spot / reference - 1)


def _in_units_of_quote(route_price_in_per_out: Fraction, quote_in: bool, scale: Fraction) -> Decimal:
    """A route's price (in-token per out-token, raw units) as quote per base in whole tokens."""
    raw = route_price_in_per_out if quote_in else 1 / route_price_in_per_out
    value = raw * scale
    return ratio(value.numerator, value.denominator)


def check_swap(
    *,
    ticker: str,
    amount_in: int,
    hops: list[tuple[int, int]],
    reference_hops: tuple[Fraction, ...],
    reference_source: str,
    quote_in: bool,
    price_scale: Fraction,
    fee: Decimal,
    slippage_tolerance: Decimal,
    max_price_deviation: Decimal | None,
    max_price_impact: Decimal | None,
) -> SwapCheck:
    """Apply the rules to a swap of ``amount_in`` along ``hops`` (reserve in, reserve out), in the swap's direction.

    ``reference_hops``: each hop's reference price of its out token in its in token (raw units).
    ``price_scale``: 10 ** (base decimals - quote decimals), to show prices per whole token.
    """
    spot_route = Fraction(1)
    for reserve_in, reserve_out in hops:
        spot_route *= Fraction(reserve_in, reserve_out)
    reference_route = Fraction(1)
    for price in reference_hops:
        reference_route *= price
    spot = _in_units_of_quote(spot_route, quote_in, price_scale)
    reference = _in_units_of_quote(reference_route, quote_in, price_scale)
    quote_out = amounts_out(amount_in, hops, fee)[-1]
    fair_out = amounts_out(amount_in, [reserves_at_price(r_in, r_out, price) for (r_in, r_out), price in zip(hops, reference_hops, strict=True)], fee)[-1]
    minimum = int((Decimal(fair_out) * (1 - slippage_tolerance)).to_integral_value(rounding=ROUND_DOWN))
    impact = price_impact(amount_in, quote_out, hops, fee, quote_in=quote_in)
    check = SwapCheck(minimum, quote_out, spot, reference, impact)
    moved = deviation(spot, reference)
    if max_price_deviation is not None and moved > max_price_deviation:
        return _refused(
            check,
            f"the spot price {spot:.6g} of {ticker} deviates {moved:.2%} from the reference price {reference:.6g} ({reference_source}); "
            f"MAX_PRICE_DEVIATION is {max_price_deviation:.2%}: not sent, the next cycle or trigger check decides again",
        )
    if max_price_impact is not None and impact > max_price_impact:
        return _refused(check, price_impact_refusal(impact, max_price_impact))
    if minimum <= 0:
        return _refused(check, f"the swap would receive nothing worth sending ({quote_out} token units)")
    if quote_out < minimum:
        return _refused(check, slippage_refusal(quote_out, fair_out, reference, reference_source, slippage_tolerance))
    return check


def slippage_refusal(quote_out: int, fair_out: int, reference: Decimal, reference_source: str, slippage_tolerance: Decimal) -> str:
    """Why a swap paying ``quote_out`` is not sent when the pool at the reference price would pay ``fair_out``."""
    worse = 1 - Decimal(quote_out) / Decimal(fair_out)
    return (
        f"the pool pays {worse:.2%} less for this swap than at the reference price {reference:.6g} ({reference_source}), more than the "
        f"slippage_tolerance {slippage_tolerance:.2%}: not sent (it would revert), the next cycle or trigger check decides again"
    )


def _refused(check: SwapCheck, why: str) -> SwapCheck:
    return SwapCheck(check.minimum_out, check.quote_out, check.spot_price, check.reference_price, check.impact, why)


def realised_price_impact(*, quote_in: bool, executed_price: Decimal, spot_price: Decimal, fee: Decimal, hops: int) -> Decimal:
    """A settled swap's impact against the spot it was signed at, fee excluded, as ``market.amm.price_impact`` measures it."""
    after_fee = (1 - fee) ** hops
    if quote_in:
        return ratio(executed_price * after_fee, spot_price) - 1
    return 1 - ratio(executed_price, spot_price * after_fee)
