"""The equity statistic, in floats: every cycle live, between changes in a backtest.

Money stays exact (Decimal) in the portfolio; the equity curve is a statistic (DESIGN: floats are
for statistics), so it is computed from float copies: cash and each open position's quantity are
converted when a trade or a balance update changes them, not every cycle, and each cycle adds
``quantity x price`` per open position with the valuation model's float price. A portfolio with no
open position records the same cash every cycle without any arithmetic.

A backtest's ``SegmentRecorder`` records only when something other than prices changed (a
segment, see ``state.statistics``); ``materialise`` rebuilds the per-cycle columns from the
candles afterwards, with the same float operations in the same order, so the curve is the one
the per-cycle recorder would have written, to the bit.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable

import numpy as np

from trade_executor.execution.backtest_pricing import BacktestPricing
from trade_executor.state import ReservePosition, State, TradingPosition
from trade_executor.state.columns import ArrayColumn
from trade_executor.state.statistics import EquitySegment, Holding


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
        if self._changed():
            self._copy(self.state.portfolio.get_cash())
        equity = self._base
        holdings = self._holdings
        if holdings:
            price = self._price_float
            for position, quantity in holdings:
                equity += quantity * price(position)
        stats = self.state.stats
        stats.timestamps.append(timestamp)
        stats.total_equity.append(equity)
        stats.cash.append(self._cash_float)
        stats.open_positions.append(self._open)

    def _changed(self) -> bool:
        """Did anything but prices change since the float copies were taken?"""
        portfolio = self.state.portfolio
        return (
            portfolio.next_trade_id != self._next_trade_id
            or portfolio.next_balance_update_id != self._next_update_id
            or len(portfolio.open_positions) != self._open
            or len(portfolio.frozen_positions) != self._frozen
            or portfolio.reserves is not self._reserves
            or len(portfolio.reserves) != 1
            or self._reserve.quantity is not self._cash  # the cash, read without a call (get_cash is 0.1 us)
        )

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


class SegmentRecorder(EquityRecorder):
    """A backtest's recorder: a segment when something but prices changed, nothing on the other cycles.

    In a backtest the books change only by trades (a trigger's too) and balance updates, each of
    which takes a new id: two comparisons a cycle tell whether anything but prices changed.
    """

    def __init__(self, state: State, price_float: Callable[[TradingPosition], float], pricing: BacktestPricing):
        super().__init__(state, price_float)
        self._pricing = pricing  # its cursor is the cycle
        self._portfolio = state.portfolio  # a backtest never replaces it
        state.stats.segments = []

    def record(self, timestamp: datetime.datetime) -> None:
        portfolio = self._portfolio
        if portfolio.next_trade_id == self._next_trade_id and portfolio.next_balance_update_id == self._next_update_id:
            return
        self._copy(self.state.portfolio.get_cash())
        price = self._price_float
        holdings = [Holding(p.pair.ticker, quantity, price(p)) for p, quantity in self._holdings]
        self.state.stats.segments.append(EquitySegment(self._pricing.cursor, self._base, self._cash_float, self._open, holdings))


def materialise(stats, pricing: BacktestPricing, cycle_times_ns: np.ndarray) -> None:
    """Fill the per-cycle columns of a backtest's statistics from its segments and the candles (as ArrayColumns).

    A holding is valued at its segment's first-cycle price, then at each cycle's candle open, and
    through a gap in the candles at the last price before it (as the per-cycle marks do).
    """
    count = len(cycle_times_ns)
    equity, cash, open_positions = np.empty(count), np.empty(count), np.zeros(count, dtype=np.int64)
    segments = stats.segments
    ends = [segment.cycle for segment in segments[1:]] + [count]
    for segment, end in zip(segments, ends, strict=True):
        first = segment.cycle
        equity[first:end] = segment.base
        cash[first:end] = segment.cash
        open_positions[first:end] = segment.open_positions
        for holding in segment.holdings:
            equity[first:end] += holding.quantity * _prices(pricing, holding, first, end)
    stats.timestamps = ArrayColumn(cycle_times_ns.view("datetime64[ns]"))  # the cycle times themselves, not a copy
    stats.total_equity, stats.cash, stats.open_positions = ArrayColumn(equity), ArrayColumn(cash), ArrayColumn(open_positions)


def _prices(pricing: BacktestPricing, holding: Holding, first: int, end: int) -> np.ndarray:
    opens, present = pricing.opens_between(holding.ticker, first, end)
    opens[0], present[0] = holding.price, True
    if present.all():
        return opens
    last_known = np.maximum.accumulate(np.where(present, np.arange(len(opens)), 0))
    return opens[last_known]
