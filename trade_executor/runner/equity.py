"""The per-cycle equity statistic, in floats.

Money stays exact (Decimal) in the portfolio; the equity curve is a statistic (DESIGN: floats are
for statistics), so it is computed from float copies: cash and each open position's quantity are
converted when a trade or a balance update changes them, not every cycle, and each cycle adds
``quantity x price`` per open position with the valuation model's float price. A portfolio with no
open position records the same cash every cycle without any arithmetic.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable

from trade_executor.state import ReservePosition, State, TradingPosition


def decimal_price_float(position: TradingPosition) -> float:
    """A position's price as a float, from its last valuation (a valuation model without floats of its own)."""
    return float(position.last_token_price)


class EquityRecorder:
    """Append each cycle's equity, cash and number of open positions to ``state.stats``: O(open positions)."""

    def __init__(self, state: State, price_float: Callable[[TradingPosition], float] = decimal_price_float):
        self.state = state
        self._price_float = price_float
        # What the float copies were taken from: any trade, balance update or change of cash or positions renews them.
        self._cash: object = None
        self._reserves: dict | None = None  # the dict that held one reserve, _reserve: its quantity is the cash (reserves are added, never replaced)
        self._reserve: ReservePosition | None = None
        self._next_trade_id = self._next_update_id = self._open = self._frozen = -1
        self._cash_float = 0.0
        self._base = 0.0  # cash and frozen positions (not revalued), as a float
        self._holdings: list[tuple[TradingPosition, float]] = []  # open positions and their quantities as floats

    def record(self, timestamp: datetime.datetime) -> None:
        state = self.state
        portfolio = state.portfolio
        if (
            portfolio.next_trade_id != self._next_trade_id
            or portfolio.next_balance_update_id != self._next_update_id
            or len(portfolio.open_positions) != self._open
            or len(portfolio.frozen_positions) != self._frozen
            or portfolio.reserves is not self._reserves
            or len(portfolio.reserves) != 1
            or self._reserve.quantity is not self._cash  # the cash, read without a call (get_cash is 0.1 us)
        ):
            self._copy(portfolio.get_cash())
        equity = self._base
        holdings = self._holdings
        if holdings:
            price = self._price_float
            for position, quantity in holdings:
                equity += quantity * price(position)
        stats = state.stats
        stats.timestamps.append(timestamp)
        stats.total_equity.append(equity)
        stats.cash.append(self._cash_float)
        stats.open_positions.append(self._open)

    def _copy(self, cash: object) -> None:
        """Take the float copies: at a trade or a balance change, not every cycle."""
        portfolio = self.state.portfolio
        self._cash = cash
        reserves = portfolio.reserves
        single = len(reserves) == 1
        self._reserves = reserves if single else None  # none or several reserves: copied every cycle
        self._reserve = next(iter(reserves.values())) if single else None
        self._next_trade_id = portfolio.next_trade_id
        self._next_update_id = portfolio.next_balance_update_id
        self._open = len(portfolio.open_positions)
        self._frozen = len(portfolio.frozen_positions)
        self._cash_float = float(cash)
        self._base = self._cash_float + sum(float(p.get_value()) for p in portfolio.frozen_positions.values())
        self._holdings = [(p, float(p.get_quantity())) for p in portfolio.open_positions.values()]
