"""Every endpoint of the webhook, over a real uvicorn server on 127.0.0.1 and httpx."""

from __future__ import annotations

import gzip
import logging

import httpx
import pytest

from trade_executor.state.serialisation import state_to_json
from trade_executor.webhook import models

from .conftest import CLOCK_START, make_state, run_through_cycle

NO_GZIP = {"Accept-Encoding": "identity"}


def test_ping_answers_pong(tracker, serve):
    answer = httpx.get(serve(tracker) + "/ping")
    assert (answer.status_code, answer.json()) == (200, {"ping": "pong"})


def test_status_before_the_trader_starts(tracker, serve):
    assert httpx.get(serve(tracker) + "/status").json() == {
        "last_refreshed_at": CLOCK_START, "executor_running": False, "completed_cycle": 0, "cycles": 0, "position_trigger_checks": 0,
        "exception": None, "crashed_at": None, "node_outage": None, "hot_wallet_gas": None, "version": "9.9.9", "frozen_positions": 0,
        "paused": False, "paused_since": None, "paused_by": None, "control_enabled": False, "control_commands": [],
    }


def test_status_after_a_cycle_and_a_trigger_check(tracker, serve):
    state = make_state()
    run_through_cycle(tracker, state)
    tracker.triggers_checked(state.live.last_cycle_at, [], state)
    status = httpx.get(serve(tracker) + "/status").json()
    assert status == {
        "last_refreshed_at": CLOCK_START + 5, "executor_running": True, "completed_cycle": 4, "cycles": 1, "position_trigger_checks": 1,
        "exception": None, "crashed_at": None, "node_outage": None, "hot_wallet_gas": "0.75", "version": "9.9.9", "frozen_positions": 1,
        "paused": False, "paused_since": None, "paused_by": None, "control_enabled": False, "control_commands": [],
    }
    models.Status.model_validate(status)  # the OpenAPI docs describe what is served


def test_status_shows_the_exception_after_a_crash(tracker, serve):
    state = make_state()
    run_through_cycle(tracker, state)
    try:
        raise RuntimeError("node went away")
    except RuntimeError as error:
        tracker.crashed(error, state)
    status = httpx.get(serve(tracker) + "/status").json()
    assert status["executor_running"] is False
    assert status["crashed_at"] == status["last_refreshed_at"]
    exception = status["exception"]
    assert (exception["type"], exception["message"]) == ("RuntimeError", "node went away")
    assert exception["traceback"].startswith("Traceback (most recent call last):") and exception["traceback"].endswith("RuntimeError: node went away\n")


def test_metadata_has_identity_and_key_statistics(serve):
    from trade_executor.webhook import ExecutorMetadata, StatusTracker

    from .conftest import FakeClock

    tracker = StatusTracker(ExecutorMetadata("exec-1", "ETH alternator", "Buys and sells ETH", "A longer text.", "https://example.com/icon.png"), clock=FakeClock(), version="9.9.9")
    run_through_cycle(tracker, make_state())
    metadata = httpx.get(serve(tracker) + "/metadata").json()
    assert metadata == {
        "executor_id": "exec-1", "name": "ETH alternator", "short_description": "Buys and sells ETH", "long_description": "A longer text.",
        "icon_url": "https://example.com/icon.png", "started_at": CLOCK_START + 1, "executor_running": True,
        "summary_statistics": {"equity": "10350", "cash": "7150", "return": 0.035, "open_positions": 1, "frozen_positions": 1, "trades": 3},
    }
    models.Metadata.model_validate(metadata)


def test_portfolio_lists_positions_trades_and_the_equity_curve(tracker, serve):
    run_through_cycle(tracker, make_state())
    portfolio = httpx.get(serve(tracker) + "/portfolio").json()
    assert (portfolio["equity"], portfolio["cash"], portfolio["return"]) == ("10350", "7150", 0.035)
    (open_position,) = portfolio["open_positions"]
    assert {k: open_position[k] for k in ("position_id", "pair", "quantity", "value", "last_price", "profit")} == {
        "position_id": 3, "pair": "ETH-USDC", "quantity": "2", "value": "3200", "last_price": "1600", "profit": "200",
    }
    (frozen,) = portfolio["frozen_positions"]
    assert (frozen["position_id"], frozen["frozen_reason"]) == (2, "Swap reverted: INSUFFICIENT_OUTPUT_AMOUNT")
    assert [(t["trade_id"], t["side"], t["status"], t["price"]) for t in portfolio["recent_trades"]] == [
        (4, "buy", "success", "1500"), (3, "buy", "failed", "1550"), (2, "sell", "success", "1650"), (1, "buy", "success", "1500"),
    ]
    assert portfolio["equity_curve"] == {
        "timestamps": ["2026-01-05T01:00:00Z", "2026-01-05T02:00:00Z", "2026-01-05T03:00:00Z", "2026-01-05T04:00:00Z"],
        "equity": [10000.0, 10150.0, 10150.0, 10350.0],
    }
    models.Portfolio.model_validate(portfolio)


