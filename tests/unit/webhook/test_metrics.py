"""/metrics is valid Prometheus text exposition format, with the values of the state."""

from __future__ import annotations

import math
import re

import httpx

from .conftest import make_state, run_through_cycle

NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
LABEL_NAME = r"[a-zA-Z_][a-zA-Z0-9_]*"
LABEL = rf'{LABEL_NAME}="(?:[^"\\\n]|\\[\\n"])*"'  # a value escapes only backslash, newline and quote
SAMPLE = re.compile(rf"^(?P<name>{NAME})(?:\{{(?P<labels>{LABEL}(?:,{LABEL})*)?\}})? (?P<value>[-+]?(?:[0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?|NaN|Inf))$")
HELP = re.compile(rf"^# HELP (?P<name>{NAME}) .+$")
TYPE = re.compile(rf"^# TYPE (?P<name>{NAME}) (?P<type>counter|gauge|histogram|summary|untyped)$")


def parse(text: str) -> dict[str, float]:
    """Every line must be a HELP, a TYPE or a sample of a declared metric; returns 'name{labels}' -> value."""
    assert text.endswith("\n")
    declared, samples = {}, {}
    for number, line in enumerate(text.splitlines(), 1):
        if match := HELP.match(line):
            continue
        if match := TYPE.match(line):
            assert match["name"] not in declared, f"line {number}: second TYPE for {match['name']}"
            declared[match["name"]] = match["type"]
            continue
        match = SAMPLE.match(line)
        assert match, f"line {number} is not Prometheus text format: {line!r}"
        assert match["name"] in declared, f"line {number}: sample before its TYPE"
        key = match["name"] + ("{" + match["labels"] + "}" if match["labels"] else "")
        samples[key] = float(match["value"])
    return samples


def test_metrics_are_prometheus_text_with_the_state_values(tracker, serve):
    run_through_cycle(tracker, make_state())
    answer = httpx.get(serve(tracker) + "/metrics")
    assert answer.headers["content-type"] == "text/plain; version=0.0.4; charset=utf-8"
    samples = parse(answer.text)
    expected = {
        "trade_executor_executor_running": 1.0,
        "trade_executor_equity_usd": 10350.0,
        "trade_executor_cash_usd": 7150.0,
        "trade_executor_open_positions": 1.0,
        "trade_executor_frozen_positions": 1.0,
        "trade_executor_completed_cycle": 4.0,
        "trade_executor_cycles_total": 1.0,
        "trade_executor_position_trigger_checks_total": 0.0,
        'trade_executor_trades{status="success"}': 3.0,
        'trade_executor_trades{status="failed"}': 1.0,
        'trade_executor_trades{status="planned"}': 0.0,
        'trade_executor_failures{kind="trade"}': 1.0,
        'trade_executor_failures{kind="crash"}': 0.0,
        "trade_executor_hot_wallet_gas": 0.75,
        "trade_executor_last_cycle_duration_seconds": 1.25,
        'trade_executor_info{version="9.9.9",executor_id=""}': 1.0,
    }
    assert {key: samples[key] for key in expected} == expected
    assert samples["trade_executor_data_age_seconds"] > 0  # the fixture's newest candle closed in January 2026


def test_metrics_before_the_first_cycle_are_nan_not_missing(tracker, serve):
    samples = parse(httpx.get(serve(tracker) + "/metrics").text)
    assert math.isnan(samples["trade_executor_hot_wallet_gas"]) and math.isnan(samples["trade_executor_data_age_seconds"])
    assert samples["trade_executor_executor_running"] == 0.0


def test_label_values_are_escaped():
    from trade_executor.webhook.config import ExecutorMetadata
    from trade_executor.webhook.prometheus import render_metrics
    from trade_executor.webhook.snapshot import Snapshot

    text = render_metrics(Snapshot(refreshed_at=1.0, version="1", metadata=ExecutorMetadata(executor_id='a "quoted"\\id\nx')), now=2.0)
    samples = parse(text)
    assert samples['trade_executor_info{version="1",executor_id="a \\"quoted\\"\\\\id\\nx"}'] == 1.0
