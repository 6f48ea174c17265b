"""Start-up against a node that is not there: one line naming the node (redacted), and its API key nowhere.

No anvil: the node URL points at a closed port on 127.0.0.1, as when the devnet is not running.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import httpx
import pytest

from trade_executor.devnet.anvil import free_port
from trade_executor.testing.ports import closed_port

from .conftest import HOT_WALLET_KEY
from .leaks import capture_posts, leaks, poll_json, started
from .test_crash_recovery import TRADE_EXECUTOR

STRATEGY = Path(__file__).resolve().parents[3] / "strategies" / "devnet-eth-usdc.py"
KEY = "k3Y+s3cr3T/0123456789abcDEF=="  # characters a URL must encode, mixed case
CORE = "s3cr3T/0123456789abc"
ENCODED = "k3Y%2Bs3cr3T%2F0123456789abcDEF%3D%3D"


def offline_env(tmp_path, url: str, **extra) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TOKEN_", "JSON_RPC", "TRADE_EXECUTOR_CRASH", "HTTP_", "LOG_"))}
    env.update(
        STRATEGY_FILE=str(STRATEGY), STATE_FILE=str(tmp_path / "state.json"), EXECUTION_TYPE="uniswap_v2_hot_wallet", JSON_RPC_ANVIL=url,
        PRIVATE_KEY=HOT_WALLET_KEY, UNISWAP_V2_ROUTER="0x" + "01" * 20, UNISWAP_V2_FACTORY="0x" + "02" * 20, TOKEN_USDC="0x" + "03" * 20,
    )
    env.update(extra)
    return env


@pytest.mark.parametrize("command", ["check-wallet", "check-universe", "perform-test-trade", "start"])
def test_a_node_that_is_not_there_is_one_line_naming_it_redacted(tmp_path, command):
    with closed_port() as port:
        run = subprocess.run([str(TRADE_EXECUTOR), command], env=offline_env(tmp_path, f"http://127.0.0.1:{port}/v3/{ENCODED}"),
                             capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert run.returncode != 0
    assert "is the node running?" in run.stderr, run.stderr[-3000:]
    assert f"http://127.0.0.1:{port}/***" in run.stderr
    lines = [line for line in run.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, run.stderr[-3000:]  # not a 145-line traceback
    assert not leaks(run.stdout + run.stderr, KEY, CORE)


URL_STYLES = {
    "path": "http://127.0.0.1:{port}/v3/" + ENCODED,
    "query": "http://127.0.0.1:{port}/?apikey=" + ENCODED,
    "userinfo": "http://user:" + ENCODED + "@127.0.0.1:{port}",
    "fallbacks": "http://127.0.0.1:{port}/ http://127.0.0.1:{port2}/v3/" + ENCODED,  # the key in the second URL only
}


@pytest.mark.parametrize("style", sorted(URL_STYLES))
def test_the_key_is_in_no_output_of_a_start_against_a_node_that_is_down(tmp_path, style):
    """LOG_LEVEL=debug, the webhook and both notification services on: stdout, stderr, /status, /logs, the dashboard, the notifications."""
    http_port = free_port()
    with closed_port() as port, closed_port() as port2, capture_posts() as (endpoint, received):
        url = URL_STYLES[style].format(port=port, port2=port2)
        env = offline_env(
            tmp_path, url, LOG_LEVEL="debug", HTTP_ENABLED="true", HTTP_PORT=str(http_port), RUN_SINGLE_CYCLE="true",
            DISCORD_WEBHOOK_URL=endpoint + "/api/webhooks/1/discord-token-123456", TELEGRAM_API_KEY="123456:telegram-token-abcdef",
            TELEGRAM_CHAT_ID="42", TELEGRAM_API_URL=endpoint,
        )
        with started(env, tmp_path) as (process, outputs):
            base = f"http://127.0.0.1:{http_port}"
            status = poll_json(base + "/status", lambda s: s["exception"] is not None, process, "the failure on /status", timeout=60)
            assert status["executor_running"] is False
            answers = {path: httpx.get(base + path, timeout=5).text for path in ("/status", "/logs", "/", "/metadata", "/portfolio")}
    stdout, stderr = outputs.stdout, outputs.stderr
    texts = {"stdout": stdout, "stderr": stderr, **answers, **{f"notification {i}": body for i, body in enumerate(received)}}
    found = {name: hits for name, text in texts.items() if (hits := leaks(text, KEY, CORE))}
    assert found == {}
    assert any("DEBUG" in line for line in stderr.splitlines())  # debug lines were written, and checked
    assert "127.0.0.1" in answers["/status"]  # the node is named, redacted
    assert "is the node running?" in stderr

