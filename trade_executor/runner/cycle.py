"""The one tick cycle, the same for backtest and live; only the models plugged in differ.

Order (DESIGN "The cycle"): sync treasury -> accounting check -> revalue -> decide ->
approve -> execute -> record statistics. Steps whose model is None (a backtest has no
treasury to sync or chain to check) are skipped.
"""

from __future__ import annotations

import datetime
import logging
import time
import traceback
from collections.abc import Callable
from typing import Protocol

from trade_executor.errors import StrategyRuntimeError, TradeExecutorError
from trade_executor.execution.interfaces import ExecutionModel, ValuationModel
from trade_executor.runner.equity import EquityRecorder, decimal_price_float
from trade_executor.state import State, TradeExecution
from trade_executor.strategy.input import StrategyInput
from trade_executor.strategy.module import StrategyModule
from trade_executor.strategy.position_manager import PositionManager
from trade_executor.strategy.returned_trades import check_returned_trades

logger = logging.getLogger(__name__)


class CycleHook(Protocol):
    def __call__(self, timestamp: datetime.datetime, state: State) -> None: ...


class StrategyCycle:
    def __init__(
        self,
        strategy: StrategyModule,
        strategy_input: StrategyInput,
        valuation: ValuationModel,
        execution: ExecutionModel,
        *,
        sync_treasury: CycleHook | None = None,
        accounting_check: CycleHook | None = None,
        approve: Callable[[list[TradeExecution]], list[TradeExecution]] | None = None,
        step_seconds: dict[str, float] | None = None,
        equity: EquityRecorder | None = None,
    ):
        """``step_seconds``, when given, receives each step's wall time (live metrics); backtests pass None and pay nothing.
        ``equity`` records the curve: by default every cycle (live); a backtest passes its segment recorder."""
        self.strategy = strategy
        self.input = strategy_input
        self.state: State = strategy_input.state
        self.position_manager: PositionManager = strategy_input.position_manager
        self.valuation = valuation
        self.execution = execution
        self._equity = equity or EquityRecorder(self.state, getattr(valuation, "price_float", decimal_price_float))
        steps = {
            "sync_treasury": sync_treasury,
            "accounting_check": accounting_check,
            "revalue": valuation.revalue,
            "decide": StrategyCycle.decide,  # plain functions, called with self: a bound method kept here would be a reference cycle
            "approve": approve,
            "execute": execution.execute_trades,
            "record_statistics": self._equity.record,  # the recorder holds no reference back: no cycle
        }
        if step_seconds is not None:
            steps = {name: _timed(name, step, step_seconds) if step is not None else None for name, step in steps.items()}
        self._sync_treasury = steps["sync_treasury"]
        self._accounting_check = steps["accounting_check"]
        self._revalue = steps["revalue"]
        self._decide = steps["decide"]
        self._approve = steps["approve"]
        self._execute = steps["execute"]
        self._record_statistics = steps["record_statistics"]

    def tick(self, cycle: int, timestamp: datetime.datetime) -> list[TradeExecution]:
        state = self.state
        if self._sync_treasury is not None:
            self._sync_treasury(timestamp, state)
        if self._accounting_check is not None:
            self._accounting_check(timestamp, state)
        if self._revalue is not None and state.portfolio.open_positions:  # None: the model marks positions when read
            self._revalue(timestamp, state.portfolio)
        trades = self._decide(self, cycle, timestamp)
        if trades and self._approve is not None:
            trades = self._approve(trades)
            self.position_manager.discard_unreturned(trades)  # what was not approved never happened
        if trades:
            self._execute(timestamp, state, trades)
        self._record_statistics(timestamp)
        state.cycle = cycle
        return trades

    def decide(self, cycle: int, timestamp: datetime.datetime) -> list[TradeExecution]:
        """Call the strategy and check what it returned; a failure leaves no planned trade behind.

        Any exception in the strategy's code becomes a StrategyRuntimeError naming the line.
        """
        pm = self.position_manager
        pm.begin_cycle(timestamp)
        strategy_input = self.input
        strategy_input.timestamp = timestamp
        strategy_input.cycle = cycle
        try:
            trades = self.strategy.decide_trades(strategy_input)
            if trades:
                if not isinstance(trades, list) or not all(isinstance(t, TradeExecution) for t in trades):
                    raise StrategyRuntimeError(f"decide_trades must return a list of trades from the position manager (or []), not {type(trades).__name__}: {trades!r:.200}")
                check_returned_trades(trades, pm.planned, self.strategy.decide_trades)
            elif trades.__class__ is not list:  # an empty list (the usual no-trade cycle) is kept as it is
                if trades is not None and trades != []:
                    raise StrategyRuntimeError(f"decide_trades must return a list of trades from the position manager (or []), not {type(trades).__name__}: {trades!r:.200}")
                trades = []
        except BaseException as e:
            pm.discard_unreturned([], quietly=True)
            if isinstance(e, SystemExit):  # sys.exit() in a strategy is a strategy bug, not a way to end the run quietly
                raise StrategyRuntimeError(f"decide_trades called sys.exit({e.code!r}) at {_user_location(e, str(self.strategy.path))} (cycle {cycle}, {timestamp}): a strategy returns trades, it never exits the process.") from e
            if isinstance(e, TradeExecutorError) or not isinstance(e, Exception):
                raise
            raise StrategyRuntimeError(f"decide_trades raised {type(e).__name__} at {_user_location(e, str(self.strategy.path))} (cycle {cycle}, {timestamp}): {e}") from e
        planned = pm.planned
        if planned and len(planned) != len(trades):  # nothing planned: nothing returned either (checked above)
            pm.discard_unreturned(trades)
        return trades

    def record_statistics(self, timestamp: datetime.datetime) -> None:
        """Append this cycle's equity to the curve (floats, a statistic): O(open positions), called every cycle."""
        self._equity.record(timestamp)


def _timed(name: str, step: Callable, seconds: dict[str, float]) -> Callable:
    """``step``, adding its wall time to ``seconds[name]`` on every call."""

    def timed(*args):
        started = time.perf_counter()
        try:
            return step(*args)
        finally:
            seconds[name] = seconds.get(name, 0.0) + time.perf_counter() - started

    return timed


def _user_location(error: BaseException, filename: str) -> str:
    frames = [f for f in traceback.extract_tb(error.__traceback__) if f.filename == filename]
    if not frames:
        return filename
    return f"{filename}:{frames[-1].lineno}"

