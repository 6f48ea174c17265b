"""Backtest execution: trades settle at once, through a fill model, at the trade's planned price.

The planned price is the pool's mid price when the trade was decided (the open of the cycle's
candle), or the trigger price for a stop loss; the fill model adds the LP fee and price impact.
"""

from __future__ import annotations

import datetime
import logging
from decimal import Decimal

from trade_executor.errors import ConfigurationError
from trade_executor.execution.backtest_pricing import BacktestPricing
from trade_executor.execution.fill_models import Fill, FillModel
from trade_executor.execution.gas import GasCostModel
from trade_executor.execution.guards import price_impact_refusal
from trade_executor.market.universe import TradingUniverse
from trade_executor.money import quantize_up
from trade_executor.state import Portfolio, State, TradeExecution, TradingPosition

logger = logging.getLogger(__name__)

ZERO = Decimal(0)


class SimulatedExecutionModel:
    def __init__(
        self,
        fill_model: FillModel,
        gas: GasCostModel,
        pricing: BacktestPricing,
        universe: TradingUniverse,
        minimum_trade_value: Decimal = Decimal(1),
        max_price_impact: Decimal | None = None,
    ):
        """``max_price_impact``: a fill that would move the price more than this is skipped, as live refuses to sign it."""
        self.fill_model = fill_model
        self.max_price_impact = max_price_impact
        self.gas = gas
        self.pricing = pricing
        self.minimum_trade_value = minimum_trade_value
        self.skipped_trades = 0
        self._native_pair = None
        if not gas.is_free and gas.native_price_usd is None:
            self._native_pair = _find_native_pair(universe, gas)

    def describe(self) -> str:
        return f"simulated: fills {self.fill_model.describe()}; gas {self.gas.describe()}"

    def gas_cost(self, quote_decimals: int) -> tuple[Decimal, Decimal]:
        """(native, USD) cost of one swap; USD rounded up to the reserve token's units (a cost is never rounded in our favour)."""
        native = self.gas.native_per_swap
        if not native:
            return ZERO, ZERO
        price = self.gas.native_price_usd
        if price is None:
            price = self.pricing.get_last_known_price(self._native_pair) or ZERO
        return native, quantize_up(native * price, quote_decimals)

    def execute_trades(self, timestamp: datetime.datetime, state: State, trades: list[TradeExecution]) -> None:
        portfolio = state.portfolio
        for trade in sorted(trades, key=lambda t: t.planned_quantity > 0):
            position = portfolio.open_positions[trade.position_id]
            if trade.planned_quantity > 0:
                self._buy(timestamp, portfolio, position, trade)
            else:
                self._sell(timestamp, portfolio, position, trade)

    def _buy(self, timestamp: datetime.datetime, portfolio: Portfolio, position: TradingPosition, trade: TradeExecution) -> None:
        cash = portfolio.get_cash()
        budget = trade.planned_reserve
        if budget > cash:
            # Expected when a rotation sizes a buy from a sell's estimated proceeds: fees make the cash a little less.
            logger.debug("Trade #%d: %s budget %s is more than the cash %s; buying with the cash left", trade.trade_id, trade.pair.ticker, budget, cash)
            budget = cash
        gas_native, gas_usd = self.gas_cost(trade.reserve_currency.decimals)
        swap_in = budget - gas_usd
        if swap_in < self.minimum_trade_value or swap_in <= 0:
            self._skip(portfolio, position, trade, f"only {swap_in} of cash would go into the swap after gas (minimum {self.minimum_trade_value})")
            return
        fill = self.fill_model.buy(trade.pair, trade.planned_price, swap_in, self.pricing.get_liquidity(trade.pair))
        if self._too_much_impact(portfolio, position, trade, fill):
            return
        trade.mark_success(
            executed_at=timestamp, quantity=fill.quantity, reserve=fill.reserve, lp_fees=fill.lp_fee,
            price_impact=fill.price_impact, gas_native=gas_native, gas_usd=gas_usd,
        )
        portfolio.adjust_cash(-(fill.reserve + gas_usd))

    def _sell(self, timestamp: datetime.datetime, portfolio: Portfolio, position: TradingPosition, trade: TradeExecution) -> None:
        held = position.get_quantity()
        quantity = min(-trade.planned_quantity, held)
        gas_native, gas_usd = self.gas_cost(trade.reserve_currency.decimals)
        fill = self.fill_model.sell(trade.pair, trade.planned_price, quantity, self.pricing.get_liquidity(trade.pair))
        if self._too_much_impact(portfolio, position, trade, fill):
            return
        trade.mark_success(
            executed_at=timestamp, quantity=-fill.quantity, reserve=fill.reserve, lp_fees=fill.lp_fee,
            price_impact=fill.price_impact, gas_native=gas_native, gas_usd=gas_usd,
        )
        portfolio.adjust_cash(fill.reserve - gas_usd)
        position.last_token_price = trade.planned_price
        position.last_pricing_at = timestamp
        if position.get_quantity() == 0:
            portfolio.close_position(position, timestamp)

    def _too_much_impact(self, portfolio: Portfolio, position: TradingPosition, trade: TradeExecution, fill: Fill) -> bool:
        limit = self.max_price_impact
        if limit is None or fill.price_impact <= limit:
            return False
        self._skip(portfolio, position, trade, price_impact_refusal(fill.price_impact, limit))
        return True

    def _skip(self, portfolio: Portfolio, position: TradingPosition, trade: TradeExecution, why: str) -> None:
        """Drop a trade that cannot be worth sending; a position it would have opened goes with it."""
        logger.info("Skipped trade #%d %s: %s", trade.trade_id, trade.pair.ticker, why)
        self.skipped_trades += 1
        del position.trades[trade.trade_id]
        if not position.trades:
            del portfolio.open_positions[position.position_id]


def _find_native_pair(universe: TradingUniverse, gas: GasCostModel):
    for pair in universe.pairs.values():
        if pair.base.token_symbol.upper() in (gas.native_symbol.upper(), "W" + gas.native_symbol.upper()):
            return pair
    raise ConfigurationError(
        f"Gas is paid in {gas.native_symbol}, but the universe has no {gas.native_symbol} pair to price it. "
        f"Set Parameters.native_token_price_usd (e.g. 300), or set Parameters.gas_units_per_swap = 0 to ignore gas."
    )
