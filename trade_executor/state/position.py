"""A position: what the strategy holds of one pair, and the trades that made it."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from trade_executor.identifiers import AssetIdentifier, TradingPairIdentifier
from trade_executor.state.balance_update import BalanceUpdate
from trade_executor.state.trade import TradeExecution, TradeStatus, TradeType

ZERO = Decimal(0)
IN_FLIGHT = (TradeStatus.started, TradeStatus.broadcasted)


@dataclass(slots=True)
class TradingPosition:
    """A long position in ``pair.base``. Prices are in the quote (reserve) currency.

    ``stop_loss`` and ``take_profit`` are absolute trigger prices. A trailing stop moves
    ``stop_loss`` up to ``trailing_stop_loss_pct`` of the highest price seen.
    """

    position_id: int
    pair: TradingPairIdentifier
    reserve_currency: AssetIdentifier
    opened_at: datetime.datetime
    last_token_price: Decimal
    last_pricing_at: datetime.datetime
    trades: dict[int, TradeExecution] = field(default_factory=dict)
    closed_at: datetime.datetime | None = None
    frozen_at: datetime.datetime | None = None
    frozen_reason: str | None = None
    stop_loss: Decimal | None = None
    take_profit: Decimal | None = None
    trailing_stop_loss_pct: Decimal | None = None
    high_water_price: Decimal | None = None
    notes: str = ""
    # Changes of the token no trade made (an operator's corrections to the chain), by balance update id.
    balance_updates: dict[int, BalanceUpdate] = field(default_factory=dict)

    def is_open(self) -> bool:
        return self.closed_at is None

    def is_frozen(self) -> bool:
        return self.frozen_at is not None

    def get_quantity(self) -> Decimal:
        """Base tokens held: the sum of settled trades, and of balance updates (corrections) when there are any."""
        quantity = ZERO
        for trade in self.trades.values():
            if trade.status is TradeStatus.success:
                quantity += trade.executed_quantity
        if self.balance_updates:  # almost never: one test of an empty dict keeps the backtest's hot path as it was
            for update in self.balance_updates.values():
                quantity += update.quantity
        return quantity

    def get_value(self) -> Decimal:
        """Mark-to-market value at the last revaluation (pool mid price)."""
        return self.get_quantity() * self.last_token_price

    def has_pending_trades(self) -> bool:
        return any(t.is_pending for t in self.trades.values())

    def get_pending_sell_quantity(self) -> Decimal:
        """Base tokens of sells sent but not yet settled: they may already be gone, so they cannot be sold again."""
        return sum((-t.planned_quantity for t in self.trades.values() if t.is_sell and t.status in IN_FLIGHT), ZERO)

    def get_pending_buy_reserve(self) -> Decimal:
        """Reserve currency of buys sent but not yet settled: that cash may already be spent."""
        return sum((t.planned_reserve for t in self.trades.values() if t.is_buy and t.status in IN_FLIGHT), ZERO)

    def get_bought_value(self) -> Decimal:
        """Reserve spent on buys, gas included."""
        return sum((t.get_value_with_gas() for t in self.trades.values() if t.is_success and t.is_buy), ZERO)

    def get_sold_value(self) -> Decimal:
        """Reserve received from sells, net of gas."""
        return sum((t.get_value_with_gas() for t in self.trades.values() if t.is_success and t.is_sell), ZERO)

    def get_realised_profit(self) -> Decimal:
        """Profit of a closed position in the reserve currency, LP fees and gas included."""
        return self.get_sold_value() - self.get_bought_value()

    def get_total_profit(self) -> Decimal:
        """Realised plus unrealised profit (open positions valued at the mid price)."""
        return self.get_sold_value() + self.get_value() - self.get_bought_value()

    def get_profit_pct(self) -> float:
        """Profit as a fraction of what was put in; a statistic, so a float."""
        bought = self.get_bought_value()
        if not bought:
            return 0.0
        return float(self.get_total_profit() / bought)

    def get_lp_fees_paid(self) -> Decimal:
        return sum((t.lp_fees_paid or ZERO for t in self.trades.values() if t.is_success), ZERO)

    def get_gas_paid_usd(self) -> Decimal:
        return sum((t.gas_cost_usd or ZERO for t in self.trades.values() if t.is_success), ZERO)

    def get_closing_trade(self) -> TradeExecution | None:
        if self.closed_at is None or not self.trades:
            return None
        return next(reversed(self.trades.values()))

    def closed_by(self) -> TradeType | None:
        """The type of the trade that closed the position (stop loss, take profit...)."""
        trade = self.get_closing_trade()
        return trade.trade_type if trade else None

    def __str__(self) -> str:
        status = "open" if self.is_open() else "closed"
        return f"<Position #{self.position_id} {self.pair.ticker} {status} value {self.get_value():.2f}>"
