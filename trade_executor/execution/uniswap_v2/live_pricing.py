"""Live prices from the pools: the spot, and the reference every decision is measured against.

The spot is wherever the last swap left a pool; a searcher can put it anywhere for one block. So
decisions (sizing, revaluation, stop losses) and slippage bounds use a reference instead: the
pool's time-weighted average price (oracle.py), or, until the oracle has seen enough chain time,
the close of the last candle (which closed before this moment). ``reference="spot"`` is for a
chain we drive ourselves (the replay), where no one else trades.
"""

from __future__ import annotations

import datetime
import logging
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from trade_executor.execution.uniswap_v2.oracle import TwapOracle
from trade_executor.execution.uniswap_v2.routing import Route, UniswapV2Routing
from trade_executor.identifiers import TradingPairIdentifier
from trade_executor.state import Portfolio

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Reference:
    """A route's reference as each hop's price of its out token in its in token (raw units), and where it came from."""

    hop_prices: tuple[Fraction, ...]
    source: str


def hop_price(reserve_in: int, reserve_out: int) -> Fraction:
    return Fraction(reserve_in, reserve_out)


def route_price(hop_prices: tuple[Fraction, ...] | list[Fraction]) -> Fraction:
    price = Fraction(1)
    for each in hop_prices:
        price *= each
    return price


def to_decimal(value: Fraction) -> Decimal:
    from trade_executor.money import ratio

    return ratio(value.numerator, value.denominator)


class UniswapV2LivePricing:
    """``get_mid_price`` is the reference price (what decisions use); ``get_spot_price`` the pool's spot."""

    def __init__(self, routing: UniswapV2Routing, oracle: TwapOracle | None = None, *, reference: str = "twap"):
        if reference not in ("twap", "spot"):
            raise ValueError(f"reference must be 'twap' or 'spot', not {reference!r}")
        self.routing = routing
        self.oracle = oracle
        self.reference_kind = reference
        self.universe = None  # the cycle's universe and time: its last closed candle is the fallback reference
        self.now = None

    # --- the pricing model -------------------------------------------------------------------

    def get_mid_price(self, pair: TradingPairIdentifier) -> Decimal | None:
        route = self.buy_route(pair)
        reference = self.reference(route, pair)
        if reference is None:
            return None
        return self._human(route_price(reference.hop_prices), pair)

    def get_spot_price(self, pair: TradingPairIdentifier) -> Decimal:
        route = self.buy_route(pair)
        return self._human(route_price(self.spot_hops(route)), pair)

    def get_liquidity(self, pair: TradingPairIdentifier) -> Decimal | None:
        route = self.buy_route(pair)
        reserve_quote, _ = self.routing.reserves(route.pools[0], pair.quote.address)
        return Decimal(reserve_quote).scaleb(-pair.quote.decimals)

    # --- routes ------------------------------------------------------------------------------

    def buy_route(self, pair: TradingPairIdentifier) -> Route:
        return self.routing.route(pair.quote.address, pair.base.address)

    def spot_hops(self, route: Route) -> list[Fraction]:
        return [hop_price(*self.routing.reserves(pool, token_in)) for token_in, pool in zip(route.path, route.pools, strict=False)]

    def reference(self, route: Route, pair: TradingPairIdentifier | None = None) -> Reference | None:
        """The route's reference, in the route's direction; None when there is none yet."""
        if self.reference_kind == "spot":
            return Reference(tuple(self.spot_hops(route)), "spot (no other traders on this chain)")
        twap = self._twap_hops(route)
        if twap is not None:
            return twap
        close = self._candle_close_hops(route, pair)
        if close is not None:
            return close
        return None

    def _twap_hops(self, route: Route) -> Reference | None:
        if self.oracle is None:
            return None
        prices, seconds = [], None
        for token_in, pool in zip(route.path, route.pools, strict=False):
            twap = self.oracle.twap(pool)
            if twap is None or twap.price0 == 0:
                return None
            token0_in = self.routing.token0(pool).lower() == token_in.lower()
            prices.append(1 / twap.price0 if token0_in else twap.price0)  # price0 is token1 per token0
            seconds = twap.seconds if seconds is None else min(seconds, twap.seconds)
        return Reference(tuple(prices), f"{seconds / 60:.0f}-min TWAP" if seconds >= 120 else f"{seconds:.0f}-s TWAP")  # a 5-s cycle's window is not "0-min"

    def _candle_close_hops(self, route: Route, pair: TradingPairIdentifier | None) -> Reference | None:
        """Before the oracle has seen enough: the last closed candle of a direct pool, in the route's direction."""
        universe = self.universe
        if universe is None or len(route.pools) != 1 or pair is None or self.now is None:
            return None
        candles = universe.get_candles(pair)
        candles = candles[candles.index + universe.time_frame <= self.now]  # closed ones only: the forming candle's close is the spot
        if len(candles) == 0:
            return None
        close = Decimal(repr(float(candles["close"].iloc[-1])))
        raw = Fraction(close) * Fraction(10) ** (pair.quote.decimals - pair.base.decimals)  # quote units per base unit
        buying = route.path[0].lower() == pair.quote.address.lower()
        return Reference((raw if buying else 1 / raw,), f"last candle close ({candles.index[-1]})")

    def _human(self, raw_quote_per_base: Fraction, pair: TradingPairIdentifier) -> Decimal:
        return to_decimal(raw_quote_per_base * Fraction(10) ** (pair.base.decimals - pair.quote.decimals))


class UniswapV2PoolRevaluator:
    """Mark open positions to the reference price; keep the last price while there is none."""

    def __init__(self, pricing: UniswapV2LivePricing):
        self.pricing = pricing

    def revalue(self, timestamp: datetime.datetime, portfolio: Portfolio) -> None:
        for position in portfolio.open_positions.values():
            price = self.pricing.get_mid_price(position.pair)
            if price is not None:
                position.last_token_price = price
                position.last_pricing_at = timestamp
