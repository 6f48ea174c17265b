"""Swap on Uniswap v3 from the hot wallet: the v2 execution model's steps, v3's route, quote and router call.

Everything that keeps a decision from trading twice or getting lost is the v2 model's
(uniswap_v2/execution_model.py): the signed transaction saved in state before it is broadcast, the
eth_call before sending, confirmation, the fill read from the receipt's ERC-20 Transfer events, gas
as a cost, recovery after a crash (uniswap_v2/recovery.py calls ``settle``/``broadcast_and_settle``),
the router approved once per token. What differs is here:

- the route: the pool of the pair's fee tier (a sell runs it backwards);
- the check, against the pools read at one block: the spot (slot0) against the reference (the pool's
  mean tick, live_pricing.py), refused beyond MAX_PRICE_DEVIATION with the v2 tripwire's message; the
  price impact of the exact quote (quotes.py, equal to QuoterV2 to the wei) against max_price_impact;
  ``amountOutMinimum`` is, as on v2, what the pools would pay with their prices at the reference
  (``fair_amount_out``: each pool moved along its own ticks to the reference price, then the exact
  swap) less the slippage tolerance, rounded down; a quote below it is not sent (it would revert);
- the call: SwapRouter02 ``multicall(deadline, [exactInputSingle])``, or ``exactInput`` with the packed
  path for more hops (swap_router.py).
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from math import isqrt

from trade_executor.execution.guards import SwapCheck, price_impact_refusal, slippage_refusal
from trade_executor.execution.uniswap_v2.execution_model import NO_REFERENCE, UniswapV2ExecutionModel
from trade_executor.execution.uniswap_v2.live_pricing import route_price, to_decimal
from trade_executor.execution.uniswap_v3.live_pricing import UniswapV3LivePricing, UniswapV3LiveRouting
from trade_executor.execution.uniswap_v3.oracle import check_price_deviation
from trade_executor.execution.uniswap_v3.pool_state import PoolReader, PoolSnapshot
from trade_executor.execution.uniswap_v3.quotes import UniswapV3Quoter, V3Quote
from trade_executor.execution.uniswap_v3.routing import V3Route
from trade_executor.execution.uniswap_v3.swap_router import swap_call
from trade_executor.market.fee_tiers import PIPS
from trade_executor.market.uniswap_v3_math import MAX_SQRT_RATIO, MIN_SQRT_RATIO
from trade_executor.market.uniswap_v3_swap import PoolState, swap
from trade_executor.money import to_units
from trade_executor.state import TradeExecution

Q192 = 1 << 192
MAX_AMOUNT = (1 << 255) - 1  # an exact input no pool can take whole: a swap to a price limit stops at the limit


def minimum_out(quote_out: int, slippage_tolerance: Decimal) -> int:
    """``quote_out`` less the tolerance, exactly, rounded down: the bound never asks more than the quote allows."""
    keep = 1 - Fraction(slippage_tolerance)
    return quote_out * keep.numerator // keep.denominator


def route_fee(route: V3Route) -> Fraction:
    """The fraction of the amount in the pools keep along the route (each hop's fee tier, compounded)."""
    kept = Fraction(1)
    for fee in route.fees:
        kept *= 1 - Fraction(fee, PIPS)
    return 1 - kept


def quote_impact(amount_in: int, amount_out: int, spot_in_per_out: Fraction, fee: Fraction, *, quote_in: bool) -> Decimal:
    """How much worse than the spot (fee excluded) the quote's price is, measured as amm.price_impact measures a v2 swap."""
    if amount_out <= 0:
        return Decimal(1)
    ideal = amount_in * (1 - fee) / spot_in_per_out  # what the spot pays out after the fee, with no depth used
    return to_decimal(ideal / amount_out - 1 if quote_in else 1 - amount_out / ideal)


def fair_amount_out(snapshots: dict[str, PoolSnapshot], route: V3Route, amount_in: int, reference_hops: tuple[Fraction, ...]) -> int:
    """What ``amount_in`` along ``route`` would pay with each pool's price at its reference (each hop's price of
    its out token in its in token, raw units): the pool is moved there along its own ticks (so its active
    liquidity is the one at that price), then swapped exactly, as v2 moves its reserves to the reference."""
    amount = amount_in
    for hop, in_per_out in zip(route.hops, reference_hops, strict=True):
        state = snapshots[hop.pool].state
        zero_for_one = hop.token_in == snapshots[hop.pool].token0
        price0 = 1 / in_per_out if zero_for_one else in_per_out  # token1 per token0
        target = min(max(isqrt(price0.numerator * Q192 // price0.denominator), MIN_SQRT_RATIO + 1), MAX_SQRT_RATIO - 1)
        if target != state.sqrt_price_x96:
            moved = swap(state, target < state.sqrt_price_x96, MAX_AMOUNT, target)  # only its end state is used
            state = PoolState(moved.sqrt_price_x96, moved.end_tick, moved.liquidity, state.fee_pips, state.ticks)
        result = swap(state, zero_for_one, amount, MIN_SQRT_RATIO + 1 if zero_for_one else MAX_SQRT_RATIO - 1)
        amount = -result.amount1 if zero_for_one else -result.amount0
    return amount


def fair_out_at_reference(pricing: UniswapV3LivePricing, snapshots: dict[str, PoolSnapshot], route: V3Route, amount_in: int, pair) -> int | None:
    """``fair_amount_out`` at the pass's reference prices; None without a reference (the check then refuses)."""
    reference = pricing.reference(route, pair)
    return fair_amount_out(snapshots, route, amount_in, reference.hop_prices) if reference is not None else None


def check_quote(
    trade: TradeExecution, route: V3Route, amount_in: int, quote_out: int, pricing: UniswapV3LivePricing, rules, *, fair_out: int | None
) -> SwapCheck:
    """The v3 safety rules for ``amount_in`` along ``route`` paying ``quote_out``, against the pass's pool prices (``pricing.routing``).

    ``fair_out``: what the pools would pay at the reference prices (``fair_amount_out``; None without a reference).
    ``rules`` carries ``slippage_tolerance``, ``max_price_deviation`` and ``max_price_impact`` (an execution model).
    Records the spot and reference on the trade; without a reference a swap is refused (NO_REFERENCE).
    """
    pair = trade.pair
    scale = Fraction(10) ** (pair.base.decimals - pair.quote.decimals)
    spot_route = route_price(pricing.spot_hops(route))
    spot = to_decimal((spot_route if trade.is_buy else 1 / spot_route) * scale)
    reference = pricing.reference(route, pair)
    impact = quote_impact(amount_in, quote_out, spot_route, route_fee(route), quote_in=trade.is_buy)
    trade.spot_price = spot
    if reference is None or fair_out is None:
        trade.reference_price = None
        return SwapCheck(minimum_out(quote_out, rules.slippage_tolerance), quote_out, spot, spot, impact, NO_REFERENCE.format(ticker=pair.ticker))
    minimum = minimum_out(fair_out, rules.slippage_tolerance)
    reference_route = route_price(reference.hop_prices)
    reference_price = trade.reference_price = to_decimal((reference_route if trade.is_buy else 1 / reference_route) * scale)
    moved = check_price_deviation(
        ticker=pair.ticker, spot=spot, reference=reference_price, reference_source=reference.source, max_price_deviation=rules.max_price_deviation,
    )
    refusal = moved.refusal
    if refusal is None and rules.max_price_impact is not None and impact > rules.max_price_impact:
        refusal = price_impact_refusal(impact, rules.max_price_impact)
    if refusal is None and minimum <= 0:
        refusal = f"the swap would receive nothing worth sending ({quote_out} token units)"
    if refusal is None and quote_out < minimum:
        refusal = slippage_refusal(quote_out, fair_out, reference_price, reference.source, rules.slippage_tolerance)
    return SwapCheck(minimum, quote_out, spot, reference_price, impact, refusal)


class UniswapV3ExecutionModel(UniswapV2ExecutionModel):
    """The v2 model with v3 routing, quotes and router; ``quoter`` reads the pools (pool_state.py)."""

    routing: UniswapV3LiveRouting
    pricing: UniswapV3LivePricing

    def __init__(self, *args, quoter: UniswapV3Quoter | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.quoter = quoter or UniswapV3Quoter(PoolReader(self.web3))
        self.last_quote: V3Quote | None = None  # the quote the last check measured (logs, tests)

    def describe(self) -> str:
        exchange = self.routing.exchange
        return f"{exchange.name} hot wallet {self.builder.wallet.address} via {exchange.router} {self.routing.router.address}"

    def route_for(self, trade: TradeExecution) -> tuple[V3Route, str, str, int]:
        buy_route = self.pricing.buy_route(trade.pair)
        if trade.is_buy:
            return buy_route, trade.reserve_currency.address, trade.pair.base.address, to_units(trade.planned_reserve, trade.reserve_currency.decimals)
        return buy_route.reversed(), trade.pair.base.address, trade.reserve_currency.address, to_units(-trade.planned_quantity, trade.pair.base.decimals)

    def swap_call(self, route: V3Route, amount_in: int, minimum: int, deadline: int):
        return swap_call(self.routing.router, route, amount_in, minimum, self.wallet, deadline)

    def route_fee(self, route: V3Route) -> tuple[Decimal, int]:
        return to_decimal(route_fee(route)), 1

    def check(self, trade: TradeExecution, route: V3Route, amount_in: int) -> SwapCheck:
        """The safety rules against the route's pools and oracle read now, at one block."""
        self.routing.end_snapshot()  # earlier swaps of this cycle moved the pools: read them again
        block = self.web3.eth.block_number
        self.routing.observe(list(route.pools), block=block)
        snapshots = self.quoter.read(route, block=block)
        quote = self.last_quote = self.quoter.quote_exact_input(route, amount_in, snapshots=snapshots)
        fair_out = fair_out_at_reference(self.pricing, snapshots, route, amount_in, trade.pair)
        return check_quote(trade, route, amount_in, quote.amount_out, self.pricing, self, fair_out=fair_out)
