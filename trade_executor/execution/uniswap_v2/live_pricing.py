"""Prices and valuation from on-chain pool reserves."""

from __future__ import annotations

import datetime
from decimal import Decimal

from trade_executor.execution.uniswap_v2.routing import UniswapV2Routing
from trade_executor.identifiers import TradingPairIdentifier
from trade_executor.state import Portfolio


class UniswapV2LivePricing:
    """The pool's mid price now (before fees), along the same route a trade would take."""

    def __init__(self, routing: UniswapV2Routing):
        self.routing = routing

    def get_mid_price(self, pair: TradingPairIdentifier) -> Decimal:
        route = self.routing.route(pair.quote.address, pair.base.address)
        return self.routing.mid_price(route, pair.base.decimals, pair.quote.decimals)

    def get_liquidity(self, pair: TradingPairIdentifier) -> Decimal | None:
        route = self.routing.route(pair.quote.address, pair.base.address)
        reserve_quote, _ = self.routing.reserves(route.pools[0], pair.quote.address)
        return Decimal(reserve_quote).scaleb(-pair.quote.decimals)


class UniswapV2PoolRevaluator:
    """Mark open positions to the pools' mid prices."""

    def __init__(self, pricing: UniswapV2LivePricing):
        self.pricing = pricing

    def revalue(self, timestamp: datetime.datetime, portfolio: Portfolio) -> None:
        for position in portfolio.open_positions.values():
            position.last_token_price = self.pricing.get_mid_price(position.pair)
            position.last_pricing_at = timestamp
