"""The engine's work per cycle does not grow with the length of history (issue 15).

Counted, not timed: the Python lines run and the Python and C functions called during the last
cycles of a short and of a ten times longer backtest of the same strategy, holding one position
with a trigger set (so each cycle revalues, checks triggers, records equity and reads indicators).
A per-cycle step that walks history in Python (the equity curve, closed positions, past prices)
shows up as more lines or calls per cycle in the longer run, on any machine and however loaded.
One C call that walks a list (``max(history)``) is a single call: timing would be needed for that.
"""

from __future__ import annotations

import sys
from pathlib import Path

from trade_executor.runner.backtest import BacktestOptions, BacktestRun, build_universe
from trade_executor.strategy.context import ExecutionContext, ExecutionMode
from trade_executor.strategy.module import load_strategy_module

STRATEGY = Path(__file__).resolve().parents[2] / "strategies" / "hold_with_stop.py"
COUNTED_CYCLES = 500


def work_in_last_cycles(monkeypatch, bars: int) -> tuple[int, BacktestRun]:
    monkeypatch.setenv("HOLD_BARS", str(bars))
    strategy = load_strategy_module(STRATEGY)
    universe = build_universe(strategy, BacktestOptions(), ExecutionContext(ExecutionMode.backtesting, strategy.engine_version))
    run = BacktestRun(strategy, universe)
    calls = [0]

    def count(frame, event, arg):  # settrace: "call" and "line" of Python code; setprofile: "c_call" too
        calls[0] += event != "return" and event != "c_return" and event != "c_exception"
        return count

    def progress(done: int) -> int:
        """Run up to the last COUNTED_CYCLES uncounted, then count them."""
        total = len(run.timestamps)
        if done == total:
            sys.settrace(None)
            sys.setprofile(None)
            return 0
        if done == 0:
            return total - COUNTED_CYCLES
        sys.settrace(count)
        sys.setprofile(lambda frame, event, arg: event == "c_call" and count(frame, event, arg))
        return COUNTED_CYCLES

    try:
        run.run(progress)
    finally:
        sys.settrace(None)
        sys.setprofile(None)
    return calls[0], run


def test_work_per_cycle_is_the_same_after_ten_times_the_history(monkeypatch):
    short, short_run = work_in_last_cycles(monkeypatch, 2_000)
    long, long_run = work_in_last_cycles(monkeypatch, 20_000)
    for run in (short_run, long_run):  # the counted cycles hold the one position, triggers set
        portfolio = run.state.portfolio
        assert len(portfolio.open_positions) == 1 and not portfolio.closed_positions
        assert len(run.state.stats.total_equity) == len(run.timestamps)
    assert short > 20 * COUNTED_CYCLES  # the counter saw the cycles' work
    assert long <= short * 1.02, f"{long / COUNTED_CYCLES:.1f} lines and calls per cycle after 20,000 bars, {short / COUNTED_CYCLES:.1f} after 2,000"
