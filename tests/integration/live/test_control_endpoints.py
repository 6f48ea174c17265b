"""Control without a shell: the webhook's POST /control/... on a real `start` on anvil, through a real uvicorn.

One executor run (a 2 s cycle, so cycles come quickly) is driven through every endpoint in turn, then
restarted to show the pause is kept in the state. The strategy holds a quarter of its cash in ETH with
a stop loss 10% below; the test can hold a cycle inside decide_trades (a gate file) to send a command
while a step is running.
"""

from __future__ import annotations

import signal
import subprocess
import time
from pathlib import Path

import httpx

from trade_executor.devnet.anvil import free_port
from trade_executor.state import JSONFileStore, TradeStatus, TradeType
from trade_executor.testing.adversary import Adversary, advance_time

from .test_crash_recovery import live_env, start, swaps_on_chain
from .test_notifications_and_metrics import discord  # noqa: F401 - a fixture
from .test_webhook_live import launch

STRATEGY = '''
import time
from pathlib import Path

from trade_executor.strategy.api import ChainId

trading_strategy_engine_version = "1.0"
trading_strategy_cycle = "2s"
chain_id = ChainId.anvil
exchange = "uniswap-v2"
reserve_currency = "USDC"
GATE = Path(__GATE__)


class Parameters:
    initial_cash = 10_000
    slippage_tolerance = 0.01


def create_trading_universe(timestamp, data, execution_context, options):
    return data.embedded(["ETH"])


def decide_trades(input):
    """Hold a quarter of the cash in ETH with a stop loss 10% below; while the gate file exists, wait here."""
    if GATE.exists():
        GATE.with_suffix(".held").touch()
        deadline = time.monotonic() + 60
        while GATE.exists() and time.monotonic() < deadline:
            time.sleep(0.02)
    pm = input.position_manager
    if pm.is_any_open():
        return []
    return pm.open_long(input.universe.get_single_pair(), pm.get_current_cash() / 4, stop_loss_pct=0.9)
'''

USER, PASSWORD = "alice", "control-test-password"


def control_strategy(tmp_path: Path) -> tuple[Path, Path]:
    gate = tmp_path / "gate"
    path = tmp_path / "hold_eth.py"
    path.write_text(STRATEGY.replace("__GATE__", repr(str(gate))))
    return path, gate


class Executor:
    """A running `start` with its webhook, as an operator sees it."""

    def __init__(self, url: str, process: subprocess.Popen):
        self.url, self.process = url, process

    def status(self) -> dict:
        return httpx.get(self.url + "/status", auth=(USER, PASSWORD), timeout=5).json()

    def wait_for(self, predicate, what: str, timeout: float = 60) -> dict:
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"the executor exited ({self.process.returncode}) while waiting for {what}: {self.process.stderr.read()[-3000:]}")
            try:
                last = self.status()
                if predicate(last):
                    return last
            except httpx.TransportError:
                pass
            time.sleep(0.05)
        raise AssertionError(f"timed out waiting for {what}; last /status {last}")

    def post(self, path: str) -> str:
        answer = httpx.post(self.url + path, auth=(USER, PASSWORD), timeout=5)
        assert answer.status_code == 202, answer.text
        body = answer.json()
        assert body["status"] == "queued"
        return body["command_id"]

    def row(self, status: dict, command_id: str) -> dict:
        return next(row for row in status["control_commands"] if row["command_id"] == command_id)

    def outcome(self, command_id: str) -> dict:
        status = self.wait_for(lambda s: self.row(s, command_id)["status"] != "queued", f"command {command_id} to run")
        return self.row(status, command_id)


