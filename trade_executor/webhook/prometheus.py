"""/metrics in the Prometheus text exposition format (version 0.0.4), from one snapshot."""

from __future__ import annotations

import math
from decimal import Decimal

from trade_executor.webhook.snapshot import Snapshot

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
PREFIX = "trade_executor_"


def _number(value) -> str:
    if value is None:
        return "NaN"
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int):
        return str(value)
    number = float(value) if isinstance(value, Decimal) else value
    if math.isnan(number):
        return "NaN"
    if math.isinf(number):
        return "+Inf" if number > 0 else "-Inf"
    return repr(float(number))


def _label_value(text: str) -> str:
    return text.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


class _Lines:
    def __init__(self):
        self.lines: list[str] = []

    def metric(self, name: str, kind: str, help_text: str, samples) -> None:
        """``samples``: a value, or (labels dict, value) pairs."""
        full = PREFIX + name
        self.lines.append(f"# HELP {full} {help_text}")
        self.lines.append(f"# TYPE {full} {kind}")
        if not isinstance(samples, list):
            samples = [({}, samples)]
        for labels, value in samples:
            label_text = ",".join(f'{key}="{_label_value(str(v))}"' for key, v in labels.items())
            self.lines.append(f"{full}{{{label_text}}} {_number(value)}" if label_text else f"{full} {_number(value)}")


def render_metrics(snapshot: Snapshot, now: float) -> str:
    """The exposition text; only the data age changes with ``now``, so the rest is rendered once per snapshot."""
    head, tail = _cached_parts(snapshot)
    data_age = now - snapshot.latest_data_at if snapshot.latest_data_at is not None else None
    out = _Lines()
    out.metric("data_age_seconds", "gauge", "Seconds since the newest candle used closed (NaN before the first cycle).", data_age)
    return head + "\n".join(out.lines) + "\n" + tail


_last: tuple[Snapshot, str, str] | None = None  # the latest snapshot and its text before and after the data age


def _cached_parts(snapshot: Snapshot) -> tuple[str, str]:
    global _last
    last = _last
    if last is None or last[0] is not snapshot:
        last = _last = (snapshot, *_render_parts(snapshot))
    return last[1], last[2]


def _render_parts(snapshot: Snapshot) -> tuple[str, str]:
    portfolio = snapshot.portfolio
    out = _Lines()
    out.metric("info", "gauge", "Version and identity of this executor (always 1).", [({"version": snapshot.version, "executor_id": snapshot.metadata.executor_id}, 1)])
    out.metric("executor_running", "gauge", "1 while the trader runs, 0 after it stopped or crashed.", snapshot.executor_running)
    out.metric("equity_usd", "gauge", "Total equity in the reserve currency: cash plus open and frozen positions.", portfolio.equity)
    out.metric("cash_usd", "gauge", "Cash in the reserve currency.", portfolio.cash)
    out.metric("open_positions", "gauge", "Open positions.", len(portfolio.open_positions))
    out.metric("frozen_positions", "gauge", "Positions frozen after a failed trade; they need a repair.", len(portfolio.frozen_positions))
    out.metric("completed_cycle", "gauge", "Number of the last completed strategy cycle (state.cycle).", portfolio.completed_cycle)
    out.metric("cycles_total", "counter", "Strategy cycles completed by this process.", snapshot.cycles)
    out.metric("position_trigger_checks_total", "counter", "Stop-loss / take-profit checks between cycles by this process.", snapshot.position_trigger_checks)
    out.metric("trades", "gauge", "Trades in the state by status.", [({"status": status}, count) for status, count in portfolio.trade_counts])
    failed_trades = dict(portfolio.trade_counts).get("failed", 0)
    out.metric("failures", "gauge", "Failed trades, and 1 for a crashed executor.", [({"kind": "trade"}, failed_trades), ({"kind": "crash"}, snapshot.crashed_at is not None)])
    out.metric("hot_wallet_gas", "gauge", "Native token balance of the hot wallet at the last check (NaN before the first).", snapshot.hot_wallet_gas)
    out.metric("last_cycle_duration_seconds", "gauge", "Wall time of the last cycle (NaN before the first).", snapshot.last_cycle_seconds)
    head = "\n".join(out.lines) + "\n"
    out = _Lines()
    out.metric("last_refreshed_timestamp_seconds", "gauge", "Unix time of the last status change.", snapshot.refreshed_at)
    return head, "\n".join(out.lines) + "\n"
