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
from trade_executor.state import State, TradeExecution
from trade_executor.strategy.input import StrategyInput
from trade_executor.strategy.module import StrategyModule
from trade_executor.strategy.position_manager import PositionManager

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
    ):
        """``step_seconds``, when given, receives each step's wall time (live metrics); backtests pass None."""
        self.strategy = strategy
        self.input = strategy_input
        self.state: State = strategy_input.state
        self.position_manager: PositionManager = strategy_input.position_manager
        self.valuation = valuation
        self.execution = execution
        self.sync_treasury = sync_treasury
        self.accounting_check = accounting_check
        self.approve = approve
        self.step_seconds = step_seconds
        self._last_cash: tuple[object, float] = (None, 0.0)

    def tick(self, cycle: int, timestamp: datetime.datetime) -> list[TradeExecution]:
        if self.step_seconds is not None:
            return self._timed_tick(cycle, timestamp)
        state = self.state
        if self.sync_treasury is not None:
            self.sync_treasury(timestamp, state)
        if self.accounting_check is not None:
            self.accounting_check(timestamp, state)
        if state.portfolio.open_positions:
            self.valuation.revalue(timestamp, state.portfolio)
        trades = self.decide(cycle, timestamp)
        if trades and self.approve is not None:
            trades = self.approve(trades)
            self.position_manager.discard_unreturned(trades)  # what was not approved never happened
        if trades:
            self.execution.execute_trades(timestamp, state, trades)
        self.record_statistics(timestamp)
        state.cycle = cycle
        return trades

    def _timed_tick(self, cycle: int, timestamp: datetime.datetime) -> list[TradeExecution]:
        """The same steps as tick(), each timed into step_seconds (kept apart so backtests pay nothing)."""
        state = self.state
        timings = self.step_seconds
        clock = time.perf_counter

        def timed(step, call, *args):
            started = clock()
            try:
                return call(*args)
            finally:
                timings[step] = timings.get(step, 0.0) + clock() - started

        if self.sync_treasury is not None:
            timed("sync_treasury", self.sync_treasury, timestamp, state)
        if self.accounting_check is not None:
            timed("accounting_check", self.accounting_check, timestamp, state)
        if state.portfolio.open_positions:
            timed("revalue", self.valuation.revalue, timestamp, state.portfolio)
        trades = timed("decide", self.decide, cycle, timestamp)
        if trades and self.approve is not None:
            trades = timed("approve", self.approve, trades)
            self.position_manager.discard_unreturned(trades)
        if trades:
            timed("execute", self.execution.execute_trades, timestamp, state, trades)
        timed("record_statistics", self.record_statistics, timestamp)
        state.cycle = cycle
        return trades

    def decide(self, cycle: int, timestamp: datetime.datetime) -> list[TradeExecution]:
        """Call the strategy; any exception in its code becomes a StrategyRuntimeError naming the line."""
        pm = self.position_manager
        pm.begin_cycle(timestamp)
        self.input.timestamp = timestamp
        self.input.cycle = cycle
        try:
            trades = self.strategy.decide_trades(self.input)
        except TradeExecutorError:
            raise
        except Exception as e:
            raise StrategyRuntimeError(f"decide_trades raised {type(e).__name__} at {_user_location(e, str(self.strategy.path))} (cycle {cycle}, {timestamp}): {e}") from e
        if trades:
            if not isinstance(trades, list) or not all(isinstance(t, TradeExecution) for t in trades):
                raise StrategyRuntimeError(f"decide_trades must return a list of trades from the position manager (or []), not {type(trades).__name__}: {trades!r:.200}")
        elif trades is None or trades == []:
            trades = []
        else:
            raise StrategyRuntimeError(f"decide_trades must return a list of trades from the position manager (or []), not {type(trades).__name__}: {trades!r:.200}")
        if len(pm.planned) != len(trades):
            pm.discard_unreturned(trades)
        return trades

    def record_statistics(self, timestamp: datetime.datetime) -> None:
        """Append this cycle's equity to the curve: O(open positions), called every cycle."""
        portfolio = self.state.portfolio
        cash = portfolio.get_cash()
        last_cash, cash_float = self._last_cash
        if cash is not last_cash:  # most cycles trade nothing: reuse the conversion
            cash_float = float(cash)
            self._last_cash = (cash, cash_float)
        open_positions = portfolio.open_positions
        if open_positions or portfolio.frozen_positions:
            equity = cash
            for position in open_positions.values():
                equity += position.get_quantity() * position.last_token_price
            for position in portfolio.frozen_positions.values():
                equity += position.get_value()
            equity_float = float(equity)
        else:
            equity_float = cash_float
        stats = self.state.stats
        stats.timestamps.append(timestamp)
        stats.total_equity.append(equity_float)
        stats.cash.append(cash_float)
        stats.open_positions.append(len(open_positions))

def _user_location(error: BaseException, filename: str) -> str:
    frames = [f for f in traceback.extract_tb(error.__traceback__) if f.filename == filename]
    if not frames:
        return filename
    return f"{filename}:{frames[-1].lineno}"

