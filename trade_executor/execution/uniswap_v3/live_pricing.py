"""Live prices on Uniswap v3 pools: the spot from slot0, the reference from the pool's own oracle.

The same contract as the v2 live pricing (uniswap_v2/live_pricing.py, whose reference rules this
reuses): ``get_mid_price`` is the reference, a price one block cannot move (the pool's mean tick
over the window, oracle.py), or until the pool's observations reach a whole window the close of
the last closed candle; ``get_spot_price`` is slot0's price, wherever the last swap left it. A
pair trades through the pool of its own fee tier (the pair's ``fee``). Valuation is the v2
revaluator's: open positions marked to the reference.

One pass (a cycle, a trigger check, a trade's check) reads its pools once, in one batch pinned to
one block (``observe``); ``end_snapshot`` drops that reading, as the v2 routing's snapshot.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from decimal import Decimal
from fractions import Fraction

from web3 import Web3

from trade_executor.chain.rpc_calls import RpcCaller
from trade_executor.execution.uniswap_v2.live_pricing import Reference, UniswapV2LivePricing, UniswapV2PoolRevaluator
from trade_executor.execution.uniswap_v3.abi import call_data, decode_result
from trade_executor.execution.uniswap_v3.exchanges import UNISWAP_V3, V3Exchange
from trade_executor.execution.uniswap_v3.oracle import OracleWindowTooLong, UniswapV3Oracle
from trade_executor.execution.uniswap_v3.pool_state import raw_price0, resolve_block
from trade_executor.execution.uniswap_v3.routing import DEFAULT_FEE_TIERS, UniswapV3Routing, V3Route
from trade_executor.execution.uniswap_v3.swap_router import SWAP_ROUTER_02_ABI
from trade_executor.identifiers import TradingPairIdentifier
from trade_executor.market.fee_tiers import PIPS
from trade_executor.market.uniswap_v3_math import get_sqrt_ratio_at_tick

logger = logging.getLogger(__name__)

UniswapV3PoolRevaluator = UniswapV2PoolRevaluator  # marks open positions to get_mid_price: the same for both venues


@dataclass(frozen=True)
class PoolPrice:
    """A pool at ``block``: slot0's sqrtPriceX96 and, when its observations reach the window, the mean tick over ``seconds``."""

    pool: str
    block: int
    spot_sqrt_price_x96: int
    mean_tick: int | None
    seconds: int

    @property
    def spot_price0(self) -> Fraction:
        """token1 units per token0 unit at slot0."""
        return raw_price0(self.spot_sqrt_price_x96)

    @property
    def mean_price0(self) -> Fraction | None:
        return None if self.mean_tick is None else raw_price0(get_sqrt_ratio_at_tick(self.mean_tick))


def fee_tier(pair: TradingPairIdentifier) -> int:
    """The pair's fee as the factory's fee tier in pips (0.003 -> 3000)."""
    return int(Decimal(pair.fee) * PIPS)


def hop_in_per_out(hop, price0: Fraction) -> Fraction:
    """A hop's price of its out token in its in token (raw units), from the pool's token1-per-token0 price."""
    return 1 / price0 if hop.zero_for_one else price0


