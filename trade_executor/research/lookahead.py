"""The look-ahead check: does anything a strategy did up to time T depend on data after T?

It backtests the strategy once and records each decision (the trades it planned: time, pair,
side, quantity and reserve) and every indicator value. Then, for several cut times T spread
over the period, it reruns the backtest up to T on data that differs after T (see
lookahead_data) and compares: a decision at or before T, or an indicator value of a candle
closed by T, that changed can only come from reading the future. A control run on unchanged
data first proves the strategy deterministic, so a difference means look-ahead, not chance.

Each run loads the strategy module afresh and builds its universe again, so module globals
cannot carry one run's data into another.
"""

from __future__ import annotations

import bisect
import dataclasses
import datetime
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd

from trade_executor.errors import ConfigurationError, StrategyRuntimeError
from trade_executor.market.universe import TradingUniverse
from trade_executor.research.lookahead_data import universe_changed_after
from trade_executor.runner.backtest import BacktestOptions, BacktestRun, build_universe
from trade_executor.strategy.context import ExecutionContext, ExecutionMode
from trade_executor.strategy.module import load_strategy_module
from trade_executor.strategy.parameters import allowing_search_space

Changer = Callable[[TradingUniverse], TradingUniverse]
RELATIVE_TOLERANCE = 1e-9  # indicator values closer than this are equal (floating-point noise, not look-ahead)


@dataclass(frozen=True)
class Decision:
    """One planned trade, as decide_trades (or a trigger) asked for it."""

    at: datetime.datetime
    ticker: str
    kind: str
    quantity: Decimal
    reserve: Decimal
    is_trigger: bool

    def describe(self) -> str:
        side = "buy" if self.quantity > 0 else "sell"
        return f"{self.at:%Y-%m-%d %H:%M} {self.kind} {side} {abs(self.quantity):.8g} {self.ticker} for {self.reserve:.2f}"


@dataclass(frozen=True)
class Recording:
    """What one backtest did: its cycle times, decisions, and indicator values per candle."""

    cycles: list[datetime.datetime]
    decisions: list[Decision]
    indicators: dict[str, dict[str, np.ndarray]]
    candle_times: dict[str, pd.DatetimeIndex]
    time_frame: pd.Timedelta
    searched: list[str]  # parameters with several values (a grid-search module): run at their first value


@dataclass(frozen=True)
class Finding:
    """One thing that changed when only data after ``cut`` changed."""

    what: str
    cut: pd.Timestamp
    at: pd.Timestamp
    original: str
    changed: str


@dataclass(frozen=True)
class LookaheadReport:
    cuts: list[pd.Timestamp]
    cycles_compared: int
    searched: list[str]
    findings: list[Finding]


def record(run: BacktestRun) -> Recording:
    """Run ``run`` and keep what the comparison needs."""
    result = run.run()
    trades = sorted((t for p in result.state.portfolio.get_all_positions() for t in p.trades.values()), key=lambda t: (t.opened_at, t.trade_id))
    decisions = [Decision(t.opened_at, t.pair.ticker, t.trade_type.value, t.planned_quantity, t.planned_reserve, t.trade_type.is_trigger) for t in trades]
    candle_times = {ticker: frame.index for ticker, frame in run.universe.candles.items()}
    searched = sorted(run.strategy.parameters.search_space())
    return Recording(list(run.timestamps), decisions, run.indicator_arrays, candle_times, run.universe.time_frame, searched)


