"""The backtest progress bar: only for a person at a terminal, and the loop's results unchanged by it."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pandas as pd
import pytest

from trade_executor.reporting.progress import FIRST_CHUNK, BacktestProgress, backtest_progress, progress_wanted
from trade_executor.runner.backtest import BacktestOptions, BacktestRun, build_universe
from trade_executor.strategy.context import ExecutionContext, ExecutionMode
from trade_executor.strategy.module import load_strategy_module

REPO = Path(__file__).resolve().parents[3]


@pytest.fixture
def terminal():
    """A real pseudo-terminal's writing end, drained into a buffer the test can read."""
    master, slave = os.openpty()
    stream = os.fdopen(slave, "w", encoding="utf-8")
    yield stream, master
    stream.close()
    os.close(master)


def read_all(master: int) -> str:
    import select

    chunks = []
    while select.select([master], [], [], 0)[0]:
        chunks.append(os.read(master, 65536))
    return b"".join(chunks).decode("utf-8", "replace")


def test_no_bar_for_a_pipe_a_file_or_a_ci_job(terminal):
    stream, _ = terminal
    assert progress_wanted(io.StringIO(), environ={}) is False
    assert progress_wanted(stream, environ={"CI": "true"}) is False
    assert progress_wanted(stream, environ={}) is True
    with backtest_progress([pd.Timestamp("2021-01-01").to_pydatetime()], io.StringIO()) as progress:
        assert progress is None


def test_the_bar_shows_time_range_speed_and_eta_and_sizes_its_chunks(terminal, monkeypatch):
    monkeypatch.setenv("COLUMNS", "100")
    stream, master = terminal
    timestamps = list(pd.date_range("2021-01-01", periods=10_000, freq="1h").to_pydatetime())

    with BacktestProgress(timestamps, stream) as progress:
        first = progress(0)
        progress._started -= 1.0  # as if the first 5,000 cycles took a second
        chunk = progress(5_000)
        stream.flush()
        shown = read_all(master)

    assert first == FIRST_CHUNK
    assert 450 <= chunk <= 500  # about 0.1 s of cycles at the measured ~5,000 cycles/s
    assert "2021-01-01 → 2021-07-28 08:00" in shown  # the range done so far
    assert "cycles/s" in shown and "ETA 0:00:0" in shown


def test_a_run_with_progress_calls_gives_the_same_result():
    strategy = load_strategy_module(REPO / "strategies" / "eth-usd-sma.py")
    options = BacktestOptions(start=pd.Timestamp("2018-01-01"), end=pd.Timestamp("2018-03-01"))
    universe = build_universe(strategy, options, ExecutionContext(ExecutionMode.backtesting, strategy.engine_version))
    calls = []

    def every_300(done: int) -> int:
        calls.append(done)
        return 300

    plain = BacktestRun(strategy, universe, options).run()
    chunked = BacktestRun(strategy, universe, options).run(every_300)

    assert plain.cycles == 1417
    assert calls == [*range(0, 1417, 300), 1417]
    assert chunked.state.stats.total_equity == plain.state.stats.total_equity
    assert chunked.state.portfolio.next_trade_id == plain.state.portfolio.next_trade_id > 1