class UniswapV3LiveRouting(UniswapV3Routing):
    """The factory's pools and SwapRouter02, and the pool prices of the current pass (``observe``).

    ``exchange``: whose factory and router these are (Uniswap v3, PancakeSwap v3...): what messages name them.
    """

    def __init__(self, web3: Web3, factory: str, swap_router: str, *, fee_tiers: tuple[int, ...] = DEFAULT_FEE_TIERS,
                 intermediaries: tuple[str, ...] = (), oracle: UniswapV3Oracle | None = None, caller: RpcCaller | None = None,
                 exchange: V3Exchange = UNISWAP_V3):
        super().__init__(web3, factory, fee_tiers=fee_tiers, intermediaries=intermediaries)
        self.exchange = exchange
        self.router = web3.eth.contract(address=Web3.to_checksum_address(swap_router), abi=SWAP_ROUTER_02_ABI)
        self.oracle = oracle
        self.caller = caller or RpcCaller(web3.provider)
        self._snapshot: dict[str, PoolPrice] | None = None

    def observe(self, pools: list[str], *, block: int | str = "latest") -> dict[str, PoolPrice]:
        """Read the pools' spots and mean ticks at one block (in one batch once every pool's oracle reaches the window); keep them for this pass."""
        pools = [Web3.to_checksum_address(p) for p in dict.fromkeys(pools)]
        if not pools:
            self._snapshot = {}
            return {}
        number = resolve_block(self.web3, block)
        prices = self._consult(pools, number) if self.oracle is not None else {}
        missing = [pool for pool in pools if pool not in prices]
        if missing:
            answers = self.caller.batch([("eth_call", [{"to": pool, "data": call_data("slot0")}, hex(number)]) for pool in missing])
            for pool, answer in zip(missing, answers, strict=True):
                if "error" in answer:
                    raise ConnectionError(f"Reading slot0 of Uniswap v3 pool {pool} at block {number} failed: {answer['error']}")
                prices[pool] = PoolPrice(pool, number, decode_result("slot0", answer["result"])[0], None, 0)
        self._snapshot = {**(self._snapshot or {}), **prices}
        return prices

    def _consult(self, pools: list[str], block: int) -> dict[str, PoolPrice]:
        """Mean ticks where the observations reach a whole window; a pool whose do not is left out (it has a spot only)."""
        try:
            readings = self.oracle.consult(pools, block=block)
        except OracleWindowTooLong:
            readings = {}
            for pool in pools:
                try:
                    readings.update(self.oracle.consult([pool], block=block))
                except OracleWindowTooLong as e:
                    logger.info("No oracle reference for pool %s yet: %s", pool, e)
        return {pool: PoolPrice(pool, r.block, r.spot_sqrt_price_x96, r.mean_tick, r.seconds) for pool, r in readings.items()}

    def price(self, pool: str) -> PoolPrice:
        """The pool's price of this pass (read now when the pass has none)."""
        if self._snapshot is None or pool not in self._snapshot:
            self.observe([pool])
        return self._snapshot[pool]

    def end_snapshot(self) -> None:
        self._snapshot = None

    def move_spot(self, pool: str, sqrt_price_x96: int) -> None:
        """Set the pass's spot of ``pool`` where a (paper) swap left it; its oracle reading stays (one block cannot move it)."""
        if self._snapshot is not None and pool in self._snapshot:
            self._snapshot[pool] = replace(self._snapshot[pool], spot_sqrt_price_x96=sqrt_price_x96)

    def snapshot_covers(self, pools) -> bool:
        return self._snapshot is not None and all(pool in self._snapshot for pool in pools)


class UniswapV3LivePricing(UniswapV2LivePricing):
    """``get_mid_price`` is the reference price (what decisions use); ``get_spot_price`` slot0's."""

    routing: UniswapV3LiveRouting

    def buy_route(self, pair: TradingPairIdentifier) -> V3Route:
        return self.routing.route(pair.quote.address, pair.base.address, fee=fee_tier(pair))

    def spot_hops(self, route: V3Route) -> list[Fraction]:
        return [hop_in_per_out(hop, self.routing.price(hop.pool).spot_price0) for hop in route.hops]

    def _twap_hops(self, route: V3Route) -> Reference | None:
        if self.routing.oracle is None:
            return None
        prices, seconds = [], None
        for hop in route.hops:
            mean = self.routing.price(hop.pool).mean_price0
            if mean is None:
                return None
            prices.append(hop_in_per_out(hop, mean))
            seconds = self.routing.oracle.window_seconds
        return Reference(tuple(prices), f"{seconds / 60:.0f}-min pool oracle mean" if seconds >= 120 else f"{seconds:.0f}-s pool oracle mean")

    def get_liquidity(self, pair: TradingPairIdentifier) -> Decimal | None:
        """Not a v2 reserve: a v3 pool's depth depends on the range a swap crosses (quote the amount instead)."""
        return None
