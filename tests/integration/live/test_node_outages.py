"""Outages are normal: a live `start` rides out a node that stops answering, up to a budget, and says so once."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from decimal import Decimal

import pytest

from trade_executor.chain.connection import create_web3
from trade_executor.chain.wallet import HotWallet
from trade_executor.devnet.anvil import ANVIL_PRIVATE_KEYS, Anvil, free_port
from trade_executor.devnet.deploy import deploy_uniswap_v2
from trade_executor.execution.uniswap_v2.treasury import check_accounts
from trade_executor.state import JSONFileStore, TradeStatus
from trade_executor.testing.rpc_proxy import FaultyRpcProxy, Http502

from .conftest import HOT_WALLET_KEY, age_pools
from .test_crash_recovery import TRADE_EXECUTOR, live_env, swaps_on_chain
from .test_notifications_and_metrics import WEBHOOK_PATH, discord  # noqa: F401 - the fixture
from .test_webhook_live import STRATEGY, poll


@pytest.fixture
def fast_strategy(tmp_path):
    path = tmp_path / "alternate_2s.py"
    path.write_text(STRATEGY)
    return path


def deploy(anvil: Anvil):
    deployment = deploy_uniswap_v2(
        create_web3(anvil.url), HotWallet(ANVIL_PRIVATE_KEYS[0]), prices={"ETH": Decimal("300")}, liquidity_usd=Decimal(1_000_000),
        fund_address=HotWallet(HOT_WALLET_KEY).address,
    )
    age_pools(anvil)
    return deployment


def launch(env) -> subprocess.Popen:
    return subprocess.Popen([str(TRADE_EXECUTOR), "start"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def settle(process: subprocess.Popen, timeout: float = 120) -> tuple[str, str]:
    out, err = process.communicate(timeout=timeout)
    return out, err


def wait_for_cycles(state_file, cycles: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if JSONFileStore(state_file).load().live.cycles_completed >= cycles:
                return
        except Exception:  # noqa: BLE001 - not written yet
            pass
        time.sleep(0.05)
    raise AssertionError(f"no {cycles} completed cycle(s) in {state_file} within {timeout} s")


def trades_of(state_file):
    state = JSONFileStore(state_file).load()
    return state, sorted((t for p in state.portfolio.get_all_positions() for t in p.trades.values()), key=lambda t: t.trade_id)


def test_a_node_restarted_mid_run_is_ridden_out_reported_once_and_nothing_trades_twice(tmp_path, fast_strategy, discord):  # noqa: F811
    chain = tmp_path / "chain.json"
    port = free_port()
    node = Anvil(port=port, state_path=chain)
    deployment = deploy(node)
    http_port = free_port()
    status_url = f"http://127.0.0.1:{http_port}/status"
    chat, received = discord
    state_file = tmp_path / "state.json"
    env = live_env(
        deployment, fast_strategy, state_file, RUN_SINGLE_CYCLE="false", MAX_CYCLES="6", POSITION_TRIGGER_CHECK_MINUTES="0.01",
        HTTP_ENABLED="true", HTTP_PORT=str(http_port), RPC_OUTAGE_TOLERANCE_SECONDS="120", DISCORD_WEBHOOK_URL=chat + WEBHOOK_PATH, LOG_LEVEL="warning",
    )
    process = launch(env)
    try:
        poll(status_url, lambda s: s["cycles"] >= 1, 90, "a completed cycle", process)
        os.kill(node.process.pid, signal.SIGINT)  # anvil writes its chain to --state and exits: the node is gone
        node.process.wait(timeout=20)
        down = poll(status_url, lambda s: s["node_outage"] is not None, 60, "/status to show the outage", process)
        assert down["executor_running"] is True and "ConnectionError" in down["node_outage"]["error"]
        node = Anvil(port=port, state_path=chain)  # the same chain comes back on the same port
        out, err = settle(process)
    finally:
        process.kill()
        node.stop()
    assert process.returncode == 0, err
    assert "Completed 6 cycle(s)" in out
    assert err.count("does not answer") == 1 and err.count("answers again") == 1
    texts = [r["body"]["content"] for r in received]
    assert sum("the node does not answer" in t for t in texts) == 1 and sum("the node answers again" in t for t in texts) == 1
    with Anvil(port=port, state_path=chain) as again:
        state, trades = trades_of(state_file)
        assert all(t.status is TradeStatus.success for t in trades), [(t.trade_id, t.status, t.failure_reason) for t in trades]
        assert again.url == deployment.url
        assert swaps_on_chain(deployment, state.live.hot_wallet) == len(trades)  # each decided trade on chain once
        check_accounts(create_web3(again.url), state, state.live.hot_wallet)


def test_http_502_bursts_are_retried_and_the_run_completes(anvil, deployment, tmp_path, fast_strategy):
    with FaultyRpcProxy(anvil.url) as proxy:
        state_file = tmp_path / "state.json"
        env = live_env(deployment, fast_strategy, state_file, JSON_RPC_ANVIL=proxy.url, RUN_SINGLE_CYCLE="false", MAX_CYCLES="3", POSITION_TRIGGER_CHECK_MINUTES="0.01")
        process = launch(env)
        wait_for_cycles(state_file, 1)  # between cycles: the next requests are trigger checks' pool reads
        proxy.add_fault(Http502(None, times=10))  # every request fails for a while: more than one request's own retries (4 attempts)
        out, err = settle(process)
    assert process.returncode == 0, err
    assert err.count("does not answer") == 1 and err.count("answers again") == 1
    state, trades = trades_of(state_file)
    assert len(trades) == 3 and all(t.status is TradeStatus.success for t in trades)
    assert swaps_on_chain(deployment, state.live.hot_wallet) == 3
    check_accounts(create_web3(anvil.url), state, state.live.hot_wallet)


def test_a_paused_node_is_waited_for_and_trading_goes_on(anvil, deployment, tmp_path, fast_strategy):
    state_file = tmp_path / "state.json"
    env = live_env(deployment, fast_strategy, state_file, RUN_SINGLE_CYCLE="false", MAX_CYCLES="4", POSITION_TRIGGER_CHECK_MINUTES="0.01")
    process = launch(env)
    try:
        wait_for_cycles(state_file, 1)
        os.kill(anvil.process.pid, signal.SIGSTOP)  # the node freezes: requests wait, nothing answers
        time.sleep(3)  # the outage itself: the length of time the node is away, not a wait for a result
        os.kill(anvil.process.pid, signal.SIGCONT)
        out, err = settle(process)
    finally:
        os.kill(anvil.process.pid, signal.SIGCONT)
        process.kill()
    assert process.returncode == 0, err
    assert "Completed 4 cycle(s)" in out
    state, trades = trades_of(state_file)
    assert len(trades) == 4 and all(t.status is TradeStatus.success for t in trades)
    assert swaps_on_chain(deployment, state.live.hot_wallet) == 4
    check_accounts(create_web3(anvil.url), state, state.live.hot_wallet)


def test_a_node_down_for_longer_than_the_budget_stops_with_one_clear_line(anvil, deployment, tmp_path, fast_strategy):
    proxy = FaultyRpcProxy(anvil.url).start()
    state_file = tmp_path / "state.json"
    env = live_env(
        deployment, fast_strategy, state_file, JSON_RPC_ANVIL=proxy.url + "/v3/budget-key-0123456789", RUN_SINGLE_CYCLE="false",
        MAX_CYCLES="50", POSITION_TRIGGER_CHECK_MINUTES="0.01", RPC_OUTAGE_TOLERANCE_SECONDS="3",
    )
    process = launch(env)
    try:
        wait_for_cycles(state_file, 1)
        proxy.stop()  # the node is gone for good
        started = time.monotonic()
        out, err = settle(process)
        waited = time.monotonic() - started
    finally:
        proxy.stop()
        process.kill()
    assert process.returncode != 0
    assert "has not answered for" in err and "RPC_OUTAGE_TOLERANCE_SECONDS=3" in err
    assert "budget-key-0123456789" not in out + err  # the node URL is named redacted
    assert "Traceback" not in err
    assert waited < 60
    assert HOT_WALLET_KEY.removeprefix("0x") not in out + err
