"""The trades of closed positions, tallied once as positions close: counts by status and the newest few.

The portfolio view (/status, /portfolio, the dashboard) is rebuilt after every cycle. Going
through every trade of the history for its counts and recent rows cost O(history) a cycle; closed
positions never change (the rule the state's journal relies on too, state/changes.py), so each is
counted once, when it first appears among the closed positions, and only the newest trades kept.
"""

from __future__ import annotations

import heapq
import threading
from collections import Counter
from itertools import islice

from trade_executor.state import TradeExecution, TradingPosition


def _trade_id(trade: TradeExecution) -> int:
    return trade.trade_id


class ClosedTrades:
    def __init__(self, positions: dict[int, TradingPosition], keep: int):
        self.positions = positions
        self.keep = keep
        self.seen = 0
        self.counts: Counter[str] = Counter()
        self.newest: list[TradeExecution] = []  # by trade id, at most ``keep``

    def catch_up(self) -> bool:
        """Take in the positions closed since the last call; False when some went (start again)."""
        new = len(self.positions) - self.seen
        if new < 0:
            return False
        added = [t for p in islice(reversed(self.positions.values()), new) for t in p.trades.values()]
        self.counts.update(t.status.value for t in added)
        self.newest = sorted(heapq.nlargest(self.keep, self.newest + added, key=_trade_id), key=_trade_id)
        self.seen = len(self.positions)
        return True


_lock = threading.Lock()
_latest: ClosedTrades | None = None


def closed_trades(positions: dict[int, TradingPosition], keep: int) -> tuple[Counter[str], list[TradeExecution]]:
    """Counts by status and the ``keep`` newest trades (by id, oldest first) of ``positions``, a portfolio's closed positions."""
    global _latest
    with _lock:  # the watchdog's thread may report a crash while the trader's thread reports a cycle
        if _latest is None or _latest.positions is not positions or _latest.keep != keep or not _latest.catch_up():
            _latest = ClosedTrades(positions, keep)
            _latest.catch_up()
        return Counter(_latest.counts), list(_latest.newest)
