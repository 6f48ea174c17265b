"""The dashboard as a person sees it: a real browser on the webhook's `/` over a state made here."""

from __future__ import annotations

import datetime
import os
from decimal import Decimal
from pathlib import Path

import pytest

from trade_executor.identifiers import AssetIdentifier, TradingPairIdentifier, synthetic_address
from trade_executor.runner.observers import CycleReport
from trade_executor.state import BalanceUpdateCause, LiveInfo, State, TradeExecution, TradeType, TradingPosition
from trade_executor.state.serialisation import state_to_json
from trade_executor.webhook import ExecutorMetadata, StatusTracker, WebhookServer, create_app

# The README's screenshot is refreshed only on request (UPDATE_SCREENSHOTS=1): tests never change the tree.
README_SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "dashboard-screenshot.png"
USDC = AssetIdentifier(31337, synthetic_address("USDC"), "USDC", 6)
ETH = AssetIdentifier(31337, synthetic_address("ETH"), "ETH", 18)
ETH_USDC = TradingPairIdentifier(ETH, USDC, synthetic_address("pool", "ETH-USDC"), "uniswap-v2")
START = datetime.datetime(2026, 1, 5)


def _position(state: State, hour: int, trades: list[tuple[str, str]], *, failed: str | None = None) -> TradingPosition:
    """A position with settled swaps (quantity, reserve); the reserve moves by each swap."""
    portfolio, when = state.portfolio, START + datetime.timedelta(hours=hour)
    position = TradingPosition(portfolio.allocate_position_id(), ETH_USDC, USDC, when, Decimal(trades[0][1]) / Decimal(trades[0][0]), when)
    portfolio.open_positions[position.position_id] = position
    for i, (quantity, reserve) in enumerate(trades):
        at = when + datetime.timedelta(hours=i)
        trade = TradeExecution(portfolio.allocate_trade_id(), position.position_id, ETH_USDC, USDC, TradeType.rebalance, at, Decimal(quantity), Decimal(reserve), Decimal(reserve) / abs(Decimal(quantity)))
        position.trades[trade.trade_id] = trade
        if failed:
            trade.mark_failed(at, failed)
            continue
        trade.mark_success(executed_at=at, quantity=Decimal(quantity), reserve=Decimal(reserve), lp_fees=Decimal(0), price_impact=Decimal(0), gas_native=Decimal(0), gas_usd=Decimal(0))
        position.last_token_price = trade.executed_price
        portfolio.adjust_cash(trade.get_cash_delta())
    return position


def dashboard_state() -> State:
    """Cash 10,000 - 1,500 + 1,650 - 3,000 = 7,150; 2 ETH open at 1,600 = 3,200; equity 10,350 (+3.50%)."""
    state = State(name="eth-alternator", created_at=START, live=LiveInfo(chain_id=31337))
    state.portfolio.record_balance_update(BalanceUpdateCause.deposit, USDC, Decimal(10_000), START)
    closed = _position(state, 1, [("1", "1500"), ("-1", "1650")])
    state.portfolio.close_position(closed, START + datetime.timedelta(hours=2))
    frozen = _position(state, 3, [("1", "1550")], failed="Swap reverted: INSUFFICIENT_OUTPUT_AMOUNT")
    state.portfolio.freeze_position(frozen, START + datetime.timedelta(hours=3), "Swap reverted: INSUFFICIENT_OUTPUT_AMOUNT")
    open_ = _position(state, 4, [("2", "3000")])
    open_.last_token_price = Decimal(1600)
    for hour in range(48):
        equity = 10_000 + 350 * hour / 47 + (60 if hour % 7 == 3 else 0)
        state.stats.record(START + datetime.timedelta(hours=hour), equity, 7150.0, 1)
    state.cycle = 48
    return state


