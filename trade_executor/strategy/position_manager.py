"""The strategy's hands: plans trades in the portfolio; the execution model settles them.

Values are in the reserve currency and fee-inclusive: ``open_long(pair, cash)`` spends exactly
``cash`` (LP fee and gas come out of it), so spending all the cash leaves none.
"""

from __future__ import annotations

import datetime
import logging
import sys
from decimal import ROUND_DOWN, Decimal
from pathlib import Path

from trade_executor.errors import StrategyRuntimeError
from trade_executor.execution.interfaces import PricingModel
from trade_executor.identifiers import TradingPairIdentifier
from trade_executor.market.universe import TradingUniverse
from trade_executor.state import State, TradeExecution, TradeStatus, TradeType, TradingPosition

logger = logging.getLogger(__name__)

ZERO = Decimal(0)
ONE = Decimal(1)


PACKAGE_DIR = str(Path(__file__).resolve().parents[1])
# A buy worth this many times the whole portfolio is a unit mistake (wei for tokens, a tiny divisor), not a plan.
ABSURD_MULTIPLE = 1000


def caller_location() -> str:
    """``file:line`` of the strategy code that called into the position manager (the first frame outside this package)."""
    frame = sys._getframe(1)
    while frame is not None and frame.f_code.co_filename.startswith(PACKAGE_DIR):
        frame = frame.f_back
    return f"{frame.f_code.co_filename}:{frame.f_lineno}" if frame is not None else "the strategy"


def _as_decimal(value) -> Decimal | None:
    """A number of any usual kind (Decimal, int, float, numpy scalar, numeric text) as a Decimal; None otherwise."""
    if isinstance(value, Decimal):
        return value
    if isinstance(value, bool):
        return None
    try:
        if isinstance(value, int) or hasattr(value, "__index__"):
            return Decimal(int(value))
        if isinstance(value, float) or hasattr(value, "__float__") and not isinstance(value, str):
            return Decimal(repr(float(value)))
        return Decimal(value) if isinstance(value, str) else None
    except (ArithmeticError, ValueError, TypeError):
        return None


def as_money(value: Decimal | float | int, decimals: int, *, what: str = "value") -> Decimal:
    """A user-given amount as a Decimal on the token's unit grid (floats via their repr).

    NaN, infinities and non-numbers are a StrategyRuntimeError naming the strategy's line.
    """
    amount = _as_decimal(value)
    if amount is None:
        raise StrategyRuntimeError(f"{what}={value!r} at {caller_location()} is not a number: give an amount of the reserve currency, e.g. 1000 or Decimal('1000').")
    if not amount.is_finite():
        raise StrategyRuntimeError(f"{what}={value!r} at {caller_location()} is not a finite amount: check the calculation that gave it (a division by zero, a NaN indicator before it has data).")
    return amount.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_DOWN)


def _fraction(name: str, value: float | Decimal | None, low: Decimal, high: Decimal | None, example: str) -> Decimal | None:
    if value is None:
        return None
    fraction = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    if not fraction.is_finite():
        raise StrategyRuntimeError(f"{name}={value} at {caller_location()} is not a finite number: {example}")
    if fraction <= low or (high is not None and fraction >= high):
        raise StrategyRuntimeError(f"{name}={value} is out of range: {example}")
    return fraction


