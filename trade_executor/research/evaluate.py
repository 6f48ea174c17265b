"""One backtest of one parameter combination, the unit of work of every parameter search.

An ``Evaluator`` is built once per worker process: it loads the strategy module and builds the
universe once per backtest window, so a search pays for the data once per worker, not per job.
Jobs and results are small frozen values that pickle cheaply to and from workers.
"""

from __future__ import annotations

import dataclasses
import hashlib
import itertools
import math
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType

import pandas as pd

from trade_executor.errors import ConfigurationError, StrategyRuntimeError
from trade_executor.market.universe import TradingUniverse
from trade_executor.reporting.summary import calculate_summary
from trade_executor.runner.backtest import BacktestOptions, BacktestRun, build_universe
from trade_executor.strategy.context import ExecutionContext, ExecutionMode
from trade_executor.strategy.module import StrategyModule, load_strategy_module
from trade_executor.strategy.parameters import allowing_search_space, read_parameters

#: The metrics every result carries, in the order tables and CSV files show them.
METRICS = ("return_pct", "cagr", "max_drawdown", "sharpe", "sortino", "profit_factor", "win_rate", "trades", "final_equity", "stop_losses", "fees_paid")


@dataclass(frozen=True)
class Job:
    """One combination of parameter values, backtested over one window."""

    parameters: tuple[tuple[str, object], ...]
    start: str | None = None
    end: str | None = None

    @classmethod
    def of(cls, parameters: dict[str, object], start: str | None = None, end: str | None = None) -> Job:
        return cls(tuple(sorted(parameters.items())), start, end)

    def as_dict(self) -> dict[str, object]:
        return dict(self.parameters)

    def describe(self) -> str:
        return ", ".join(f"{name}={value!r}" for name, value in self.parameters)


@dataclass(frozen=True, eq=False)
class Result:
    """The metrics of one job (fractions: 0.25 = 25%; ``nan`` when undefined). ``seconds`` is not compared."""

    job: Job
    metrics: dict[str, float]
    seconds: float = field(default=0.0)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Result):
            return NotImplemented
        return self.job == other.job and self.metrics.keys() == other.metrics.keys() and all(
            _same(value, other.metrics[name]) for name, value in self.metrics.items()
        )

    __hash__ = None  # type: ignore[assignment]  # metrics is a dict


def _same(a: float, b: float) -> bool:
    return a == b or (isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b))


class Evaluator:
    """A strategy ready to backtest any combination of its parameters."""

    def __init__(self, strategy_file: Path):
        self.strategy_file = Path(strategy_file)
        with allowing_search_space():
            self.strategy: StrategyModule = load_strategy_module(self.strategy_file)
        self.context = ExecutionContext(ExecutionMode.backtesting, self.strategy.engine_version)
        self._universes: dict[tuple[str | None, str | None], TradingUniverse] = {}
        self.universe_builds = 0
        self.jobs_run = 0

    def universe(self, start: str | None = None, end: str | None = None) -> TradingUniverse:
        """The universe of a backtest window, built on first use, exactly as a plain backtest builds it."""
        key = (start, end)
        if key not in self._universes:
            self._universes[key] = build_universe(self.strategy, _options(start, end), self.context)
            self.universe_builds += 1
        return self._universes[key]

    def use_universe(self, start: str | None, end: str | None, universe: TradingUniverse) -> None:
        """Take the universe of a window built elsewhere (a Dask client), so this worker needs no data files."""
        self._universes[(start, end)] = universe

    def strategy_for(self, job: Job) -> StrategyModule:
        """The strategy with the job's values in place of its search space (checked like written values)."""
        strategy = self.strategy
        parameters = read_parameters(strategy.module.Parameters, path=str(strategy.path), source=strategy.source, overrides=job.as_dict())
        return dataclasses.replace(strategy, parameters=parameters)

    def run(self, job: Job) -> Result:
        started = time.perf_counter()
        strategy = self.strategy_for(job)
        universe = self.universe(job.start, job.end)
        try:
            result = BacktestRun(strategy, universe, _options(job.start, job.end)).run()
        except StrategyRuntimeError as e:  # say which combination broke the strategy
            raise StrategyRuntimeError(f"with {job.describe()}: {e}") from e
        self.jobs_run += 1
        return Result(job, metrics_of(result.state), time.perf_counter() - started)

    def data_fingerprint(self, start: str | None = None, end: str | None = None) -> str:
        """A hash of every candle and pair setting a backtest of this window reads."""
        return universe_fingerprint(self.universe(start, end))


def _options(start: str | None, end: str | None) -> BacktestOptions:
    try:
        return BacktestOptions(start=pd.Timestamp(start) if start else None, end=pd.Timestamp(end) if end else None)
    except ValueError:
        raise ConfigurationError(f"Backtest window {start!r} to {end!r} is not a pair of dates; use the form 2018-01-31.") from None


def metrics_of(state) -> dict[str, float]:
    summary = calculate_summary(state)
    return {
        "return_pct": summary.return_pct,
        "cagr": summary.cagr,
        "max_drawdown": summary.max_drawdown,
        "sharpe": summary.sharpe,
        "sortino": summary.sortino,
        "profit_factor": summary.profit_factor,
        "win_rate": summary.trade_win_pct,
        "trades": float(summary.total_trades),
        "final_equity": float(summary.value_at_end),
        "stop_losses": float(summary.stop_losses_triggered),
        "fees_paid": float(summary.lp_fees_paid + summary.gas_paid),
    }


def universe_fingerprint(universe: TradingUniverse) -> str:
    digest = hashlib.sha256()
    digest.update(repr((universe.chain_id, universe.exchange_slug, universe.reserve_asset, str(universe.time_frame), universe.liquidity_usd)).encode())
    digest.update(repr((str(universe.get_effective_stop_loss_time_frame()), universe.forward_filled)).encode())
    for ticker in sorted(universe.pairs):
        digest.update(repr(universe.pairs[ticker]).encode())
        for arrays in (universe.get_arrays(ticker), universe.get_stop_loss_arrays(ticker)):
            for array in (arrays.timestamps, arrays.open, arrays.high, arrays.low, arrays.close, arrays.liquidity):
                digest.update(b"-" if array is None else array.tobytes())
        ranges = universe.pool_ranges.get(ticker)
        digest.update(b"-" if ranges is None else ranges.fingerprint())
    return digest.hexdigest()


def search_space(strategy_file_or_module: Path | str | StrategyModule | ModuleType) -> dict[str, list]:
    """The parameters a strategy gives as a list or range, with their values in the written order."""
    if isinstance(strategy_file_or_module, StrategyModule):
        return strategy_file_or_module.parameters.search_space()
    if isinstance(strategy_file_or_module, ModuleType):
        module = strategy_file_or_module
        path = str(getattr(module, "__file__", module.__name__))
        source = Path(path).read_text(encoding="utf-8") if Path(path).is_file() else ""
        with allowing_search_space():
            return read_parameters(module.Parameters, path=path, source=source).search_space()
    with allowing_search_space():
        return load_strategy_module(strategy_file_or_module).parameters.search_space()


def expand_grid(space: dict[str, list], start: str | None = None, end: str | None = None) -> list[Job]:
    """Every combination, the first parameter varying slowest, each list in its written order."""
    names = list(space)
    return [Job.of(dict(zip(names, values, strict=True)), start, end) for values in itertools.product(*(list(space[n]) for n in names))]
