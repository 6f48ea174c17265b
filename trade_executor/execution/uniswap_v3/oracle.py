"""The pool's own oracle: the time-weighted mean tick, a reference price one block cannot move.

A v3 pool accumulates ``tick x seconds`` in its observations, written at the first swap (or
position change) of a block with the tick that held *before* it. ``observe([window, 0])`` gives the
accumulator a window ago and now; their difference over the window, rounded towards negative
infinity (OracleLibrary.consult), is the arithmetic mean tick, and the reference price is that
tick's price by TickMath (sqrtRatioAtTick squared over 2**192, what OracleLibrary.getQuoteAtTick
uses): exact, no float. A swap in this block has no weight in it yet; holding a moved price for
minutes costs a searcher what every arbitrageur takes from him meanwhile.

The pool keeps ``observationCardinality`` observations (1 when created): a window needs about one
per block it spans. Too few and the pool reverts ``OLD``; ``OracleWindowTooLong`` says so and what
to do, ``increase_cardinality`` is the transaction (paid once; the slots fill as swaps come).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from web3 import Web3

from trade_executor.chain.rpc_calls import RpcCaller
from trade_executor.chain.transactions import TransactionBuilder, send_and_wait
from trade_executor.errors import StopError
from trade_executor.execution.guards import deviation
from trade_executor.execution.uniswap_v3.abi import POOL_ABI, call_data, decode_result
from trade_executor.execution.uniswap_v3.pool_state import raw_price0, resolve_block
from trade_executor.execution.uniswap_v3.routing import V3Route
from trade_executor.market.uniswap_v3_math import get_sqrt_ratio_at_tick
from trade_executor.money import ratio

DEFAULT_WINDOW_SECONDS = 900
MAX_CARDINALITY = 65535


class OracleWindowTooLong(StopError, LookupError):
    """The pool's observations do not reach back a whole window."""

    def __init__(self, pool: str, window: int, cardinality: int, cardinality_next: int, oldest_age: int | None, block_time: int = 12):
        needed = min(window // block_time + 2, MAX_CARDINALITY)
        reach = f"its oldest observation is {oldest_age} s old" if oldest_age is not None else "its observations do not reach that far"
        growing = f" (growing to {cardinality_next} as swaps come)" if cardinality_next > cardinality else ""
        super().__init__(
            f"Pool {pool} cannot average its price over {window} s: it keeps {cardinality} observation(s){growing} and {reach}. "
            f"Raise its cardinality to at least {needed} (one per {block_time}-s block of the window) with "
            f"increase_cardinality(builder, {pool!r}, {needed}) and wait a window, or use a shorter window."
        )
        self.pool, self.window, self.cardinality, self.cardinality_next, self.oldest_age = pool, window, cardinality, cardinality_next, oldest_age


@dataclass(frozen=True)
class OracleReading:
    """A pool at ``block``: its mean tick over ``seconds`` ending at ``timestamp`` and its spot (slot0)."""

    pool: str
    block: int
    timestamp: int
    seconds: int
    mean_tick: int
    spot_sqrt_price_x96: int
    spot_tick: int

    @property
    def price0(self) -> Fraction:
        """The reference: token1 units per token0 unit at the mean tick."""
        return raw_price0(get_sqrt_ratio_at_tick(self.mean_tick))

    @property
    def spot_price0(self) -> Fraction:
        return raw_price0(self.spot_sqrt_price_x96)


def mean_tick(cumulative_then: int, cumulative_now: int, seconds: int) -> int:
    """OracleLibrary.consult's arithmetic mean tick: the difference over the seconds, rounded towards negative infinity."""
    if seconds <= 0:
        raise ValueError(f"a mean tick needs a positive window, got {seconds} s")
    return (cumulative_now - cumulative_then) // seconds


def human_price(price0: Fraction, *, base_is_token0: bool, base_decimals: int, quote_decimals: int) -> Decimal:
    """Quote per whole base token from a pool's token1-per-token0 raw price."""
    quote_per_base = price0 if base_is_token0 else 1 / price0
    value = quote_per_base * Fraction(10) ** (base_decimals - quote_decimals)
    return ratio(value.numerator, value.denominator)


def route_prices(route: V3Route, readings: dict[str, OracleReading]) -> tuple[Fraction, Fraction]:
    """(spot, reference) of a route: token-in units per token-out unit, each hop's price multiplied."""
    spot, reference = Fraction(1), Fraction(1)
    for hop in route.hops:
        reading = readings[hop.pool]
        if hop.zero_for_one:  # token0 in: the price of token1 in token0 units is 1 / price0
            spot, reference = spot / reading.spot_price0, reference / reading.price0
        else:
            spot, reference = spot * reading.spot_price0, reference * reading.price0
    return spot, reference


class UniswapV3Oracle:
    """Reads pools' mean ticks and spots in one JSON-RPC batch, pinned to one block."""

    def __init__(self, web3: Web3, *, window_seconds: int = DEFAULT_WINDOW_SECONDS, caller: RpcCaller | None = None):
        if not 0 < window_seconds < 1 << 32:
            raise ValueError(f"the window must be a positive number of seconds, got {window_seconds}")
        self.web3 = web3
        self.window_seconds = window_seconds
        self.caller = caller or RpcCaller(web3.provider)

    def consult(self, pools: list[str], *, block: int | str = "latest") -> dict[str, OracleReading]:
        """Each pool's reading at ``block``; raises OracleWindowTooLong for a pool whose observations fall short."""
        pools = [Web3.to_checksum_address(p) for p in dict.fromkeys(pools)]
        number = resolve_block(self.web3, block)
        calls = [("eth_getBlockByNumber", [hex(number), False])]
        for pool in pools:
            calls.append(("eth_call", [{"to": pool, "data": call_data("slot0")}, hex(number)]))
            calls.append(("eth_call", [{"to": pool, "data": call_data("observe", [self.window_seconds, 0])}, hex(number)]))
        answers = self.caller.batch(calls)
        if "error" in answers[0]:
            raise ConnectionError(f"Reading block {number} failed: {answers[0]['error']}")
        stamp = answers[0]["result"]["timestamp"]
        timestamp = int(stamp, 16) if isinstance(stamp, str) else int(stamp)
        readings = {}
        for index, pool in enumerate(pools):
            slot0, observed = answers[1 + 2 * index], answers[2 + 2 * index]
            if "error" in slot0:
                raise ConnectionError(f"Reading slot0 of Uniswap v3 pool {pool} at block {number} failed: {slot0['error']}")
            sqrt_price, tick, observation_index, cardinality, cardinality_next, *_ = decode_result("slot0", slot0["result"])
            if "error" in observed:
                if "OLD" not in str(observed["error"]):
                    raise ConnectionError(f"observe() of Uniswap v3 pool {pool} at block {number} failed: {observed['error']}")
                oldest = self.oldest_observation(pool, number, observation_index, cardinality)
                raise OracleWindowTooLong(pool, self.window_seconds, cardinality, cardinality_next, None if oldest is None else timestamp - oldest)
            cumulatives, _ = decode_result("observe", observed["result"])
            average = mean_tick(cumulatives[0], cumulatives[1], self.window_seconds)
            readings[pool] = OracleReading(pool, number, timestamp, self.window_seconds, average, sqrt_price, tick)
        return readings

    def oldest_observation(self, pool: str, block: int, index: int, cardinality: int) -> int | None:
        """Timestamp of the pool's oldest observation (the slot after the newest, or slot 0 while the ring is not full)."""
        for slot in dict.fromkeys(((index + 1) % max(cardinality, 1), 0)):
            answer = self.caller.call("eth_call", [{"to": pool, "data": call_data("observations", slot)}, hex(block)])
            if "error" not in answer:
                timestamp, _, _, initialised = decode_result("observations", answer["result"])
                if initialised:
                    return timestamp
        return None


def increase_cardinality(builder: TransactionBuilder, pool: str, cardinality: int, *, timeout: float = 60.0):
    """Have ``pool`` keep ``cardinality`` observations (increaseObservationCardinalityNext); returns the receipt.

    The sender pays the gas of the new slots (about 20k gas each). The pool grows into them as swaps
    write observations, so a window is covered about a window after this.
    """
    if not 1 <= cardinality <= MAX_CARDINALITY:
        raise ValueError(f"an observation cardinality is between 1 and {MAX_CARDINALITY}, got {cardinality}")
    contract = builder.web3.eth.contract(address=Web3.to_checksum_address(pool), abi=POOL_ABI)
    signed = builder.sign_call(contract.functions.increaseObservationCardinalityNext(cardinality))
    return send_and_wait(builder.web3, signed, timeout=timeout)


@dataclass(frozen=True)
class DeviationCheck:
    """The spot against the reference; ``refusal`` is None when a swap may be sent."""

    spot_price: Decimal
    reference_price: Decimal
    deviation: Decimal
    refusal: str | None = None


def check_price_deviation(*, ticker: str, spot: Decimal, reference: Decimal, reference_source: str, max_price_deviation: Decimal | None) -> DeviationCheck:
    """The tripwire of guards.check_swap: a spot further than ``max_price_deviation`` from the reference refuses the swap."""
    moved = deviation(spot, reference)
    if max_price_deviation is None or moved <= max_price_deviation:
        return DeviationCheck(spot, reference, moved)
    return DeviationCheck(
        spot, reference, moved,
        f"the spot price {spot:.6g} of {ticker} deviates {moved:.2%} from the reference price {reference:.6g} ({reference_source}); "
        f"MAX_PRICE_DEVIATION is {max_price_deviation:.2%}: not sent, the next cycle or trigger check decides again",
    )
