"""`trade-executor start` live on anvil with HTTP_ENABLED: the webhook while it trades, and after it crashes."""

import json
import signal
import subprocess
import time

import httpx
import pytest

from trade_executor.devnet.anvil import free_port

from .test_crash_recovery import TRADE_EXECUTOR, live_env

STRATEGY = '''
from trade_executor.strategy.api import ChainId

trading_strategy_engine_version = "1.0"
trading_strategy_cycle = "2s"
chain_id = ChainId.anvil
exchange = "uniswap-v2"
reserve_currency = "USDC"


class Parameters:
    initial_cash = 10_000
    slippage_tolerance = 0.01


def create_trading_universe(timestamp, data, execution_context, options):
    return data.embedded(["ETH"])


def decide_trades(input):
    """Alternate: buy with half the cash, then sell everything."""
    pm = input.position_manager
    if pm.is_any_open():
        return pm.close_all()
    return pm.open_long(input.universe.get_single_pair(), pm.get_current_cash() / 2)
'''


def poll(url: str, predicate, timeout: float, what: str, process: subprocess.Popen) -> dict:
    """GET ``url`` until ``predicate(json)`` holds; fail early if the executor process died."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"the executor exited ({process.returncode}) while waiting for {what}: {process.stderr.read()}")
        try:
            last = httpx.get(url, timeout=5).json()
            if predicate(last):
                return last
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}; last answer {last}")


@pytest.fixture
def fast_strategy(tmp_path):
    path = tmp_path / "alternate_2s.py"
    path.write_text(STRATEGY)
    return path


def launch(env) -> subprocess.Popen:
    return subprocess.Popen([str(TRADE_EXECUTOR), "start"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_webhook_serves_a_live_run_and_stops_with_it(deployment, fast_strategy, tmp_path):
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = live_env(
        deployment, fast_strategy, tmp_path / "state.json", RUN_SINGLE_CYCLE="false", MAX_CYCLES="3", POSITION_TRIGGER_CHECK_MINUTES="0.01",
        HTTP_ENABLED="true", HTTP_PORT=str(port), NAME="Alternator", EXECUTOR_ID="anvil-1", LOG_LEVEL="info",
    )
    process = launch(env)
    try:
        status = poll(url + "/status", lambda s: s["cycles"] >= 1, 90, "a completed cycle", process)
        assert status["executor_running"] is True and status["exception"] is None
        assert float(status["hot_wallet_gas"]) > 0
        metadata = httpx.get(url + "/metadata").json()
        assert (metadata["executor_id"], metadata["name"], metadata["executor_running"]) == ("anvil-1", "Alternator", True)
        assert metadata["summary_statistics"]["trades"] >= 1
        state = json.loads(httpx.get(url + "/state").content)  # httpx asks for gzip and decodes it
        assert state["cycle"] >= 1 and state["live"]["cycles_completed"] >= 1
        assert "trade_executor_cycles_total" in httpx.get(url + "/metrics").text
        assert any("Webhook server listening" in r["message"] for r in httpx.get(url + "/logs").json())
        assert httpx.get(url + "/visualisation", params={"format": "png"}).content.startswith(b"\x89PNG")
        assert process.wait(timeout=90) == 0, process.stderr.read()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert "Completed 3 cycle(s)" in process.stdout.read()
    with pytest.raises(httpx.ConnectError):
        httpx.get(url + "/ping")


def test_after_a_crash_the_webhook_keeps_serving_the_exception_until_sigterm(deployment, fast_strategy, tmp_path):
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = live_env(
        deployment, fast_strategy, tmp_path / "state.json", RUN_SINGLE_CYCLE="false", MAX_CYCLES="3",
        MIN_GAS_BALANCE="1000000", HTTP_ENABLED="true", HTTP_PORT=str(port), LOG_LEVEL="info",
    )
    process = launch(env)
    try:
        status = poll(url + "/status", lambda s: s["exception"] is not None, 90, "the crash on /status", process)
        assert status["executor_running"] is False and status["crashed_at"] is not None
        assert status["exception"]["type"] == "StopError"
        assert "below MIN_GAS_BALANCE 1000000" in status["exception"]["message"]
        # Still serving well after the crash: the process waits for a signal.
        again = poll(url + "/status", lambda s: s["last_refreshed_at"] == status["last_refreshed_at"], 10, "the same status", process)
        assert again == status and process.poll() is None
        assert "11" * 32 not in httpx.get(url + "/logs").text  # the hot wallet key never leaves
        process.send_signal(signal.SIGTERM)
        returncode = process.wait(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert returncode == 1
    stderr = process.stderr.read()
    assert "keeps serving" in stderr and "Error: The hot wallet" in stderr
