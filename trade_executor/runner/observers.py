"""What the live trader tells the outside world: the webhook's status, notifications, metrics.

The trader calls these on its own thread with values it will not change afterwards (a handle on
the saved state, plain numbers), so a reader on another thread (the HTTP server) never touches the
live state. An observer that fails is logged and skipped: reporting never stops trading.
"""

from __future__ import annotations

import datetime
import logging
from dataclasses import dataclass, field

from trade_executor.state import State, TradeExecution

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class CycleReport:
    cycle: int
    timestamp: datetime.datetime
    trades: list[TradeExecution]
    seconds: float
    step_seconds: dict[str, float] = field(default_factory=dict)


class LiveObserver:
    """Override what you need; every method is called on the trader's thread."""

    def started(self, state: State) -> None:
        """After recovery, before the first cycle."""

    def gas_checked(self, balance) -> None:
        """The hot wallet's native token balance (Decimal), read before each cycle."""

    def cycle_finished(self, report: CycleReport, state: State) -> None:
        """After the cycle's state is saved."""

    def triggers_checked(self, timestamp: datetime.datetime, trades: list[TradeExecution], state: State) -> None:
        """After a stop-loss / take-profit pass between cycles (trades is empty when nothing fired)."""

    def trades_executed(self, trades: list[TradeExecution], state: State) -> None:
        """After trades were broadcast and their outcome recorded (success, failure or unresolved)."""

    def state_saved(self, saved) -> None:
        """The state was saved: a SavedState (state/store.py), its generation and the whole document on request."""

    def node_unreachable(self, error: BaseException) -> None:
        """The node stopped answering; the trader waits and retries (up to RPC_OUTAGE_TOLERANCE_SECONDS)."""

    def node_back(self, seconds: float) -> None:
        """The node answers again after an outage of ``seconds``."""

    def control_executed(self, record, state: State) -> None:
        """A control command (webhook /control/...) ran; ``record`` is the ControlRecord just saved in ``state``."""

    def crashed(self, error: BaseException, state: State | None) -> None:
        """The trader stopped with an exception (or a step hung); it is re-raised after the observers ran."""

    def stopped(self, cycles: int) -> None:
        """The trader ended normally (MAX_CYCLES, RUN_SINGLE_CYCLE)."""


class ObserverGroup(LiveObserver):
    """Fans out to several observers; one failing observer is logged and the others still run."""

    def __init__(self, observers=()):
        self.observers = list(observers)

    def __bool__(self) -> bool:
        return bool(self.observers)

    def _each(self, method: str, *args) -> None:
        for observer in self.observers:
            try:
                getattr(observer, method)(*args)
            except Exception:
                logger.exception("Observer %s failed in %s; trading goes on", type(observer).__name__, method)

    def started(self, state):
        self._each("started", state)

    def gas_checked(self, balance):
        self._each("gas_checked", balance)

    def cycle_finished(self, report, state):
        self._each("cycle_finished", report, state)

    def triggers_checked(self, timestamp, trades, state):
        self._each("triggers_checked", timestamp, trades, state)

    def trades_executed(self, trades, state):
        self._each("trades_executed", trades, state)

    def state_saved(self, saved):
        self._each("state_saved", saved)

    def node_unreachable(self, error):
        self._each("node_unreachable", error)

    def node_back(self, seconds):
        self._each("node_back", seconds)

    def control_executed(self, record, state):
        self._each("control_executed", record, state)

    def crashed(self, error, state):
        self._each("crashed", error, state)

    def stopped(self, cycles):
        self._each("stopped", cycles)
