"""The small interfaces the cycle is written against; each has a backtest and a live implementation.

Contracts:

- PricingModel: the mid price and pool liquidity of a pair *now* (the cycle's time). ``None``
  means there is no price now (a data gap): nothing may fill at an invented price.
- ExecutionModel: settle a list of planned trades against the portfolio, sells before buys;
  every trade leaves it either success (fill recorded) or failed (reason recorded), or is
  removed from its position when it was skipped (dust, no cash).
- ValuationModel: mark every open position to the current price.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Protocol

from trade_executor.identifiers import TradingPairIdentifier
from trade_executor.state import Portfolio, State, TradeExecution


class PricingModel(Protocol):
    def get_mid_price(self, pair: TradingPairIdentifier) -> Decimal | None: ...

    def get_liquidity(self, pair: TradingPairIdentifier) -> Decimal | None: ...


class ExecutionModel(Protocol):
    def execute_trades(self, timestamp: datetime.datetime, state: State, trades: list[TradeExecution]) -> None: ...

    def describe(self) -> str: ...


class ValuationModel(Protocol):
    def revalue(self, timestamp: datetime.datetime, portfolio: Portfolio) -> None: ...


class MarkToMidPrice:
    """Value open positions at the pricing model's mid price; keep the last price over a data gap."""

    def __init__(self, pricing: PricingModel):
        self.pricing = pricing

    def revalue(self, timestamp: datetime.datetime, portfolio: Portfolio) -> None:
        for position in portfolio.open_positions.values():
            price = self.pricing.get_mid_price(position.pair)
            if price is not None:
                position.last_token_price = price
                position.last_pricing_at = timestamp