def check_lookahead(strategy_file: Path, options: BacktestOptions, cuts: int = 5, on_run: Callable[[str], None] | None = None) -> LookaheadReport:
    """Backtest, then rerun on changed data after each of ``cuts`` cut times; ``on_run(label)`` after each run."""
    if cuts < 1:
        raise ConfigurationError(f"--lookahead-cuts={cuts}: check at least 1 cut time (default 5).")
    done = on_run or (lambda label: None)
    original = record(_backtest(strategy_file, options))
    done("original run")
    cut_times = choose_cuts(original, cuts)
    control = record(_backtest(strategy_file, options, until=cut_times[-1]))
    done("control run")
    unstable = compare(original, control, cut_times[-1])
    if unstable:
        first = unstable[0]
        raise StrategyRuntimeError(
            f"The strategy is not deterministic: two runs on the same data differ ({first.what} at {first.at}: {first.original} vs {first.changed}), "
            "so look-ahead cannot be told from chance. Seed any random numbers and do not keep state between runs in module globals."
        )
    findings, compared = [], 0
    for cut in cut_times:
        rerun = record(_backtest(strategy_file, options, until=cut, change=lambda universe, cut=cut: universe_changed_after(universe, cut)))
        done(f"cut at {cut}")
        findings += compare(original, rerun, cut)
        compared += bisect.bisect_right(original.cycles, cut)
    return LookaheadReport(cut_times, compared, original.searched, findings)


def _backtest(strategy_file: Path, options: BacktestOptions, until: pd.Timestamp | None = None, change: Changer | None = None) -> BacktestRun:
    """A fresh module and universe, built as for the original run (data past ``until`` included), run until ``until``."""
    with allowing_search_space():  # a grid-search module is checked with the first value of each searched parameter
        strategy = load_strategy_module(strategy_file)
    universe = build_universe(strategy, options, ExecutionContext(ExecutionMode.backtesting, strategy.engine_version))
    if change is not None:
        universe = change(universe)
    return BacktestRun(strategy, universe, options if until is None else dataclasses.replace(options, end=until))


def choose_cuts(recording: Recording, count: int) -> list[pd.Timestamp]:
    """``count`` cycle times spread evenly over the run, each moved to the run's first decision in its stretch.

    A cut at a decision is the most telling: that decision is compared with the data right after
    it changed. Stretches without a decision keep their evenly spread cycle.
    """
    cycles = recording.cycles
    decided = sorted({bisect.bisect_left(cycles, d.at) for d in recording.decisions if not d.is_trigger})
    step = len(cycles) / (count + 1)
    chosen: list[pd.Timestamp] = []
    for k in range(1, count + 1):
        low, high = int(k * step), int((k + 1) * step)
        at = bisect.bisect_left(decided, low)
        index = decided[at] if at < len(decided) and decided[at] < high else low
        cut = pd.Timestamp(cycles[min(index, len(cycles) - 1)])
        if cut not in chosen:
            chosen.append(cut)
    return chosen


def compare(original: Recording, other: Recording, cut: pd.Timestamp) -> list[Finding]:
    """What differs between two runs up to ``cut``: decisions at or before it, indicator values of candles closed by it."""
    findings = []
    before = [d for d in original.decisions if d.at <= cut]
    after = [d for d in other.decisions if d.at <= cut]
    if before != after:
        i = next((i for i, (a, b) in enumerate(zip(before, after, strict=False)) if a != b), min(len(before), len(after)))
        a, b = (before[i] if i < len(before) else None), (after[i] if i < len(after) else None)
        at = min(d.at for d in (a, b) if d is not None)
        findings.append(Finding("decisions", cut, pd.Timestamp(at), a.describe() if a else "no trade", b.describe() if b else "no trade"))
    for name, per_pair in original.indicators.items():
        for ticker, values in per_pair.items():
            closed = int(original.candle_times[ticker].searchsorted(cut - original.time_frame, side="right"))
            finding = _first_difference(values[:closed], other.indicators[name][ticker][:closed])
            if finding is not None:
                i, a, b = finding
                findings.append(Finding(f"indicator {name} ({ticker})", cut, original.candle_times[ticker][i], f"{a:.10g}", f"{b:.10g}"))
    return findings


def _first_difference(a: np.ndarray, b: np.ndarray) -> tuple[int, float, float] | None:
    same = np.isclose(a, b, rtol=RELATIVE_TOLERANCE, atol=0.0, equal_nan=True)
    if same.all():
        return None
    i = int(np.argmin(same))
    return i, float(a[i]), float(b[i])
