"""The HTML report of a real backtest in a real (headless, GPU-less) chromium: it draws, every trade
is marked, and the page logs no errors."""

from __future__ import annotations

from trade_executor.state import JSONFileStore, TradeType

WINDOW = ["--strategy-file=strategies/eth-usd-sma.py", "--backtest-start=2018-01-01", "--backtest-end=2018-03-31"]
# For each plotly graph of the page: its traces as (name, meta, point count), and the marker points drawn as SVG.
READ_GRAPHS = """
() => Array.from(document.querySelectorAll('.js-plotly-plot')).map(graph => ({
    id: graph.id,
    traces: graph.data.map(trace => [trace.name, trace.meta || null, trace.x ? trace.x.length : null]),
    drawn: graph.querySelectorAll('.scatterlayer .trace .points path.point').length,
}))
"""


def expected_markers(state) -> dict[str, int]:
    settled = [t for p in state.portfolio.get_all_positions() for t in p.trades.values() if t.is_success]
    return {
        "entry": sum(1 for t in settled if t.is_buy),
        "exit": sum(1 for t in settled if t.is_sell and t.trade_type is TradeType.rebalance),
        "stop_loss": sum(1 for t in settled if t.trade_type is TradeType.stop_loss),
    }


def test_report_of_a_real_backtest_renders_with_every_trade_marked(te, tmp_path, browser_page):
    state_file, report = tmp_path / "state.json", tmp_path / "report.html"
    result = te.run("backtest", *WINDOW, f"--state-file={state_file}", f"--html-report={report}")
    assert result.returncode == 0, result
    expected = expected_markers(JSONFileStore(state_file).load())
    assert expected == {"entry": 12, "exit": 6, "stop_loss": 6}

    page = browser_page.page
    page.goto(report.as_uri())
    page.wait_for_function("document.querySelectorAll('.js-plotly-plot .main-svg').length >= 2", timeout=30_000)
    graphs = page.evaluate(READ_GRAPHS)

    assert [g["id"] for g in graphs] == ["equity-chart", "price-chart-ETH-USDC"]
    equity, price = graphs
    assert [name for name, _, _ in equity["traces"]] == ["Equity", "Drawdown %"]
    assert [name for name, meta, _ in price["traces"] if meta is None] == ["Close", "fast_sma", "slow_sma"]
    markers = {meta: count for _, meta, count in price["traces"] if meta}
    assert markers == expected
    assert price["drawn"] == sum(expected.values())  # every marker is inside the plotted range and drawn
    assert page.locator("#summary span").first.inner_text() == "Trading period length"
    assert page.locator("#trades tbody tr").count() == 12
    assert browser_page.console_errors == []
