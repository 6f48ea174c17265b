"""Stop loss, take profit and trailing stop against one price bar: a pure decision.

Conservative within a bar: the stop is checked first (with the level it had when the bar
opened), then take profit, and only then does a trailing stop follow the bar's high.
A bar that opens through a level fills at the open, not at the level.
"""

from __future__ import annotations

from decimal import Decimal

import numpy as np

from trade_executor.state import TradeType, TradingPosition


def check_bar(position: TradingPosition, open_: float, high: float, low: float) -> tuple[TradeType, Decimal, Decimal] | None:
    """Return (trade type, fill price, trigger level) if a trigger fires in this bar, else None."""
    stop = position.stop_loss
    if stop is not None:
        stop_level = float(stop)
        if low <= stop_level:
            kind = TradeType.trailing_stop_loss if position.trailing_stop_loss_pct is not None else TradeType.stop_loss
            return kind, (stop if open_ > stop_level else Decimal(repr(float(open_)))), stop
    target = position.take_profit
    if target is not None and high >= float(target):
        return TradeType.take_profit, (target if open_ < float(target) else Decimal(repr(float(open_)))), target
    if position.trailing_stop_loss_pct is not None and high > float(position.high_water_price or 0):
        position.high_water_price = Decimal(repr(float(high)))
        raised = position.high_water_price * position.trailing_stop_loss_pct
        if stop is None or raised > stop:
            position.stop_loss = raised
    return None


def first_bar_reaching(lows: memoryview, highs: memoryview, stop: Decimal | None, target: Decimal | None, start: int) -> int:
    """The first bar from ``start`` whose low reaches ``stop`` or whose high reaches ``target`` (``len`` if none):
    where ``check_bar`` of a position without a trailing stop first fires. Searched in growing blocks, so the
    cost is the distance to that bar, not the rest of history."""
    low_values, high_values = np.frombuffer(lows, dtype=np.float64), np.frombuffer(highs, dtype=np.float64)
    stop_level = float(stop) if stop is not None else None
    target_level = float(target) if target is not None else None
    count, size = len(low_values), 512
    while start < count:
        end = min(count, start + size)
        reached = np.zeros(end - start, dtype=bool)
        if stop_level is not None:
            reached |= low_values[start:end] <= stop_level
        if target_level is not None:
            reached |= high_values[start:end] >= target_level
        if reached.any():
            return start + int(reached.argmax())
        start, size = end, size * 4
    return count
