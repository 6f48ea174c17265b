"""The progress bar of a history download, on stderr: blocks done, events per second, ETA.

The same house rules as the backtest bar (reporting/progress.py): only for a person at a terminal,
never in pipes, log files or CI; refreshed at most every ``INTERVAL`` seconds whatever the pace.
"""

from __future__ import annotations

import datetime
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Protocol, TextIO

from trade_executor.reporting.progress import INTERVAL, progress_wanted


class Counter(Protocol):
    blocks_done: int
    blocks_total: int
    events: int


class DownloadBar:
    """A rich bar the downloader calls after each chunk."""

    def __init__(self, blocks_total: int, stream: TextIO | None = None):
        from rich.console import Console
        from rich.progress import BarColumn, Progress, TextColumn

        self._progress = Progress(
            TextColumn("Download"), BarColumn(bar_width=None), TextColumn("{task.percentage:>3.0f}%"), TextColumn("{task.fields[blocks]}"),
            TextColumn("{task.fields[speed]}"), TextColumn("{task.fields[eta]}"),
            console=Console(file=stream or sys.stderr), auto_refresh=False, transient=True,
        )  # fmt: skip
        self._task = self._progress.add_task("download", total=max(1, blocks_total), blocks="", speed="", eta="")
        self._started = self._shown = time.perf_counter()

    def __call__(self, counter: Counter) -> None:
        now = time.perf_counter()
        if now - self._shown < INTERVAL and counter.blocks_done < counter.blocks_total:
            return
        self._shown = now
        elapsed = max(now - self._started, 1e-9)
        pace = counter.blocks_done / elapsed
        left = (counter.blocks_total - counter.blocks_done) / pace if pace else None
        self._progress.update(
            self._task, completed=counter.blocks_done,
            blocks=f"{counter.blocks_done:,}/{counter.blocks_total:,} blocks",
            speed=f"{counter.events / elapsed:,.0f} events/s",
            eta=f"ETA {datetime.timedelta(seconds=round(left))}" if left is not None else "",
        )  # fmt: skip
        self._progress.refresh()


@contextmanager
def download_progress(blocks_total: int, stream: TextIO | None = None) -> Iterator[DownloadBar | None]:
    """The bar when someone is watching, else ``None``."""
    if blocks_total <= 0 or not progress_wanted(stream):
        yield None
        return
    bar = DownloadBar(blocks_total, stream)
    with bar._progress:
        yield bar
