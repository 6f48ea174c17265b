"""The progress bar of a long backtest, on stderr: how far through history, cycles per second, ETA.

Shown only to a person at a terminal (stderr is a TTY and ``CI`` is not set); logs and pipes
get nothing. It costs the loop nothing per cycle: the loop calls it between chunks of cycles,
and it sizes each chunk to last about ``INTERVAL`` seconds at the speed measured so far.
"""

from __future__ import annotations

import datetime
import os
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TextIO

INTERVAL = 0.1  # seconds between refreshes
FIRST_CHUNK = 100  # cycles before the first speed measurement


def progress_wanted(stream: TextIO | None = None, environ: dict[str, str] | None = None) -> bool:
    """A bar only for a person watching: a terminal, and not a CI job (whose log would fill with frames)."""
    stream = sys.stderr if stream is None else stream
    environ = os.environ if environ is None else environ
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty()) and not environ.get("CI")


class BacktestProgress:
    """A rich progress bar the backtest loop calls with the number of cycles done."""

    def __init__(self, timestamps: Sequence[datetime.datetime], stream: TextIO | None = None):
        from rich.console import Console
        from rich.progress import BarColumn, Progress, TextColumn

        self.timestamps = timestamps
        self._console = Console(file=stream or sys.stderr)
        self._progress = Progress(
            TextColumn("Backtest"), BarColumn(bar_width=None), TextColumn("{task.percentage:>3.0f}%"), TextColumn("{task.fields[at]}"),
            TextColumn("{task.fields[speed]}"), TextColumn("{task.fields[eta]}"),
            console=self._console, auto_refresh=False, transient=True,
        )  # fmt: skip
        self._task = self._progress.add_task("backtest", total=len(timestamps), at="", speed="", eta="")
        self._started = time.perf_counter()

    def __call__(self, cycles_done: int) -> int:
        total = len(self.timestamps)
        elapsed = time.perf_counter() - self._started
        speed = cycles_done / elapsed if cycles_done and elapsed > 0 else 0.0
        current = self.timestamps[min(cycles_done, total - 1)]
        eta = datetime.timedelta(seconds=round((total - cycles_done) / speed)) if speed else None
        self._progress.update(
            self._task, completed=cycles_done,
            at=f"{self.timestamps[0]:%Y-%m-%d} → {current:%Y-%m-%d %H:%M}",
            speed=f"{speed:,.0f} cycles/s" if speed else "", eta=f"ETA {eta}" if eta is not None else "",
        )  # fmt: skip
        self._progress.refresh()
        return max(1, int(speed * INTERVAL)) if speed else FIRST_CHUNK

    def __enter__(self) -> BacktestProgress:
        self._progress.start()
        return self

    def __exit__(self, *exc) -> None:
        self._progress.stop()


@contextmanager
def backtest_progress(timestamps: Sequence[datetime.datetime], stream: TextIO | None = None) -> Iterator[BacktestProgress | None]:
    """The bar when someone is watching, else ``None`` (the loop then runs in one chunk)."""
    if not timestamps or not progress_wanted(stream):
        yield None
        return
    with BacktestProgress(timestamps, stream) as progress:
        yield progress
