"""An API key in the node URL never reaches an output: a live `start` whose node goes away mid-run, at LOG_LEVEL=debug.

anvil answers only at `/`, so a provider-style URL (`/v3/KEY`) goes through the fault-injecting proxy,
which forwards any path; stopping the proxy is the node going away.
"""

from __future__ import annotations

import subprocess
from urllib.parse import quote

import httpx

from trade_executor.devnet.anvil import free_port
from trade_executor.testing.ports import closed_port
from trade_executor.testing.rpc_proxy import FaultyRpcProxy

from .leaks import capture_posts, leaks, poll_json, started, wait_for
from .test_crash_recovery import TRADE_EXECUTOR, live_env
from .test_node_down_at_start import CORE, ENCODED, KEY
from .test_webhook_live import STRATEGY

PATHS = ("/status", "/logs", "/", "/metadata", "/portfolio", "/state")


def test_a_node_killed_mid_run_leaks_its_key_nowhere(deployment, anvil, tmp_path):
    strategy = tmp_path / "alternate_2s.py"
    strategy.write_text(STRATEGY)
    http_port = free_port()
    base = f"http://127.0.0.1:{http_port}"
    with FaultyRpcProxy(anvil.url) as proxy, capture_posts() as (endpoint, received):
        env = live_env(
            deployment, strategy, tmp_path / "state.json", JSON_RPC_ANVIL=f"{proxy.url}/v3/{ENCODED}", LOG_LEVEL="debug", RUN_SINGLE_CYCLE="false",
            POSITION_TRIGGER_CHECK_MINUTES="0.01", RPC_OUTAGE_TOLERANCE_SECONDS="1", HTTP_ENABLED="true", HTTP_PORT=str(http_port),
            DISCORD_WEBHOOK_URL=endpoint + "/api/webhooks/1/discord-token-123456", TELEGRAM_API_KEY="123456:telegram-token-abcdef",
            TELEGRAM_CHAT_ID="42", TELEGRAM_API_URL=endpoint, NOTIFY_CYCLE_SUMMARIES="true",
        )
        with started(env, tmp_path) as (process, outputs):
            poll_json(base + "/status", lambda s: s["cycles"] >= 1, process, "a completed cycle")
            proxy.stop()  # the node goes away mid-run
            status = poll_json(base + "/status", lambda s: s["exception"] is not None, process, "the crash on /status")
            answers = {path: httpx.get(base + path, timeout=10).text for path in PATHS}
            wait_for(lambda: any("error" in body.lower() for body in received), 10)  # notifications go out from a thread
    stdout, stderr = outputs.stdout, outputs.stderr
    texts = {"stdout": stdout, "stderr": stderr, **answers, **{f"notification {i}": body for i, body in enumerate(received)}}
    found = {name: hits for name, text in texts.items() if (hits := leaks(text, KEY, CORE))}
    assert found == {}
    assert status["executor_running"] is False
    assert f"{proxy.url}/***" in answers["/status"] + answers["/logs"]  # the node named, redacted
    assert any("DEBUG" in line and "/***" in line for line in stderr.splitlines())  # debug lines named the URL, and were masked
    assert sum("/discord-token" in body for body in received) >= 2 and sum("/bot123456:telegram-token" in body for body in received) >= 2


def test_keys_in_fallback_urls_stay_hidden_while_the_first_node_is_down(deployment, anvil, strategy_file, tmp_path):
    """The first URL (key in its path) refuses; the second (key URL-encoded in its query) answers: one cycle, no key anywhere."""
    with closed_port() as port:
        down = f"http://127.0.0.1:{port}/v3/{ENCODED}"
        second_key = "Qu3ry-Key-9876543210zyxw+/="
        up = f"{anvil.url}/?apikey={quote(second_key, safe='')}"
        env = live_env(deployment, strategy_file, tmp_path / "state.json", JSON_RPC_ANVIL=f"{down} {up}", LOG_LEVEL="debug")
        run = subprocess.run([str(TRADE_EXECUTOR), "start"], env=env, capture_output=True, text=True, timeout=120)
        config = subprocess.run([str(TRADE_EXECUTOR), "show-config"], env=env, capture_output=True, text=True, timeout=60)
    for name, text in (("start", run.stdout + run.stderr), ("show-config", config.stdout + config.stderr)):
        assert not leaks(text, KEY, CORE), name
        assert not leaks(text, second_key, "9876543210zyxw"), name
    assert run.returncode == 0, run.stderr[-3000:]
    assert "gave no answer" in run.stderr and f"{down.rsplit('/v3/', 1)[0]}/***" in run.stderr
    assert f"{anvil.url}/?***" in config.stdout


def test_a_url_the_node_does_not_serve_is_one_line_naming_it_redacted(deployment, anvil, strategy_file, tmp_path):
    """anvil answers 404 at a provider-style path: a wrong URL, said in one line without the key."""
    env = live_env(deployment, strategy_file, tmp_path / "state.json", JSON_RPC_ANVIL=f"{anvil.url}/v3/{ENCODED}")
    run = subprocess.run([str(TRADE_EXECUTOR), "check-wallet"], env=env, capture_output=True, text=True, timeout=60)
    assert not leaks(run.stdout + run.stderr, KEY, CORE)
    assert run.returncode == 1
    assert run.stderr.strip() == (
        f"Error: The JSON-RPC node {anvil.url}/*** answered HTTP 404 Not Found: is the URL right? "
        "Check its path and API key (JSON_RPC_<CHAIN> or --json-rpc-url)."
    )