@pytest.fixture
def dashboard():
    tracker = StatusTracker(ExecutorMetadata("anvil-1", "ETH alternator", "Buys ETH with half the cash, sells it the next cycle"), version="1.2.3")
    state = dashboard_state()
    tracker.started(state)
    tracker.gas_checked(Decimal("0.5"))
    tracker.state_saved(state_to_json(state))
    tracker.cycle_finished(CycleReport(48, START + datetime.timedelta(hours=48), [], 0.8), state)
    server = WebhookServer(create_app(tracker), "127.0.0.1", 0).start()
    try:
        yield tracker, state, server.url
    finally:
        server.stop()


def text(page, selector: str) -> str:
    return page.locator(selector).inner_text().strip()


def test_dashboard_shows_the_portfolio_and_draws_the_equity_curve(browser_page, dashboard, tmp_path):
    page = browser_page.page
    _, _, url = dashboard
    page.goto(url + "/")
    page.wait_for_function("document.getElementById('equity').textContent !== '-'")
    assert text(page, "#equity") == "$10,350.00"
    assert text(page, "#cash") == "$7,150.00"
    assert text(page, "#return") == "3.50%"
    assert (text(page, "#open-count"), text(page, "#frozen-count"), text(page, "#cycle")) == ("1", "1", "48")
    assert text(page, "#executor-status") == "running"
    assert text(page, "#name") == "ETH alternator"
    open_row = page.locator("#open-positions tbody tr").all_inner_texts()
    assert open_row == ["3\tETH-USDC\t2026-01-05 04:00:00 UTC\t2\t1,600\t$3,200.00\t$200.00\t6.67%"]
    assert "Swap reverted: INSUFFICIENT_OUTPUT_AMOUNT" in text(page, "#frozen-positions")
    trade_ids = [row.split("\t")[0] for row in page.locator("#recent-trades tbody tr").all_inner_texts()]
    assert trade_ids == ["4", "3", "2", "1"]
    # The equity chart: plotly drew one line with all 48 points.
    page.wait_for_selector("#equity-chart .scatterlayer .trace path.js-line")
    assert page.evaluate("document.getElementById('equity-chart').data[0].y.length") == 48
    assert not page.locator("#exception").is_visible()
    assert not page.locator("#control").is_visible() and page.locator("#open-positions tbody button").count() == 0  # no credentials, no control
    screenshot = README_SCREENSHOT if os.environ.get("UPDATE_SCREENSHOTS") == "1" else tmp_path / "dashboard.png"
    page.screenshot(path=str(screenshot), full_page=True)
    assert screenshot.stat().st_size > 10_000
    assert browser_page.console_errors == []


def test_dashboard_shows_a_crash_on_its_next_refresh(browser_page, dashboard):
    page = browser_page.page
    tracker, state, url = dashboard
    page.goto(url + "/")
    page.wait_for_function("document.getElementById('executor-status').textContent === 'running'")
    try:
        raise RuntimeError("JSON-RPC node did not answer")
    except RuntimeError as error:
        tracker.crashed(error, state)
    page.wait_for_function("document.getElementById('executor-status').textContent.startsWith('stopped')", timeout=15_000)  # the 5 s refresh
    assert text(page, "#executor-status") == "stopped: RuntimeError"
    assert text(page, "#exception-summary").startswith("RuntimeError: JSON-RPC node did not answer (at ")
    assert "Traceback (most recent call last)" in text(page, "#exception-traceback")
    assert browser_page.console_errors == []


def test_api_docs_render_offline_and_list_the_endpoints(browser_page, dashboard):
    """Every request that leaves 127.0.0.1 is aborted: the docs must come from the server itself."""
    page = browser_page.page
    _, _, url = dashboard
    page.route("**/*", lambda route: route.continue_() if route.request.url.startswith(url) else route.abort())
    page.goto(url + "/docs")
    page.wait_for_selector(".opblock-summary-path", timeout=15_000)
    paths = set(page.locator(".opblock-summary-path").all_inner_texts())
    assert {"/ping", "/status", "/metadata", "/state", "/metrics"} <= {p.strip().replace("\u200b", "") for p in paths}
    assert browser_page.console_errors == []