def test_control_endpoints_pause_resume_and_close_a_live_executor(anvil, deployment, tmp_path, discord):  # noqa: F811 - the fixture
    discord_url, messages = discord
    strategy_file, gate = control_strategy(tmp_path)
    state_file = tmp_path / "state.json"
    port = free_port()
    env = live_env(
        deployment, strategy_file, state_file, RUN_SINGLE_CYCLE="false", POSITION_TRIGGER_CHECK_MINUTES="0.01", HTTP_ENABLED="true", HTTP_PORT=str(port),
        HTTP_USERNAME=USER, HTTP_PASSWORD=PASSWORD, DISCORD_WEBHOOK_URL=discord_url + "/api/webhooks/1/x",
    )
    executor = Executor(f"http://127.0.0.1:{port}", launch(env))
    wallet = None
    try:
        first = executor.wait_for(lambda s: s["cycles"] >= 1, "the first cycle (it buys position #1)")
        assert (first["control_enabled"], first["paused"], first["control_commands"]) == (True, False, [])
        wallet = JSONFileStore(state_file).load().live.hot_wallet

        # Refused: no credentials, or a browser on another site (a cross-site form post carries cached credentials).
        assert httpx.post(executor.url + "/control/close-all").status_code == 401
        cross_site = httpx.post(executor.url + "/control/close-all", auth=(USER, PASSWORD), headers={"Origin": "http://evil.example"})
        assert cross_site.status_code == 403 and "another site" in cross_site.json()["detail"]

        # close-position: the position is sold with a cycle's rules, and /status says so.
        closed = executor.outcome(executor.post("/control/close-position/1"))
        assert (closed["status"], closed["action"], closed["position_id"], closed["trade_ids"]) == ("done", "close-position", 1, [2])
        assert closed["requested_by"] == f"{USER} (webhook, 127.0.0.1)" and "Sold #1 ETH-USDC" in closed["message"]
        assert swaps_on_chain(deployment, wallet) == 2

        # A command that arrives while a step runs waits for the step: the held cycle's buy goes through, the pause comes after it.
        gate.touch()
        deadline = time.monotonic() + 30
        while not gate.with_suffix(".held").exists():
            assert time.monotonic() < deadline, "no cycle reached the gate"
            time.sleep(0.02)
        pause_id = executor.post("/control/pause")
        for _ in range(5):  # the step is held: the command stays queued, nothing changes
            held = executor.status()
            assert executor.row(held, pause_id)["status"] == "queued" and held["paused"] is False
            time.sleep(0.05)
        gate.unlink()
        paused = executor.outcome(pause_id)
        assert paused["status"] == "done" and "no new positions" in paused["message"]
        status = executor.status()
        assert (status["paused"], status["paused_by"]) == (True, f"{USER} (webhook, 127.0.0.1)")
        state = JSONFileStore(state_file).load()
        (position,) = state.portfolio.open_positions.values()
        (buy,) = position.trades.values()
        assert (position.position_id, buy.status) == (2, TradeStatus.success)
        assert buy.executed_at <= state.live.control_log[-1].executed_at

        # Paused: a stop loss still fires (the pool falls 30% and stays there) ...
        Adversary(anvil, deployment).dump("ETH-USDC", "0.3")
        advance_time(anvil, 60)  # the market holds the fall past the TWAP window
        executor.wait_for(lambda s: s["frozen_positions"] == 0 and not JSONFileStore(state_file).load().portfolio.open_positions, "the stop loss")
        # ... and the next cycles' buys are skipped with the reason, nothing sent.
        cycles = executor.status()["cycles"]
        executor.wait_for(lambda s: s["cycles"] >= cycles + 1, "a cycle while paused")
        state = JSONFileStore(state_file).load()
        assert state.portfolio.closed_positions[2].closed_by() is TradeType.stop_loss
        skipped = [t for t in state.portfolio.unfilled_trades.values() if t.is_buy]
        assert skipped and all(t.status is TradeStatus.skipped and t.failure_reason.startswith("paused by the operator (alice") for t in skipped)
        assert not state.portfolio.open_positions and swaps_on_chain(deployment, wallet) == 4  # buy, close, buy, stop loss

        # An unknown position: refused, with the reason on /status.
        unknown = executor.outcome(executor.post("/control/close-position/99"))
        assert unknown["status"] == "refused" and unknown["message"].startswith("There is no position #99.")

        # Resume: the strategy buys again; close-all sells it.
        assert executor.outcome(executor.post("/control/resume"))["status"] == "done"
        executor.wait_for(lambda s: not s["paused"] and JSONFileStore(state_file).load().portfolio.open_positions, "a buy after resume")
        (bought,) = JSONFileStore(state_file).load().portfolio.open_positions  # its number is past those of the skipped buys' positions
        sold = executor.outcome(executor.post("/control/close-all"))
        assert (sold["status"], sold["message"]) == ("done", f"Sold #{bought} ETH-USDC.")

        assert executor.outcome(executor.post("/control/pause"))["status"] == "done"
        executor.process.send_signal(signal.SIGTERM)
        assert executor.process.wait(timeout=30) == 0, executor.process.stderr.read()
    finally:
        if executor.process.poll() is None:
            executor.process.kill()
            executor.process.wait()
        if gate.exists():
            gate.unlink()

    # The pause is in the state: a restarted executor (no webhook at all) still buys nothing.
    restarted = start(live_env(deployment, strategy_file, state_file))
    assert restarted.returncode == 0, restarted.stderr
    state = JSONFileStore(state_file).load()
    assert state.live.pause is not None and not state.portfolio.open_positions
    assert swaps_on_chain(deployment, wallet) == 6
    log = [(r.action, r.position_id, r.outcome) for r in state.live.control_log]
    assert log == [("close-position", 1, "done"), ("pause", None, "done"), ("close-position", 99, "refused"), ("resume", None, "done"), ("close-all", None, "done"), ("pause", None, "done")]
    assert all(r.requested_by == f"{USER} (webhook, 127.0.0.1)" and r.requested_at <= r.executed_at for r in state.live.control_log)
    texts = [m["body"]["content"] for m in messages]  # at most 5 messages per 10 s: the first command's is among them
    assert "hold_eth: alice (webhook, 127.0.0.1) asked to close-position #1: done. Sold #1 ETH-USDC." in texts, texts
