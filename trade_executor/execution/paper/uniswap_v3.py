"""Paper fills on Uniswap v3 pools: the exact quote from the pools' state at the block the cycle read.

The v2 paper model's steps (paper/execution_model.py: the live rules, gas as live would pay it, the
fill applied and saved in one step, nothing signed or sent) with v3's route, rules and quote: the
pool of the pair's fee tier (a sell runs it backwards), the v3 live model's check (the spot at slot0
against the pool oracle's mean, price impact, minimum out: uniswap_v3/execution_model.py) and the
quote the pools' own integer maths give (uniswap_v3/quotes.py, equal to QuoterV2 to the wei). The
pools are read once per block; a fill moves the read pool (price, tick, liquidity), so a second
trade through it in the same pass pays the price the first left.
"""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from trade_executor.execution.guards import SwapCheck
from trade_executor.execution.paper.execution_model import PaperExecutionModel
from trade_executor.execution.uniswap_v2.live_pricing import to_decimal
from trade_executor.execution.uniswap_v3.execution_model import check_quote, fair_out_at_reference, route_fee
from trade_executor.execution.uniswap_v3.live_pricing import UniswapV3LivePricing, UniswapV3LiveRouting
from trade_executor.execution.uniswap_v3.pool_state import PoolSnapshot
from trade_executor.execution.uniswap_v3.quotes import UniswapV3Quoter, V3Quote
from trade_executor.execution.uniswap_v3.routing import V3Route
from trade_executor.market.uniswap_v3_swap import PoolState
from trade_executor.state import TradeExecution


class UniswapV3PaperExecutionModel(PaperExecutionModel):
    """``quoter`` reads the pools' state (pool_state.py) at the block ``priced_block`` names."""

    routing: UniswapV3LiveRouting
    pricing: UniswapV3LivePricing

    def __init__(self, *args, quoter: UniswapV3Quoter, **kwargs):
        super().__init__(*args, **kwargs)
        self.quoter = quoter
        self.pools: dict[str, PoolSnapshot] = {}  # the priced block's pools, moved by this pass's paper fills
        self.last_quote: V3Quote | None = None

    def describe(self) -> str:
        return (
            f"paper: exact Uniswap v3 fills (pool state, equal to QuoterV2) on the pools of SwapRouter02 {self.routing.router.address} "
            f"at the block each cycle reads; nothing signed or sent; gas {self.gas_units_per_swap:,} units a swap x the block's base fee + the node's tip"
        )

    def buy_route(self, trade: TradeExecution) -> V3Route:
        return self.pricing.buy_route(trade.pair)

    def check(self, trade: TradeExecution, route: V3Route, amount_in: int) -> SwapCheck:
        block, _ = self.priced_block(list(route.pools))
        if any(snapshot.block != block for snapshot in self.pools.values()):
            self.pools = {}  # a new block: this pass's fills are history
        missing = [pool for pool in route.pools if pool not in self.pools]
        if missing:
            self.pools.update(self.quoter.reader.read(missing, block=block, words_each_side=self.quoter.words_each_side))
        snapshots = {pool: self.pools[pool] for pool in route.pools}
        quote = self.last_quote = self.quoter.quote_exact_input(route, amount_in, snapshots=snapshots)
        fair_out = fair_out_at_reference(self.pricing, snapshots, route, amount_in, trade.pair)
        return check_quote(trade, route, amount_in, quote.amount_out, self.pricing, self, fair_out=fair_out)

    def quote(self, route: V3Route, amount_in: int) -> list[int]:
        if self.last_quote is None or self.last_quote.route != route or self.last_quote.amount_in != amount_in:
            raise RuntimeError("a paper v3 fill needs the quote its check measured")
        return list(self.last_quote.amounts)

    def after_fill(self, route: V3Route, amounts: list[int]) -> None:
        for hop, amount_in in zip(route.hops, amounts, strict=False):
            _, result = self.quoter.swap_reading_more(self.pools, hop, amount_in)  # the pool's own maths again, for its state after
            snapshot = self.pools[hop.pool]  # with the words the swap needed read
            state = PoolState(result.sqrt_price_x96, result.tick, result.liquidity, snapshot.state.fee_pips, snapshot.state.ticks)
            self.pools[hop.pool] = replace(snapshot, state=state)
            self.routing.move_spot(hop.pool, result.sqrt_price_x96)

    def hop_count(self, route: V3Route) -> int:
        return len(route.hops)

    def fee_share(self, route: V3Route) -> Decimal:
        return to_decimal(route_fee(route))

