"""Stop loss, take profit and trailing stops between a backtest's decisions, checked only when a bar can fire.

Each cycle with an open position would check every stop-loss bar inside it. Most cycles nothing can
fire: a fixed stop or target is reached first at one bar, found once with numpy from the position's
levels. The watch remembers the first cycle that holds such a bar and is not called before it, unless
the books changed (a trade: a position opened, closed or resized) or a level did (positions are built
as ``watched_position_type``, whose level attributes count their changes: the strategy may move a stop
itself). A trailing stop moves with every new high, so its position is checked every cycle.
"""

from __future__ import annotations

import bisect
import datetime
from collections.abc import Callable

import pandas as pd

from trade_executor.state import State, TradingPosition
from trade_executor.strategy.triggers import check_bar, first_bar_reaching

LEVELS = ("stop_loss", "take_profit", "trailing_stop_loss_pct")


class LevelChanges:
    __slots__ = ("count",)

    def __init__(self):
        self.count = 0


def watched_position_type(base: type[TradingPosition], changes: LevelChanges) -> type[TradingPosition]:
    """``base`` whose stop loss, take profit and trailing stop count their changes in ``changes``."""

    def level(name: str) -> property:
        slot = getattr(TradingPosition, name)  # the slot descriptor behind the attribute

        def set_level(position: TradingPosition, value) -> None:
            slot.__set__(position, value)
            changes.count += 1

        return property(slot.__get__, set_level)

    return type("WatchedPosition", (base,), {"__slots__": (), **{name: level(name) for name in LEVELS}})


class TriggerWatch:
    """Checks the triggers of a backtest's open positions; ``due(i)`` says whether cycle ``i`` needs it."""

    def __init__(self, state: State, bars: Callable[[str], tuple], step: datetime.timedelta, close: Callable, last_cycle: int):
        self.state = state
        self._bars = bars  # ticker -> (first bar per cycle, end bar per cycle, opens, highs, lows, bar times in ns)
        self._step = step
        self._close = close  # (position, when, price, kind, level): close the position at a trigger
        self._last = last_cycle
        self.changes = LevelChanges()
        self._first_reaching: dict[int, tuple] = {}  # position id -> (stop, take profit, the first bar that reaches one)
        self.next_cycle = 0  # the first cycle that may fire, as of the books and levels seen below
        self.seen_changes = -1
        self.seen_trade_id = -1

    def check(self, i: int) -> None:
        portfolio = self.state.portfolio
        next_cycle = self._last + 1
        for position in list(portfolio.open_positions.values()):
            stop, target, trailing = position.stop_loss, position.take_profit, position.trailing_stop_loss_pct
            if stop is None and target is None and trailing is None:
                continue
            lo, hi, opens, highs, lows, stamps = self._bars(position.pair.ticker)
            end = hi[i]
            if trailing is None:
                known = self._first_reaching.get(position.position_id)
                if known is None or known[0] is not stop or known[1] is not target or known[2] < lo[i]:
                    known = self._first_reaching[position.position_id] = (stop, target, first_bar_reaching(lows, highs, stop, target, lo[i]))
                if end <= known[2]:  # no bar of this cycle reaches the levels: wait for the cycle that holds that bar
                    next_cycle = min(next_cycle, bisect.bisect_right(hi, known[2], i + 1))
                    continue
            next_cycle = i + 1
            for j in range(lo[i], end):
                fired = check_bar(position, opens[j], highs[j], lows[j])
                if fired is not None:
                    kind, price, level = fired
                    self._close(position, pd.Timestamp(int(stamps[j])).to_pydatetime() + self._step, price, kind, level)
                    break
        self.next_cycle = next_cycle
        self.seen_changes = self.changes.count
        self.seen_trade_id = portfolio.next_trade_id