class PositionManager:
    def __init__(self, state: State, universe: TradingUniverse, pricing: PricingModel, minimum_trade_value: Decimal = ONE, *, trades_in_flight: bool = True):
        """``trades_in_flight``: trades may be sent and not yet settled when the next decision comes (live);
        a backtest settles every trade at once and passes False, so its cash needs no such accounting."""
        self.state = state
        self._trades_in_flight = trades_in_flight
        self._universe = universe  # private: the strategy reads candles through input.universe, cut at the cycle's time
        self._pricing = pricing
        self.minimum_trade_value = minimum_trade_value
        self.timestamp: datetime.datetime | None = None
        self.skipped_trades = 0
        self.position_type: type[TradingPosition] = TradingPosition  # a backtest's valuation model builds its own kind
        self.planned: list[TradeExecution] = []
        self._committed_cash = ZERO
        self._in_flight_cash: Decimal | None = None
        self._reserve = universe.reserve_asset

    def begin_cycle(self, timestamp: datetime.datetime) -> None:
        self.timestamp = timestamp
        self._committed_cash = ZERO
        self._in_flight_cash = None
        if self.planned:
            self.planned.clear()

    def discard_unreturned(self, returned: list[TradeExecution], *, quietly: bool = False) -> None:
        """Undo trades planned this cycle that decide_trades did not return: only returned trades run.

        ``quietly``: the cycle failed, so nothing runs and there is nothing to warn about trade by trade.
        """
        kept = {id(t) for t in returned}
        portfolio = self.state.portfolio
        for trade in self.planned:
            if id(trade) in kept or trade.status is not TradeStatus.planned:
                continue
            if not quietly:
                logger.warning("Trade #%d %s was planned but not returned for execution (by decide_trades or the approval); it is not executed", trade.trade_id, trade.pair.ticker)
            position = portfolio.open_positions.get(trade.position_id)
            if position is None or position.trades.pop(trade.trade_id, None) is None:
                continue
            if not position.trades:
                del portfolio.open_positions[position.position_id]

    # --- queries -----------------------------------------------------------------------------

    def get_current_cash(self) -> Decimal:
        """Reserve cash not yet committed: to buys planned this cycle, or to buys sent earlier and not yet settled."""
        in_flight = self._in_flight_cash
        if in_flight is None:
            positions = self.state.portfolio.open_positions.values()
            in_flight = self._in_flight_cash = sum((p.get_pending_buy_reserve() for p in positions), ZERO) if self._trades_in_flight else ZERO
        return self.state.portfolio.get_cash() - self._committed_cash - in_flight

    def is_any_open(self) -> bool:
        return bool(self.state.portfolio.open_positions)

    def get_current_position(self) -> TradingPosition:
        """The one open position of a single-position strategy."""
        positions = self.state.portfolio.open_positions
        if len(positions) != 1:
            raise StrategyRuntimeError(f"get_current_position() needs exactly one open position; there are {len(positions)}. Check is_any_open() first, or use get_current_position_for_pair(pair).")
        return next(iter(positions.values()))

    def get_current_position_for_pair(self, pair: TradingPairIdentifier | str) -> TradingPosition | None:
        ticker = self._universe.get_pair(pair).ticker
        for position in self.state.portfolio.open_positions.values():
            if position.pair.ticker == ticker:
                return position
        return None

    def get_open_positions(self) -> list[TradingPosition]:
        return list(self.state.portfolio.open_positions.values())

    # --- trades ------------------------------------------------------------------------------

    def open_long(
        self,
        pair: TradingPairIdentifier | str,
        value: Decimal | float | int,
        *,
        stop_loss_pct: float | Decimal | None = None,
        take_profit_pct: float | Decimal | None = None,
        trailing_stop_loss_pct: float | Decimal | None = None,
        notes: str = "",
    ) -> list[TradeExecution]:
        """Buy ``value`` of the reserve currency worth of ``pair``.

        ``stop_loss_pct=0.95`` puts the stop 5% below the entry price; ``take_profit_pct=1.1``
        takes profit 10% above; ``trailing_stop_loss_pct=0.9`` trails 10% below the highest price.
        """
        stop_loss = _fraction("stop_loss_pct", stop_loss_pct, ZERO, ONE, "0.95 puts the stop 5% below the entry price")
        take_profit = _fraction("take_profit_pct", take_profit_pct, ONE, None, "1.10 takes profit 10% above the entry price")
        trailing = _fraction("trailing_stop_loss_pct", trailing_stop_loss_pct, ZERO, ONE, "0.90 trails the stop 10% below the highest price")
        pair = self._universe.get_pair(pair)
        trades = self._buy(pair, value, notes)
        if trades:
            position = self.state.portfolio.open_positions[trades[0].position_id]
            price = trades[0].planned_price
            if stop_loss is not None:
                position.stop_loss = price * stop_loss
            if take_profit is not None:
                position.take_profit = price * take_profit
            if trailing is not None:
                position.trailing_stop_loss_pct = trailing
                position.high_water_price = price
                position.stop_loss = max(position.stop_loss or ZERO, price * trailing)
        return trades

    def adjust_position(self, pair: TradingPairIdentifier | str, dollar_delta: Decimal | float | int, *, notes: str = "") -> list[TradeExecution]:
        """Buy (positive) or sell (negative) this much value of the pair; selling all closes the position."""
        pair = self._universe.get_pair(pair)
        delta = as_money(dollar_delta, self._reserve.decimals, what="dollar_delta")
        if delta >= 0:
            return self._buy(pair, delta, notes)
        position = self.get_current_position_for_pair(pair)
        if position is None:
            raise StrategyRuntimeError(f"adjust_position({pair.ticker}, {dollar_delta}) sells, but there is no open {pair.ticker} position.")
        price = self._price_or_skip(pair, "adjust")
        if price is None:
            return []
        held = position.get_quantity() - position.get_pending_sell_quantity()
        quantity = min(-delta / price, held)
        if (held - quantity) * price < self.minimum_trade_value:
            return self.close_position(position, notes=notes)
        if quantity * price < self.minimum_trade_value:
            return self._skip(pair, f"a sell of {-delta} is below the minimum trade value {self.minimum_trade_value}")
        return [self._plan(position, -quantity.quantize(Decimal(1).scaleb(-pair.base.decimals), ROUND_DOWN), price, TradeType.rebalance, notes)]

    def close_position(self, position: TradingPosition, *, trade_type: TradeType = TradeType.rebalance, notes: str = "") -> list[TradeExecution]:
        """Sell all of a position."""
        price = self._price_or_skip(position.pair, "close")
        if price is None:
            return []
        return self.close_position_at(position, price, trade_type=trade_type, notes=notes)

    def close_position_at(self, position: TradingPosition, price: Decimal, *, trade_type: TradeType, notes: str = "", trigger_price: Decimal | None = None) -> list[TradeExecution]:
        """Sell what the position holds and has not already sent for sale (a sell awaiting confirmation counts as sold)."""
        quantity = position.get_quantity() - position.get_pending_sell_quantity()
        if quantity <= 0:
            return []
        trade = self._plan(position, -quantity, price, trade_type, notes)
        trade.trigger_price = trigger_price
        return [trade]

    def close_all(self, *, notes: str = "") -> list[TradeExecution]:
        trades = []
        for position in list(self.state.portfolio.open_positions.values()):
            trades += self.close_position(position, notes=notes)
        return trades

    # --- internals ---------------------------------------------------------------------------

    def _buy(self, pair: TradingPairIdentifier, value: Decimal | float | int, notes: str) -> list[TradeExecution]:
        amount = as_money(value, self._reserve.decimals)
        portfolio = self.state.portfolio
        if amount > portfolio.get_cash() * ABSURD_MULTIPLE and amount > (equity := portfolio.get_total_equity()) * ABSURD_MULTIPLE and equity > 0:
            raise StrategyRuntimeError(
                f"A buy of {value!r} {self._reserve.token_symbol} at {caller_location()} is more than {ABSURD_MULTIPLE:,} times what the whole "
                f"portfolio is worth ({equity:,.2f} {self._reserve.token_symbol}): a value in token units instead of tokens, or a division by a tiny number? "
                "Size buys from position_manager.get_current_cash()."
            )
        if amount < self.minimum_trade_value or amount <= 0:
            return self._skip(pair, f"a buy of {amount} is below the minimum trade value {self.minimum_trade_value}")
        price = self._price_or_skip(pair, "buy")
        if price is None:
            return []
        position = self.get_current_position_for_pair(pair)
        if position is None:
            portfolio = self.state.portfolio
            position = self.position_type(
                position_id=portfolio.allocate_position_id(),
                pair=pair,
                reserve_currency=self._reserve,
                opened_at=self.timestamp,
                last_token_price=price,
                last_pricing_at=self.timestamp,
            )
            portfolio.open_positions[position.position_id] = position
        self._committed_cash += amount
        quantity = (amount / price).quantize(Decimal(1).scaleb(-pair.base.decimals), ROUND_DOWN)
        return [self._plan(position, quantity, price, TradeType.rebalance, notes, reserve=amount)]

    def _plan(self, position: TradingPosition, quantity: Decimal, price: Decimal, trade_type: TradeType, notes: str, reserve: Decimal | None = None) -> TradeExecution:
        trade = TradeExecution(
            trade_id=self.state.portfolio.allocate_trade_id(),
            position_id=position.position_id,
            pair=position.pair,
            reserve_currency=self._reserve,
            trade_type=trade_type,
            opened_at=self.timestamp,
            planned_quantity=quantity,
            planned_reserve=reserve if reserve is not None else abs(quantity) * price,
            planned_price=price,
            notes=notes,
        )
        position.trades[trade.trade_id] = trade
        self.planned.append(trade)
        return trade

    def _price_or_skip(self, pair: TradingPairIdentifier, action: str) -> Decimal | None:
        price = self._pricing.get_mid_price(pair)
        if price is None:
            self._skip(pair, f"no price at {self.timestamp} to {action} at (a gap in the data; live: no manipulation-resistant reference price yet); nothing fills at an invented price")
        return price

    def _skip(self, pair: TradingPairIdentifier, why: str) -> list[TradeExecution]:
        logger.info("Skipped %s trade at %s: %s", pair.ticker, self.timestamp, why)
        self.skipped_trades += 1
        return []
