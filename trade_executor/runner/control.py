"""Control commands for a running executor: queued by the webhook's HTTP thread, run by the trader.

The HTTP thread never touches the State (the trader may be half way through a trade). It only puts
a command here and answers "queued"; the live loop takes commands at its next safe point, between
steps, and runs them on its own thread (control_runner.py). ``arrived`` wakes the loop's waits, so a
command runs within moments instead of at the next trigger check.
"""

from __future__ import annotations

import datetime
import threading
import uuid
from collections import deque
from dataclasses import dataclass

ACTIONS = ("pause", "resume", "close-position", "close-all")


@dataclass(frozen=True)
class ControlCommand:
    """What an operator asked for; immutable, so both threads may hold it."""

    command_id: str
    action: str
    requested_by: str
    requested_at: datetime.datetime
    position_id: int | None = None

    def describe(self) -> str:
        return f"{self.action} #{self.position_id}" if self.position_id is not None else self.action


class ControlQueue:
    """A small thread-safe queue: ``submit`` on any thread, ``next``/``done`` on the trader's."""

    def __init__(self, clock=lambda: datetime.datetime.now(datetime.UTC).replace(tzinfo=None)):
        self.clock = clock
        self.arrived = threading.Event()
        self._lock = threading.Lock()
        self._pending: deque[ControlCommand] = deque()

    def submit(self, action: str, requested_by: str, position_id: int | None = None) -> ControlCommand:
        if action not in ACTIONS:
            raise ValueError(f"Unknown control action {action!r}; one of {', '.join(ACTIONS)}")
        command = ControlCommand(uuid.uuid4().hex[:12], action, requested_by, self.clock(), position_id)
        with self._lock:
            self._pending.append(command)
        self.arrived.set()
        return command

    def next(self) -> ControlCommand | None:
        """The oldest command not done yet; it stays queued until ``done``, so a step retried after a node outage runs it again."""
        with self._lock:
            if not self._pending:
                self.arrived.clear()
                return None
            return self._pending[0]

    def done(self, command: ControlCommand) -> None:
        with self._lock:
            if self._pending and self._pending[0] is command:
                self._pending.popleft()

    def __len__(self) -> int:
        with self._lock:
            return len(self._pending)
