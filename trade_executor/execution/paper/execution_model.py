"""Paper fills: each trade filled with the exact Uniswap v2 maths against the pools as the cycle read them.

Nothing is signed or sent. A trade passes the live safety rules (guards.py: the spot against the
reference price, price impact, the minimum out) on the reserves of the block the cycle read in
one batch, then fills with the router's integer ``getAmountsOut`` along the route live routing
chooses (0.3% LP fee per hop, multi-hop as live). Gas is a swap's typical gas units times that
block's base fee plus the tip live offers (the node's eth_maxPriorityFeePerGas; a legacy chain's
gas price), in the native token, priced in the reserve currency as live prices it (and, as live,
paid outside the reserve). A fill moves the snapshot's pools, so a second trade through the
same pool in the same pass pays the price the first left. The block is recorded on the trade
(``priced_at_block``). A fill is applied to the books and saved in one step: a kill leaves the
trade either filled and saved, or not there at all.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Callable
from decimal import ROUND_DOWN, Decimal

from trade_executor.execution.guards import DEFAULT_MAX_PRICE_DEVIATION, SwapCheck
from trade_executor.execution.uniswap_v2.execution_model import check_trade
from trade_executor.execution.uniswap_v2.live_pricing import UniswapV2LivePricing
from trade_executor.execution.uniswap_v2.routing import Route, UniswapV2Routing
from trade_executor.failpoints import crash_point
from trade_executor.money import from_units, quantize_up, to_units
from trade_executor.state import State, TradeExecution

logger = logging.getLogger(__name__)

ONE = Decimal(1)
SWAP_GAS_UNITS = 150_000  # a Uniswap v2 swap of one hop, give or take (CHAIN_GAS_DEFAULTS)
EXTRA_HOP_GAS_UNITS = 60_000


class PaperExecutionModel:
    def __init__(
        self,
        routing: UniswapV2Routing,
        save_state: Callable[[], None],
        *,
        pricing: UniswapV2LivePricing,
        priced_block: Callable[[list[str]], tuple[int, int]],
        native_price: Callable[[], Decimal | None],
        gas_units_per_swap: int = SWAP_GAS_UNITS,
        slippage_tolerance: Decimal = Decimal("0.005"),
        max_price_deviation: Decimal | None = DEFAULT_MAX_PRICE_DEVIATION,
        max_price_impact: Decimal | None = None,
        clock: Callable[[], datetime.datetime],
    ):
        """``priced_block(pools)``: (number, gas price in wei live would pay there: base fee + tip) of the block the pools' snapshot was read at (read now when none is)."""
        self.routing = routing
        self.save_state = save_state
        self.pricing = pricing
        self.priced_block = priced_block
        self.native_price = native_price
        self.gas_units_per_swap = gas_units_per_swap
        self.slippage_tolerance = slippage_tolerance
        self.max_price_deviation = max_price_deviation
        self.max_price_impact = max_price_impact
        self.clock = clock
        self.may_sign: Callable[[], None] = lambda: None  # the live loop's watchdog: an abandoned step fills nothing

    def describe(self) -> str:
        return (
            f"paper: exact Uniswap v2 fills on the pools of router {self.routing.router.address} at the block each cycle reads; "
            f"nothing signed or sent; gas {self.gas_units_per_swap:,} units a swap x the block's base fee + the node's tip"
        )

    def execute_trades(self, timestamp: datetime.datetime, state: State, trades: list[TradeExecution]) -> None:
        for trade in sorted(trades, key=lambda t: t.planned_quantity > 0):  # sells first: their cash pays the buys
            self.execute_trade(state, trade)

    def execute_trade(self, state: State, trade: TradeExecution) -> None:
        self.may_sign()
        portfolio = state.portfolio
        position = portfolio.open_positions[trade.position_id]
        buy_route = self.buy_route(trade)
        if trade.is_buy:
            trade.planned_reserve = max(min(trade.planned_reserve, portfolio.get_cash()), Decimal(0))
            route, amount_in = buy_route, to_units(trade.planned_reserve, trade.reserve_currency.decimals)
        else:
            held = min(-trade.planned_quantity, position.get_quantity())
            route, amount_in = buy_route.reversed(), to_units(held, trade.pair.base.decimals)
        if amount_in <= 0:
            self.skip(state, trade, "nothing to swap (no cash or tokens left for it)")
            return
        block, gas_price = self.priced_block(list(route.pools))
        check = self.check(trade, route, amount_in)
        if check.refusal is not None:
            self.skip(state, trade, check.refusal)
            return
        amounts = self.quote(route, amount_in)
        self.book(state, trade, route, amounts, check, block, gas_price)
        self.after_fill(route, amounts)
        crash_point("paper_before_save")
        self.save_state()
        crash_point("paper_after_save")
        logger.info(
            "Paper trade #%d %s %s: %s %s for %s %s at block %d (nothing sent)", trade.trade_id, "buy" if trade.is_buy else "sell", trade.pair.ticker,
            abs(trade.executed_quantity), trade.pair.base.token_symbol, trade.executed_reserve, trade.reserve_currency.token_symbol, block,
        )

    def buy_route(self, trade: TradeExecution) -> Route:
        """The route a buy of ``trade``'s pair takes (a sell runs it backwards)."""
        return self.routing.route(trade.reserve_currency.address, trade.pair.base.address)

    def quote(self, route: Route, amount_in: int) -> list[int]:
        """The amount in, then what each hop pays out, on the snapshot (the check just passed)."""
        return self.routing.quote(amount_in, route)

    def after_fill(self, route: Route, amounts: list[int]) -> None:
        """Move the snapshot's pools as the fill would have: the next trade of this pass pays the price it leaves."""
        self.routing.apply_to_snapshot(route, amounts)

    def hop_count(self, route: Route) -> int:
        return route.hops

    def fee_share(self, route: Route) -> Decimal:
        """The share of the amount in the route's pools keep as LP fees."""
        return ONE - (ONE - self.routing.fee) ** route.hops

    def check(self, trade: TradeExecution, route: Route, amount_in: int) -> SwapCheck:
        """The live safety rules against the snapshot's reserves (this block, with this pass's paper fills) and the route's reference price."""
        return check_trade(trade, route, amount_in, self.routing.hop_reserves(route), self.pricing, self.routing.fee, self)

    def book(self, state: State, trade: TradeExecution, route: Route, amounts: list[int], check: SwapCheck, block: int, gas_price: int) -> None:
        """Record the fill in the books: quantities in token units exactly, costs rounded against us."""
        base, reserve, portfolio = trade.pair.base, trade.reserve_currency, state.portfolio
        gas_units = self.gas_units_per_swap + EXTRA_HOP_GAS_UNITS * (self.hop_count(route) - 1)
        gas_native = from_units(gas_units * gas_price, 18)
        native_price = self.native_price() if gas_native else None
        gas_usd = quantize_up(gas_native * native_price, reserve.decimals) if native_price else Decimal(0)
        fee_share = self.fee_share(route)
        unit = Decimal(1).scaleb(-reserve.decimals)
        if trade.is_buy:
            paid, quantity = from_units(amounts[0], reserve.decimals), from_units(amounts[-1], base.decimals)
            signed_quantity, executed_reserve, lp_fee = quantity, paid, (paid * fee_share).quantize(unit, rounding=ROUND_DOWN)
        else:
            quantity, received = from_units(amounts[0], base.decimals), from_units(amounts[-1], reserve.decimals)
            signed_quantity, executed_reserve = -quantity, received
            lp_fee = (quantity * fee_share * trade.planned_price).quantize(unit, rounding=ROUND_DOWN)
        now = self.clock()
        trade.gas_from_reserve = False  # as live: the gas token pays, not the reserve
        trade.priced_at_block = block
        trade.notes = "; ".join(filter(None, [trade.notes, f"paper fill at block {block} (gas price {gas_price} wei, {gas_units:,} gas units)"]))
        trade.mark_success(
            executed_at=now, quantity=signed_quantity, reserve=executed_reserve, lp_fees=lp_fee,
            price_impact=check.impact, gas_native=gas_native, gas_usd=gas_usd,
        )
        portfolio.adjust_cash(trade.get_cash_delta())
        position = portfolio.open_positions[trade.position_id]
        position.last_token_price, position.last_pricing_at = trade.executed_price, now
        if position.get_quantity() == 0:
            portfolio.close_position(position, now)

    def skip(self, state: State, trade: TradeExecution, reason: str) -> None:
        """A trade the rules refused (as live refuses to sign it): recorded apart, its position left as it was."""
        logger.warning("Paper trade #%d %s %s skipped: %s", trade.trade_id, "buy" if trade.is_buy else "sell", trade.pair.ticker, reason)
        trade.mark_failed(self.clock(), reason, skipped=True)
        state.portfolio.record_unfilled(trade)
        self.save_state()