def test_state_is_the_exact_bytes_of_the_last_save(tracker, serve):
    state = make_state()
    run_through_cycle(tracker, state)
    saved = state_to_json(state)
    answer = httpx.get(serve(tracker) + "/state", headers=NO_GZIP)
    assert answer.status_code == 200 and answer.headers["content-type"] == "application/json"
    assert "content-encoding" not in answer.headers
    assert answer.content == saved


def test_state_is_gzip_compressed_once_when_the_client_accepts_it(tracker, serve):
    state = make_state()
    run_through_cycle(tracker, state)
    url = serve(tracker) + "/state"
    with httpx.Client() as client:
        raws = []
        for _ in range(2):
            with client.stream("GET", url, headers={"Accept-Encoding": "gzip"}) as answer:
                assert answer.headers["content-encoding"] == "gzip" and answer.headers["vary"] == "Accept-Encoding"
                raws.append(b"".join(answer.iter_raw()))
    assert gzip.decompress(raws[0]) == state_to_json(state)
    assert raws[0] == raws[1]
    document = tracker.state_document
    assert document.gzipped() is document.gzipped()  # compressed once per save, then served from memory


def test_state_before_the_first_save_is_a_clear_503(tracker, serve):
    answer = httpx.get(serve(tracker) + "/state")
    assert (answer.status_code, answer.json()) == (503, {"detail": "No state saved yet: the executor saves it when it starts."})
    assert answer.headers["retry-after"] == "5"


def test_logs_are_the_recent_records_with_time_level_logger_message(tracker, serve, log_buffer):
    logger = logging.getLogger("trade_executor.test_webhook")
    for i in range(60):
        logger.info("cycle %d done", i)
    logger.warning("gas is low")
    url = serve(tracker, log_buffer=log_buffer) + "/logs"
    records = httpx.get(url).json()
    assert len(records) == 50  # the buffer keeps the newest 50 here
    assert [r["message"] for r in records[-2:]] == ["cycle 59 done", "gas is low"]
    assert {k: records[-1][k] for k in ("level", "logger")} == {"level": "WARNING", "logger": "trade_executor.test_webhook"}
    assert isinstance(records[-1]["time"], float)
    assert [r["message"] for r in httpx.get(url, params={"limit": 1}).json()] == ["gas is low"]


def test_source_is_the_strategy_module_text(tracker, serve):
    text = 'trading_strategy_cycle = "1h"\n\ndef decide_trades(input):\n    return []\n'
    answer = httpx.get(serve(tracker, strategy_source=text) + "/source")
    assert (answer.status_code, answer.text) == (200, text)
    assert answer.headers["content-type"].startswith("text/x-python")


@pytest.mark.parametrize(("fmt", "content_type", "magic"), [("svg", "image/svg+xml", b"<?xml"), ("png", "image/png", b"\x89PNG\r\n\x1a\n")])
def test_visualisation_draws_prices_and_trades(tracker, serve, fmt, content_type, magic):
    run_through_cycle(tracker, make_state())
    answer = httpx.get(serve(tracker) + "/visualisation", params={"format": fmt})
    assert answer.status_code == 200 and answer.headers["content-type"] == content_type
    assert answer.content.startswith(magic)
    if fmt == "svg":
        assert "ETH-USDC close" in answer.text and "buy" in answer.text and "sell" in answer.text  # the legend


def test_visualisation_without_data_is_a_clear_503_and_a_bad_format_a_422(tracker, serve):
    url = serve(tracker) + "/visualisation"
    answer = httpx.get(url)
    assert (answer.status_code, answer.json()["detail"]) == (503, "No prices or trades yet: the chart appears after the first completed cycle.")
    assert httpx.get(url, params={"format": "gif"}).status_code == 422


def test_openapi_docs_list_every_endpoint(tracker, serve):
    url = serve(tracker)
    docs = httpx.get(url + "/docs")
    assert docs.status_code == 200
    # Swagger UI's assets come from this server, not a CDN: /docs works on a server without internet.
    assert "https://" not in docs.text and "http://" not in docs.text
    for asset in ("static/swagger/swagger-ui-bundle.js", "static/swagger/swagger-ui.css"):
        assert asset in docs.text
        assert httpx.get(f"{url}/{asset}").status_code == 200
    paths = set(httpx.get(url + "/openapi.json").json()["paths"])
    control = {"/control/pause", "/control/resume", "/control/close-position/{position_id}", "/control/close-all"}
    assert paths == {"/ping", "/status", "/metadata", "/portfolio", "/state", "/logs", "/source", "/visualisation", "/metrics", *control}


def test_dashboard_page_and_its_plotly_are_served_locally(tracker, serve):
    url = serve(tracker)
    page = httpx.get(url + "/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert '<script src="static/plotly.min.js"></script>' in page.text and "https://" not in page.text.split("<script>")[0].split("<style>")[0]
    script = httpx.get(url + "/static/plotly.min.js")
    assert script.status_code == 200 and script.headers["content-type"].startswith("application/javascript")
    assert b"plotly.js" in script.content[:500]
