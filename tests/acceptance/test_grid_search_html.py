"""The grid-search HTML page opens offline in a real browser and its heatmap holds the metric grid."""

from __future__ import annotations

import math

from trade_executor.research.evaluate import Job, Result
from trade_executor.research.results import sort_results, write_html


def result(fast: int, slow: int, sharpe: float) -> Result:
    metrics = {"return_pct": 0.01 * fast, "sharpe": sharpe, "max_drawdown": -0.2, "trades": 3.0, "final_equity": 10_000.0}
    return Result(Job.of({"fast_sma": fast, "slow_sma": slow}), metrics)


def test_heatmap_renders_offline_with_every_combination(browser_page, tmp_path):
    results = sort_results([result(12, 48, 0.5), result(12, 96, 1.25), result(24, 48, math.nan), result(24, 96, -0.75)], "sharpe")
    page_file = write_html(results, tmp_path / "grid.html", title="Grid search of sma by sharpe", metric="sharpe")
    page = browser_page.page
    requested = []
    page.route("**/*", lambda route: (requested.append(route.request.url), route.continue_() if route.request.url.startswith("file:") else route.abort()))
    page.goto(page_file.as_uri())
    page.wait_for_selector("#heatmap .main-svg")
    heatmap = page.evaluate("(() => { const d = document.getElementById('heatmap').data[0]; return [d.type, d.x, d.y, d.z]; })()")
    assert heatmap == ["heatmap", ["48", "96"], ["12", "24"], [[0.5, 1.25], [None, -0.75]]]  # rows fast_sma, columns slow_sma; undefined is blank
    assert page.locator("#results tbody tr").count() == 4
    assert requested == [page_file.as_uri()] and browser_page.console_errors == []
