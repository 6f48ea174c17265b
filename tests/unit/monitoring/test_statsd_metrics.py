"""statsd lines a real UDP listener receives for one cycle report and the other trader events."""

from __future__ import annotations

import datetime
import socket
from decimal import Decimal

import pytest

from trade_executor.errors import ConfigurationError
from trade_executor.monitoring.statsd_metrics import StatsdObserver, create_statsd_client
from trade_executor.runner.observers import CycleReport
from trade_executor.state import TradeStatus

from .conftest import make_state, make_trade, receive_lines

STEPS = {"sync_treasury": 0.002, "revalue": 0.001, "decide": 0.0123, "execute": 0.4, "record_statistics": 0.0005}


def observer_for(udp_listener, prefix="trade_executor") -> StatsdObserver:
    return StatsdObserver(create_statsd_client(f"127.0.0.1:{udp_listener.getsockname()[1]}", prefix))


def test_one_cycle_sends_step_timers_total_cycle_counter_and_portfolio_gauges(udp_listener):
    report = CycleReport(cycle=3, timestamp=datetime.datetime(2024, 5, 1, 13), trades=[make_trade()], seconds=0.5, step_seconds=STEPS)
    observer_for(udp_listener).cycle_finished(report, make_state())
    assert receive_lines(udp_listener, 10) == [
        "trade_executor.cycle.sync_treasury:2.000000|ms",
        "trade_executor.cycle.revalue:1.000000|ms",
        "trade_executor.cycle.decide:12.300000|ms",
        "trade_executor.cycle.execute:400.000000|ms",
        "trade_executor.cycle.record_statistics:0.500000|ms",
        "trade_executor.cycle.total:500.000000|ms",
        "trade_executor.cycles:1|c",
        "trade_executor.equity:10045.25|g",
        "trade_executor.cash:5012.75|g",
        "trade_executor.open_positions:1|g",
    ]


def test_trades_by_status_trigger_checks_gas_and_crashes(udp_listener):
    observer = observer_for(udp_listener, prefix="bot1")
    state = make_state()
    observer.gas_checked(Decimal("0.250000000000000000"))
    observer.trades_executed([make_trade(1), make_trade(2, buy=False, status=TradeStatus.failed)], state)
    observer.triggers_checked(datetime.datetime(2024, 5, 1, 13, 1), [], state)
    observer.crashed(RuntimeError("boom"), state)
    assert receive_lines(udp_listener, 5) == ["bot1.gas_balance:0.25|g", "bot1.trades.success:1|c", "bot1.trades.failed:1|c", "bot1.trigger_checks:1|c", "bot1.crashes:1|c"]


def test_a_statsd_server_that_is_not_there_costs_nothing(udp_listener):
    port = udp_listener.getsockname()[1]
    udp_listener.close()  # nobody listens: UDP sends go nowhere, no error reaches the trader
    observer = StatsdObserver(create_statsd_client(f"127.0.0.1:{port}"))
    report = CycleReport(cycle=1, timestamp=datetime.datetime(2024, 5, 1), trades=[], seconds=0.1, step_seconds=STEPS)
    for _ in range(100):
        observer.cycle_finished(report, make_state())


def test_the_default_port_is_8125():
    client = create_statsd_client("127.0.0.1")
    assert client._addr == ("127.0.0.1", 8125)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("127.0.0.1:statsd", "STATSD_HOST='127.0.0.1:statsd' is not host or host:port (for example 127.0.0.1:8125)."),
        (":8125", "STATSD_HOST=':8125' is not host or host:port (for example 127.0.0.1:8125)."),
        ("127.0.0.1:70000", "STATSD_HOST='127.0.0.1:70000' is not host or host:port (for example 127.0.0.1:8125)."),
    ],
)
def test_a_malformed_statsd_host_is_one_clear_error(value, message):
    with pytest.raises(ConfigurationError) as error:
        create_statsd_client(value)
    assert str(error.value) == message


def test_an_unresolvable_statsd_host_is_one_clear_error(monkeypatch):
    def no_such_host(*args, **kwargs):
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", no_such_host)  # no DNS here: the resolver's answer is stubbed
    with pytest.raises(ConfigurationError, match=r"STATSD_HOST='statsd.internal:8125': cannot resolve statsd.internal \(Name or service not known\)"):
        create_statsd_client("statsd.internal:8125")
