"""The HTML report as a file: self-contained, every section there, no WebGL, values from the state."""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import plotly.offline

from trade_executor.reporting.chart_data import PriceChartData
from trade_executor.reporting.html_report import render_html_report
from trade_executor.reporting.summary import ROWS, calculate_summary, summary_as_dict
from trade_executor.state import State


def figures(html: str) -> dict[str, list[dict]]:
    """Each plotly figure's traces, by div id, as the page's JavaScript receives them."""
    found = {}
    for div_id, data in re.findall(r'Plotly\.newPlot\(\s*"([^"]+)",\s*(\[.*?\]),\s*\{', html, flags=re.S):
        found[div_id] = json.loads(data)
    return found


def test_the_report_is_one_offline_file_with_every_section(sample_state: State):
    html = render_html_report(sample_state)

    banner = plotly.offline.get_plotlyjs()[:40]
    assert html.count(banner) == 1  # plotly's JavaScript inlined exactly once
    assert "<script src" not in html  # nothing fetched from the network
    assert {t["type"] for traces in figures(html).values() for t in traces} == {"scatter"}  # SVG, no WebGL: draws without a GPU
    for section in (
        "<h2>Summary</h2>",
        "Equity (USDC) and drawdown",
        "<h2>Monthly returns</h2>",
        "<h2>Trades (3 positions)</h2>",
    ):
        assert section in html
    summary = summary_as_dict(calculate_summary(sample_state))
    for label, _, _ in ROWS:
        assert f"<span>{label}</span><span>{summary[label]}</span>" in html


def test_each_traded_pair_gets_a_chart_with_its_markers(sample_state: State):
    html = render_html_report(sample_state)

    charts = figures(html)
    assert list(charts) == ["equity-chart", "price-chart-WBTC-USDC", "price-chart-WETH-USDC"]
    markers = {name: {t["meta"]: len(t["x"]) for t in traces if t.get("meta")} for name, traces in charts.items()}
    assert markers["price-chart-WETH-USDC"] == {"entry": 2, "exit": 1}
    assert markers["price-chart-WBTC-USDC"] == {"entry": 1, "stop_loss": 1}


def test_price_lines_are_drawn_at_candle_close_times(sample_state: State):
    close_times = pd.date_range("2021-01-01 01:00", periods=4, freq="1h")
    close = pd.Series([1000.0, 1010.0, np.nan, 1030.0], index=close_times)
    sma = pd.Series([np.nan, 1005.0, 1007.5, 1015.0], index=close_times)
    charts = {"WETH-USDC": PriceChartData("WETH-USDC", close, {"sma": sma})}

    traces = figures(render_html_report(sample_state, charts))["price-chart-WETH-USDC"]

    lines = {t["name"]: t for t in traces if not t.get("meta")}
    assert list(lines) == ["Close", "sma"]
    assert (lines["Close"]["x0"], lines["Close"]["dx"]) == (
        "2021-01-01T01:00:00",
        3_600_000.0,
    )  # a regular series: start and step only
    assert lines["Close"]["y"]["dtype"] == "f4"  # compact base64 float32


def test_trade_list_rows_show_prices_money_and_reason(sample_state: State):
    html = render_html_report(sample_state)

    rows = re.findall(r"<tr>(<td>\d+</td>.*?)</tr>", html)
    cells = [re.findall(r"<td[^>]*>([^<]*)</td>", row) for row in rows]
    assert cells[1] == [
        "2", "WBTC-USDC", "2021-01-02 00:00", "2021-01-02 05:00", "20,000.0", "18,000.0", "0.100000",
        "$2,000.00", "$11.40", "$2.00", "$-202.00", "-10.09%", "stop loss",
    ]  # fmt: skip
    assert cells[2][3] == "" and cells[2][-1] == "open"


def test_text_from_the_state_is_escaped(sample_state: State):
    sample_state.name = "<script>alert(1)</script>"

    html = render_html_report(sample_state)

    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; backtest" in html


def test_a_backtest_that_never_traded_still_reports(empty_state: State):
    html = render_html_report(empty_state)

    assert list(figures(html)) == ["equity-chart"]
    assert "No trades: nothing to chart." in html and "<h2>Trades (0 positions)</h2>" in html
