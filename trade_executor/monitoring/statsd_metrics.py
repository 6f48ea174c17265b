"""statsd metrics of a live trader: step timers, counters and portfolio gauges over UDP.

UDP is fire-and-forget: a statsd server that is down costs one sendto() per metric, never a
wait. Names (under STATSD_PREFIX, default trade_executor):

- timers (ms): cycle.<step> for each cycle step (sync_treasury, revalue, decide, approve,
  execute, record_statistics), cycle.total for the whole cycle
- counters: cycles, trades.<status> (success, failed, ...), trigger_checks, crashes
- gauges: equity, cash, open_positions, gas_balance
"""

from __future__ import annotations

import socket

import statsd

from trade_executor.errors import ConfigurationError
from trade_executor.monitoring import DEFAULT_STATSD_PREFIX
from trade_executor.monitoring.addresses import parse_host_port
from trade_executor.runner.observers import CycleReport, LiveObserver
from trade_executor.state import State, TradeExecution

DEFAULT_PORT = 8125


def create_statsd_client(host_setting: str, prefix: str = DEFAULT_STATSD_PREFIX) -> statsd.StatsClient:
    host, port = parse_host_port(host_setting, "STATSD_HOST", DEFAULT_PORT)
    try:
        return statsd.StatsClient(host, port, prefix=prefix or None)
    except socket.gaierror as error:
        raise ConfigurationError(f"STATSD_HOST={host_setting!r}: cannot resolve {host} ({error.strerror}). Use a host name or IP address this machine can resolve.") from None


class StatsdObserver(LiveObserver):
    def __init__(self, client: statsd.StatsClient):
        self.client = client

    def gas_checked(self, balance) -> None:
        self.client.gauge("gas_balance", float(balance))

    def cycle_finished(self, report: CycleReport, state: State) -> None:
        portfolio = state.portfolio
        with self.client.pipeline() as pipe:
            for step, seconds in report.step_seconds.items():
                pipe.timing(f"cycle.{step}", seconds * 1000)
            pipe.timing("cycle.total", report.seconds * 1000)
            pipe.incr("cycles")
            if portfolio.reserves:
                pipe.gauge("equity", float(portfolio.get_total_equity()))
                pipe.gauge("cash", float(portfolio.get_cash()))
            pipe.gauge("open_positions", len(portfolio.open_positions))

    def trades_executed(self, trades: list[TradeExecution], state: State) -> None:
        with self.client.pipeline() as pipe:
            for trade in trades:
                pipe.incr(f"trades.{trade.status.value}")

    def triggers_checked(self, timestamp, trades, state) -> None:
        self.client.incr("trigger_checks")

    def crashed(self, error: BaseException, state: State | None) -> None:
        self.client.incr("crashes")
        self.client.close()

    def stopped(self, cycles: int) -> None:
        self.client.close()
