"""Backtest valuation: open positions are marked to the cycle's mid price when read, not every cycle.

Live, ``MarkToMidPrice`` sets every open position's ``last_token_price`` (an exact Decimal) at the
start of each cycle. A backtest would pay a ``Decimal(repr(float))`` per position per cycle for
values nobody reads; the equity curve is a float statistic and reads the float candle opens
instead (``price_float``). So here a position is marked when its price is read (by the strategy,
the position manager, a report), with exactly the value and time the per-cycle mark would have
given: the open of the latest cycle with a candle since it was last marked or traded.

How: positions are built as ``position_type``, a subclass of ``TradingPosition`` with no slots of
its own whose ``last_token_price`` and ``last_pricing_at`` mark before they answer. ``settle()`` marks
every open position and turns every position back into a plain ``TradingPosition``, so the state
the backtest returns is pure data with no reference to this model.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from trade_executor.execution.backtest_pricing import BacktestPricing
from trade_executor.state import Portfolio, TradingPosition

_PRICE = TradingPosition.last_token_price  # the slot descriptors behind the properties
_PRICED_AT = TradingPosition.last_pricing_at


class _Marks:
    """What the marks need, apart from the model: the position class's properties hold this, not the model
    (the model holds the class, so a reference back would keep a finished run alive until a garbage collection)."""

    __slots__ = ("pricing", "timestamps", "marked", "traded")

    def __init__(self, pricing: BacktestPricing, timestamps: list[datetime.datetime]):
        self.pricing: BacktestPricing | None = pricing
        self.timestamps = timestamps
        self.marked: dict[int, int] = {}  # id(position) -> the cycle its price is up to date at
        self.traded: dict[int, int] = {}  # id(position) -> the cycle its price was last set at (a trade)

    def mark(self, position: TradingPosition) -> None:
        """Bring an open position's price to the latest cycle with a candle, as a per-cycle mark would have."""
        cursor = self.pricing.cursor
        key = id(position)
        marked = self.marked.get(key, cursor)
        if marked == cursor or position.closed_at is not None or position.frozen_at is not None:
            return
        ticker = position.pair.ticker
        candles = self.pricing.candle_indexes(ticker)
        for cycle in range(cursor, marked, -1):  # one step unless the data has a gap
            index = candles[cycle]
            if index >= 0:
                _PRICE.__set__(position, self.pricing.decimal_open(ticker, index))
                _PRICED_AT.__set__(position, self.timestamps[cycle])
                break
        self.marked[key] = cursor

    def set_price(self, position: TradingPosition, price: Decimal) -> None:
        key = id(position)
        self.marked[key] = self.traded[key] = self.pricing.cursor
        _PRICE.__set__(position, price)


def _position_type(marks: _Marks) -> type[TradingPosition]:
    def get_price(position: TradingPosition) -> Decimal:
        marks.mark(position)
        return _PRICE.__get__(position)

    def get_priced_at(position: TradingPosition) -> datetime.datetime:
        marks.mark(position)
        return _PRICED_AT.__get__(position)

    def set_priced_at(position: TradingPosition, when: datetime.datetime) -> None:
        _PRICED_AT.__set__(position, when)

    namespace = {
        "__slots__": (),  # the same layout as TradingPosition: settle() can turn it back
        "last_token_price": property(get_price, marks.set_price),
        "last_pricing_at": property(get_priced_at, set_priced_at),
    }
    return type("MarkedOnReadPosition", (TradingPosition,), namespace)


class MarkOnRead:
    """A valuation model for backtests: ``revalue`` is None (nothing per cycle), marks happen on read."""

    revalue = None

    def __init__(self, pricing: BacktestPricing, timestamps: list[datetime.datetime]):
        self.pricing = pricing
        self._marks = _Marks(pricing, timestamps)
        self.position_type = _position_type(self._marks)

    def price_float(self, position: TradingPosition) -> float:
        """The position's price now as a float (a statistic): the cycle's candle open unless it traded this cycle."""
        pricing = self.pricing
        if self._marks.traded.get(id(position)) != pricing.cursor:
            price = pricing.open_float_now(position.pair.ticker)
            if price is not None:
                return price
        return float(position.last_token_price)

    def settle(self, portfolio: Portfolio) -> None:
        """Mark the open positions at the last cycle and make every position a plain TradingPosition.

        The position class, like every class, is freed only by a garbage collection: it is left holding
        nothing of the run (no prices, no cycle times), and the model builds plain positions from now on."""
        for position in portfolio.get_all_positions():
            if isinstance(position, self.position_type):  # its class or a subclass without slots of its own
                _ = position.last_token_price
                position.__class__ = TradingPosition
        marks = self._marks
        marks.marked.clear()
        marks.traded.clear()
        marks.pricing, marks.timestamps = None, []
        self.position_type = TradingPosition
