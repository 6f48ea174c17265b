"""A hang is a crash: notice a cycle or trigger check running past its limit, and never let it trade.

A strategy's ``decide_trades`` that never returns used to freeze the trader and its stop-loss
checks while /status said all was well. The watchdog thread times each step; past the limit it
reports the hang (observers: /status, notifications), marks the step abandoned so that it can
never go on to sign a trade if it returns later, and, when the step is stuck in the strategy's own
Python code, interrupts it there (nowhere else: an exception in the middle of our own bookkeeping
would be worse than the hang).
"""

from __future__ import annotations

import ctypes
import dis
import logging
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from trade_executor.errors import StopError

logger = logging.getLogger(__name__)

PACKAGE_DIR = str(Path(__file__).resolve().parents[1])


class StepHung(StopError):
    """A cycle or trigger check ran past the watchdog's limit; it was abandoned."""


class Watchdog:
    def __init__(self, limit_seconds: float, on_hung: Callable[[StepHung], None], *, strategy_file: str | None = None, clock: Callable[[], float] = time.monotonic):
        """``on_hung`` is called once per hung step, on the watchdog's thread."""
        self.limit_seconds = limit_seconds
        self.on_hung = on_hung
        self.strategy_file = strategy_file
        self.clock = clock
        self.hung: StepHung | None = None
        self._step: tuple[str, float, int] | None = None
        self._changed = threading.Condition()
        self._thread: threading.Thread | None = None
        self._closed = False

    @contextmanager
    def step(self, name: str) -> Iterator[None]:
        """Time one step; a step that already hung is refused, so nothing more trades after a hang."""
        self.check()
        with self._changed:
            self._step = (name, self.clock(), threading.get_ident())
            self._changed.notify()
        self._ensure_thread()
        try:
            yield
        finally:
            with self._changed:
                self._step = None
                self._changed.notify()
        self.check()

    def check(self) -> None:
        """Raise the hang if there was one: called before anything is signed."""
        if self.hung is not None:
            raise self.hung

    def close(self) -> None:
        with self._changed:
            self._closed = True
            self._changed.notify()

    def _ensure_thread(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._watch, name="watchdog", daemon=True)
            self._thread.start()

    def _watch(self) -> None:
        with self._changed:
            while not self._closed and self.hung is None:
                step = self._step
                if step is None:
                    self._changed.wait()
                    continue
                name, started, thread_id = step
                left = started + self.limit_seconds - self.clock()
                if left > 0:
                    self._changed.wait(left)
                    continue
                self.hung = StepHung(
                    f"The {name} has run for more than {self.limit_seconds:g} s (CYCLE_WATCHDOG_MINUTES) and was abandoned: it will not trade if it "
                    f"returns. {self._where(thread_id)}Fix the strategy (or raise the limit if the step is legitimately slow), then restart."
                )
                break
        if self.hung is not None:
            logger.error("%s", self.hung)
            try:
                self.on_hung(self.hung)
            except Exception:  # noqa: BLE001 - reporting must not kill the watchdog
                logger.exception("Reporting the hang failed")
            self._interrupt_strategy(thread_id)

    def _where(self, thread_id: int) -> str:
        frame = sys._current_frames().get(thread_id)
        while frame is not None:
            if self.strategy_file and frame.f_code.co_filename == self.strategy_file:
                return f"It is stuck at {frame.f_code.co_filename}:{frame.f_lineno} ({frame.f_code.co_name}). "
            frame = frame.f_back
        return ""

    def cancel_interrupt(self) -> None:
        """Take back an interruption not delivered yet (the stuck thread is being stopped another way)."""
        step = self._step
        if self.hung is not None and step is not None:
            ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(step[2]), None)

    def _interrupt_strategy(self, thread_id: int) -> None:
        """Raise StepHung in the stuck thread, only while it runs the strategy's own Python code.

        Not in our code (half an update would be worse than the hang), and not in a call into C
        (``time.sleep``): an interruption cannot land there, and a pending one would fire inside the
        SIGTERM handler instead. Such a thread is stopped by SIGTERM.
        """
        frame = sys._current_frames().get(thread_id)
        if frame is None or frame.f_code.co_filename.startswith(PACKAGE_DIR) or not self._in_strategy(frame) or self._in_c_call(thread_id):
            return
        ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(thread_id), ctypes.py_object(StepHung))

    @staticmethod
    def _in_c_call(thread_id: int, samples: int = 20) -> bool:
        """The thread sits on one call instruction for every sample over ~0.1 s: it waits inside a C function."""
        seen = set()
        for _ in range(samples):
            frame = sys._current_frames().get(thread_id)
            if frame is None:
                return True
            seen.add((frame.f_code, frame.f_lasti))
            if len(seen) > 1:
                return False
            time.sleep(0.005)
        code, offset = seen.pop()
        return any(i.offset == offset and i.opname in ("CALL", "PRECALL", "CALL_FUNCTION", "CALL_METHOD") for i in dis.get_instructions(code))

    def _in_strategy(self, frame) -> bool:
        while frame is not None:
            if self.strategy_file and frame.f_code.co_filename == self.strategy_file:
                return True
            if frame.f_code.co_filename.startswith(PACKAGE_DIR):
                return False
            frame = frame.f_back
        return False
