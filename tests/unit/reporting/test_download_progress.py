"""The download progress bar: blocks done, events per second and the time left, for a person at a terminal only."""

from __future__ import annotations

import io
import os
import re

from trade_executor.execution.uniswap_v2.pool_download import DownloadProgress
from trade_executor.reporting.download_progress import download_progress


def drain(master: int) -> str:
    import select

    chunks = []
    while select.select([master], [], [], 0)[0]:
        chunks.append(os.read(master, 65536))
    return b"".join(chunks).decode("utf-8", "replace")


def test_the_bar_shows_blocks_speed_and_eta_at_a_terminal(monkeypatch):
    monkeypatch.setenv("COLUMNS", "120")
    monkeypatch.delenv("CI", raising=False)
    master, slave = os.openpty()
    stream = os.fdopen(slave, "w", encoding="utf-8")
    try:
        with download_progress(200_000, stream) as bar:
            assert bar is not None
            bar._started -= 2.0  # as if two seconds had passed
            bar._shown -= 1.0
            bar(DownloadProgress(50_000, 200_000, 26_000))
            stream.flush()
            shown = drain(master)
    finally:
        stream.close()
        os.close(master)
    assert "50,000/200,000 blocks" in shown
    assert re.search(r"1[23],\d{3} events/s", shown)  # 26,000 events in a little over two seconds
    assert "ETA 0:00:06" in shown


def test_no_bar_in_a_pipe_or_for_nothing_to_do():
    with download_progress(1_000, io.StringIO()) as bar:
        assert bar is None
