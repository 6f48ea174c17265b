"""Exact-input quotes along a v3 route from the pools' state, equal to QuoterV2's to the wei.

The pools are read once (pool_state.py: three JSON-RPC batches at one block) and each hop's swap is
run by market.uniswap_v3_swap, the pool's own integer maths; the output of a hop is the input of the
next, as SwapRouter02.exactInput pays it through. A large swap that walks past the tick bitmap words
read is re-read with twice the words, up to ``max_words_each_side``; beyond that it is an error, never
a quote that left liquidity out.
"""

from __future__ import annotations

from dataclasses import dataclass

from trade_executor.errors import SkipError
from trade_executor.execution.uniswap_v3.pool_state import DEFAULT_WORDS_EACH_SIDE, PoolReader, PoolSnapshot, TicksNotRead
from trade_executor.execution.uniswap_v3.routing import Hop, V3Route
from trade_executor.market.uniswap_v3_math import MAX_SQRT_RATIO, MIN_SQRT_RATIO
from trade_executor.market.uniswap_v3_swap import SwapResult, swap

MAX_WORDS_EACH_SIDE = 64


class PoolTooShallow(SkipError, ValueError):
    """The pool reaches the end of its price range before it has taken the whole amount in."""


@dataclass(frozen=True)
class V3Quote:
    """An exact-input quote: ``amounts`` is the amount in, then what each hop pays out."""

    route: V3Route
    amounts: tuple[int, ...]
    sqrt_prices_after: tuple[int, ...]  # each pool's sqrtPriceX96 after its hop (QuoterV2's sqrtPriceX96AfterList)
    ticks_crossed: tuple[tuple[int, ...], ...]  # each hop's initialised ticks crossed, in order
    fees_paid: tuple[int, ...]  # each hop's LP fee, in its input token's units
    block: int

    @property
    def amount_in(self) -> int:
        return self.amounts[0]

    @property
    def amount_out(self) -> int:
        return self.amounts[-1]


def swap_hop(snapshot: PoolSnapshot, hop: Hop, amount_in: int) -> tuple[int, SwapResult]:
    """(amount out, the pool's swap) of ``amount_in`` through one pool, the price limit left open as QuoterV2 leaves it."""
    if {hop.token_in, hop.token_out} != {snapshot.token0, snapshot.token1}:
        raise ValueError(f"pool {hop.pool} trades {snapshot.token0} and {snapshot.token1}, not {hop.token_in} -> {hop.token_out}")
    if amount_in <= 0:
        raise ValueError(f"the amount in must be positive, got {amount_in}")
    zero_for_one = hop.token_in == snapshot.token0
    limit = MIN_SQRT_RATIO + 1 if zero_for_one else MAX_SQRT_RATIO - 1
    result = swap(snapshot.state, zero_for_one, amount_in, limit)
    used, paid_out = (result.amount0, -result.amount1) if zero_for_one else (result.amount1, -result.amount0)
    if used != amount_in:
        raise PoolTooShallow(f"Pool {hop.pool} takes only {used} of the {amount_in} units in before its price reaches the end of its range.")
    return paid_out, result


class UniswapV3Quoter:
    """Quotes from pool state; ``words_each_side`` bitmap words are read around each price at first."""

    def __init__(self, reader: PoolReader, *, words_each_side: int = DEFAULT_WORDS_EACH_SIDE, max_words_each_side: int = MAX_WORDS_EACH_SIDE):
        self.reader = reader
        self.words_each_side = words_each_side
        self.max_words_each_side = max(max_words_each_side, words_each_side)

    def read(self, route: V3Route, *, block: int | str = "latest") -> dict[str, PoolSnapshot]:
        """The route's pools at one block (a quote can reuse them: ``quote_exact_input(..., snapshots=...)``)."""
        return self.reader.read(list(route.pools), block=block, words_each_side=self.words_each_side)

    def quote_exact_input(self, route: V3Route, amount_in: int, *, block: int | str = "latest", snapshots: dict[str, PoolSnapshot] | None = None) -> V3Quote:
        """What ``exactInput`` of ``amount_in`` along ``route`` pays out at ``block`` (or on ``snapshots``), to the wei."""
        snapshots = dict(snapshots) if snapshots is not None else self.read(route, block=block)
        amounts, prices, crossed, fees = [amount_in], [], [], []
        for hop in route.hops:
            paid_out, result = self.swap_reading_more(snapshots, hop, amounts[-1])
            amounts.append(paid_out)
            prices.append(result.sqrt_price_x96)
            crossed.append(result.ticks_crossed)
            fees.append(result.fee_amount)
        block_number = snapshots[route.pools[0]].block
        return V3Quote(route, tuple(amounts), tuple(prices), tuple(crossed), tuple(fees), block_number)

    def best_route(self, routes: list[V3Route], amount_in: int, *, block: int | str = "latest") -> V3Quote:
        """The quote of the route that pays out most for ``amount_in`` (all pools read in one go, at one block)."""
        if not routes:
            raise ValueError("no route to choose from")
        pools = list(dict.fromkeys(pool for route in routes for pool in route.pools))
        snapshots = self.reader.read(pools, block=block, words_each_side=self.words_each_side)
        quotes = []
        for route in routes:
            try:
                quotes.append(self.quote_exact_input(route, amount_in, snapshots=snapshots))
            except PoolTooShallow:
                continue
        if not quotes:
            raise PoolTooShallow(f"None of the {len(routes)} routes can take {amount_in} units in.")
        return max(quotes, key=lambda quote: quote.amount_out)

    def swap_reading_more(self, snapshots: dict[str, PoolSnapshot], hop: Hop, amount_in: int) -> tuple[int, SwapResult]:
        """Swap through the hop's pool on ``snapshots``; while the swap walks past the words read, read twice as many (same block) into ``snapshots``."""
        each_side = self.words_each_side
        while True:
            try:
                return swap_hop(snapshots[hop.pool], hop, amount_in)
            except TicksNotRead:
                if each_side >= self.max_words_each_side:
                    raise
                each_side = min(max(2 * each_side, 1), self.max_words_each_side)
                snapshot = snapshots[hop.pool]
                snapshots[hop.pool] = self.reader.read([hop.pool], block=snapshot.block, words_each_side=each_side)[hop.pool]
