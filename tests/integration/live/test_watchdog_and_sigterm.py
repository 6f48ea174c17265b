"""A hang is a crash, SIGTERM is a clean stop, sys.exit() is a strategy bug: a live `start` on anvil through the CLI."""

from __future__ import annotations

import signal
import subprocess
import time

import httpx
import pytest

from trade_executor.chain.connection import create_web3
from trade_executor.devnet.anvil import free_port
from trade_executor.execution.uniswap_v2.treasury import check_accounts
from trade_executor.state import JSONFileStore, TradeStatus

from .conftest import HOT_WALLET_KEY
from .test_crash_recovery import TRADE_EXECUTOR, live_env, swaps_on_chain
from .test_node_outages import wait_for_cycles
from .test_notifications_and_metrics import WEBHOOK_PATH, discord  # noqa: F401 - the fixture
from .test_webhook_live import STRATEGY, poll

HANGS = {
    "a Python loop": "while True:\n            pass",
    "a sleep in C": "import time\n        time.sleep(3600)",
}


def strategy_hanging_in(tmp_path, body: str):
    """The 2-second alternating strategy, but its third decision never returns."""
    source = STRATEGY.replace(
        '    pm = input.position_manager\n',
        f'    pm = input.position_manager\n    if input.cycle == 3:\n        {body}\n',
    )
    path = tmp_path / "hangs.py"
    path.write_text(source)
    first = source.splitlines().index("    if input.cycle == 3:") + 2
    return path, range(first, first + len(body.splitlines()))


def launch(env) -> subprocess.Popen:
    return subprocess.Popen([str(TRADE_EXECUTOR), "start"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


@pytest.mark.parametrize("hang", list(HANGS))
def test_a_decide_trades_that_never_returns_is_reported_never_trades_and_exits_non_zero(deployment, tmp_path, discord, hang):  # noqa: F811
    strategy, lines = strategy_hanging_in(tmp_path, HANGS[hang])
    chat, received = discord
    http_port = free_port()
    state_file = tmp_path / "state.json"
    env = live_env(
        deployment, strategy, state_file, RUN_SINGLE_CYCLE="false", POSITION_TRIGGER_CHECK_MINUTES="0.01", HTTP_ENABLED="true",
        HTTP_PORT=str(http_port), CYCLE_WATCHDOG_MINUTES="0.05", DISCORD_WEBHOOK_URL=chat + WEBHOOK_PATH,
    )
    process = launch(env)
    try:
        status = poll(f"http://127.0.0.1:{http_port}/status", lambda s: s["exception"] is not None, 90, "the hang to be reported", process)
        web3 = create_web3(deployment.url)
        wallet = JSONFileStore(state_file).load().live.hot_wallet
        sent = web3.eth.get_transaction_count(wallet, "pending")
        assert status["executor_running"] is False
        assert status["exception"]["type"] == "StepHung"
        assert any(f"{strategy}:{line}" in status["exception"]["message"] for line in lines)  # where it is stuck
        assert "CYCLE_WATCHDOG_MINUTES" in status["exception"]["message"]
        deadline = time.monotonic() + 30
        while not any("StepHung" in r["body"]["content"] for r in received) and time.monotonic() < deadline:  # the crash notification
            time.sleep(0.05)
        assert any("StepHung" in r["body"]["content"] for r in received)
        assert httpx.get(f"http://127.0.0.1:{http_port}/ping", timeout=5).status_code == 200  # the webhook stays up
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=60)
    finally:
        process.kill()
    assert process.returncode not in (0, None)
    assert web3.eth.get_transaction_count(wallet, "pending") == sent  # the abandoned cycle never signed anything
    state = JSONFileStore(state_file).load()
    trades = [t for p in state.portfolio.get_all_positions() for t in p.trades.values()]
    assert [t.status for t in trades] == [TradeStatus.success, TradeStatus.success]  # cycles 1 and 2 traded; 3 hung
    assert state.live.cycles_completed == 2
    check_accounts(web3, state, wallet)
    assert HOT_WALLET_KEY.removeprefix("0x") not in out + err


def test_sigterm_finishes_the_step_saves_notifies_and_exits_0(deployment, tmp_path, discord):  # noqa: F811
    chat, received = discord
    strategy = tmp_path / "alternate_2s.py"
    strategy.write_text(STRATEGY)
    state_file = tmp_path / "state.json"
    env = live_env(
        deployment, strategy, state_file, RUN_SINGLE_CYCLE="false", POSITION_TRIGGER_CHECK_MINUTES="0.01",
        DISCORD_WEBHOOK_URL=chat + WEBHOOK_PATH, LOG_LEVEL="warning",
    )
    process = launch(env)
    try:
        wait_for_cycles(state_file, 2)
        process.send_signal(signal.SIGTERM)  # what `docker stop` sends
        out, err = process.communicate(timeout=60)
    finally:
        process.kill()
    assert process.returncode == 0, err
    state = JSONFileStore(state_file).load()
    assert f"Stopped on SIGTERM after {state.live.cycles_completed} cycle(s)" in err
    assert f"Completed {state.live.cycles_completed} cycle(s)" in out
    assert any("trading stopped after" in r["body"]["content"] for r in received)
    trades = [t for p in state.portfolio.get_all_positions() for t in p.trades.values()]
    assert trades and all(t.status is TradeStatus.success for t in trades)  # no step was cut in the middle
    web3 = create_web3(deployment.url)
    assert swaps_on_chain(deployment, state.live.hot_wallet) == len(trades)
    check_accounts(web3, state, state.live.hot_wallet)


def test_sys_exit_in_a_strategy_is_a_strategy_error_in_a_backtest(tmp_path):
    strategy = tmp_path / "exits.py"
    strategy.write_text(
        '''from trade_executor.strategy.api import ChainId
import sys

trading_strategy_engine_version = "1.0"
trading_strategy_cycle = "1d"
chain_id = ChainId.ethereum
exchange = "uniswap-v2"
reserve_currency = "USDC"


class Parameters:
    initial_cash = 10_000
    backtest_start = "2018-01-01"
    backtest_end = "2018-02-01"


def create_trading_universe(timestamp, data, execution_context, options):
    return data.embedded(["ETH"])


def decide_trades(input):
    if input.cycle == 5:
        sys.exit(0)
    return []
'''
    )
    started = time.monotonic()
    result = subprocess.run([str(TRADE_EXECUTOR), "backtest", f"--strategy-file={strategy}", f"--state-file={tmp_path / 's.json'}"], capture_output=True, text=True, timeout=120)
    assert result.returncode == 1, (result.stdout, result.stderr)
    line = strategy.read_text().splitlines().index("        sys.exit(0)") + 1
    assert f"sys.exit(0) at {strategy}:{line}" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "s.json").exists()
    assert time.monotonic() - started < 60
