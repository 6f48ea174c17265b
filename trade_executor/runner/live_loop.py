"""The live schedule around a LiveTrader: cycles on their boundaries, trigger checks between them,
and the supervision a process trading real money needs.

- Node outages are ridden out up to a budget (outage.py); the hung step is abandoned (watchdog.py).
- SIGTERM (what ``docker stop`` sends) lets the current step finish, then stops: saved, a "stopped"
  notification, exit 0 and a log line. During a step already declared hung it stops at once.
- Every wait is on one event, so a stop is never delayed by a sleep.
- Control commands from the webhook (control.py) run between steps, never inside one; their arrival ends a wait.
"""

from __future__ import annotations

import datetime
import logging
import signal
import threading
from collections.abc import Callable

from trade_executor.runner.control_runner import ControlRunner
from trade_executor.runner.outage import OutageBudget, OutageStopped
from trade_executor.runner.watchdog import StepHung, Watchdog
from trade_executor.secrets import redact_url

logger = logging.getLogger(__name__)

MIN_WATCHDOG_SECONDS = 5 * 60
MAX_WATCHDOG_SECONDS = 30 * 60


class Terminated(BaseException):
    """SIGTERM during a hung step: unwind it (a BaseException, so no strategy code can swallow it)."""


def default_watchdog_seconds(cycle: datetime.timedelta) -> float:
    """Half a cycle, between 5 and 30 minutes: room for confirmations and slow nodes, but a hung hourly
    strategy still gets its stop losses checked again within half an hour (after a restart)."""
    return min(max(cycle.total_seconds() / 2, MIN_WATCHDOG_SECONDS), MAX_WATCHDOG_SECONDS)


class LiveLoop:
    def __init__(self, trader):
        self.trader = trader
        config = trader.config
        self.stop_requested = threading.Event()
        self.control = ControlRunner(trader, config.control) if config.control is not None else None
        self.wake = config.control.arrived if config.control is not None else self.stop_requested  # set by SIGTERM and by a control command
        self.stop_reason: str | None = None
        self.terminated = False
        node = " ".join(redact_url(url) for url in config.json_rpc_url.get_secret_value().split())
        self.outages = OutageBudget(
            config.rpc_outage_tolerance_seconds, node,
            on_started=trader.observers.node_unreachable, on_ended=trader.observers.node_back, wait=self.stop_requested.wait,
        )
        limit = config.cycle_watchdog_minutes * 60 if config.cycle_watchdog_minutes else default_watchdog_seconds(trader.strategy.cycle_duration.to_pytimedelta())
        self.watchdog = Watchdog(limit, self._report_hang, strategy_file=str(trader.strategy.path))
        trader.execution.may_sign = self.watchdog.check  # an abandoned step never signs

    def run(self) -> int:
        """Run until MAX_CYCLES, RUN_SINGLE_CYCLE or SIGTERM; return the cycles run. Observers hear of a crash first."""
        previous = self._handle_sigterm()
        try:
            cycles = self._run()
        except Terminated:
            logger.error("SIGTERM while a step was hung: exiting; %s", self.watchdog.hung)
            raise SystemExit(1) from None
        except Exception as error:
            if self.terminated:  # the hung step ended with the interruption as SIGTERM arrived: SIGTERM wins
                logger.error("SIGTERM while a step was hung: exiting; %s", self.watchdog.hung)
                raise SystemExit(1) from error
            hung = self.watchdog.hung
            if hung is None:
                self.trader.observers.crashed(error, self.trader.state)
                raise
            if error is hung:  # reported when it happened
                raise
            raise hung from error  # the hung step's late end (or the interruption): the hang is the story
        finally:
            self.watchdog.close()
            if previous is not None:
                signal.signal(signal.SIGTERM, previous)
        self.trader.store.finish(self.trader.state)  # a clean stop: the state file alone holds everything
        if self.stop_reason:
            logger.warning("Stopped on %s after %d cycle(s); the state is saved in %s", self.stop_reason, cycles, self.trader.store.path)
        self.trader.observers.stopped(cycles)
        return cycles

    def _run(self) -> int:
        trader, config = self.trader, self.trader.config
        done = 0
        try:
            self.outages.call(trader.recover, before_retry=lambda: None)
            trader.observers.started(trader.state)
            if config.run_single_cycle:
                self._step("cycle", trader.run_cycle, config.clock())
                self._run_control_commands()
                return 1
            while not self.stop_requested.is_set() and (config.max_cycles is None or done < config.max_cycles):
                due = trader.next_cycle_at(config.clock())
                while (now := config.clock()) < due and not self.stop_requested.is_set():
                    self._step("trigger check", trader.check_triggers, now)
                    self._run_control_commands()
                    self.wake.wait(min((due - now).total_seconds(), config.position_trigger_check_minutes * 60))
                if self.stop_requested.is_set():
                    break
                self._step("cycle", trader.run_cycle, due)
                self._run_control_commands()
                done += 1
        except OutageStopped:
            pass
        return done

    def _step(self, name: str, step: Callable, timestamp: datetime.datetime):
        def watched():
            with self.watchdog.step(name):
                return step(timestamp)

        return self.outages.call(watched, before_retry=self.trader.recover)

    def _run_control_commands(self) -> None:
        """The safe point: between steps, as a watched step of its own (a sale may sign)."""
        if self.control is not None and len(self.control.queue):
            self._step("control command", self.control.run_pending, self.trader.config.clock())

    def _report_hang(self, hung: StepHung) -> None:
        self.trader.observers.crashed(hung, self.trader.state)

    def _handle_sigterm(self):
        if threading.current_thread() is not threading.main_thread():
            return None

        def on_sigterm(signum, frame) -> None:
            if self.watchdog.hung is not None:
                self.terminated = True
                self.watchdog.cancel_interrupt()
                raise Terminated("SIGTERM during a hung step")
            self.stop_reason = "SIGTERM"
            logger.warning("SIGTERM: stopping after the current step")
            self.stop_requested.set()
            self.wake.set()

        return signal.signal(signal.SIGTERM, on_sigterm)
