"""devnet + start, as a user runs them: several live cycles on a moving market, a crash in the middle."""

import os
import signal
import subprocess
import time

import pytest
from dotenv import dotenv_values

from trade_executor.chain.connection import create_web3
from trade_executor.chain.wallet import HotWallet
from trade_executor.devnet.anvil import free_port
from trade_executor.execution.uniswap_v2.treasury import check_accounts
from trade_executor.state import JSONFileStore, TradeStatus

from .test_crash_recovery import SWAP_TOPIC, TRADE_EXECUTOR

STRATEGY = '''
"""Ride short moves: buy when the last closed 5-second candle rose, sell after it falls, with a trailing stop."""
import math
from decimal import Decimal
from trade_executor.strategy.api import ChainId, IndicatorSet

trading_strategy_engine_version = "1.0"
trading_strategy_cycle = "5s"
chain_id = ChainId.anvil
exchange = "uniswap-v2"
reserve_currency = "USDC"


class Parameters:
    initial_cash = 10_000
    slippage_tolerance = 0.02


def create_trading_universe(timestamp, data, execution_context, options):
    return data.embedded(["ETH"])


def create_indicators(timestamp, parameters, universe, execution_context):
    indicators = IndicatorSet()
    indicators.add("change", lambda close: close.pct_change())
    return indicators


def decide_trades(input):
    pm = input.position_manager
    change = input.indicators.get("change")
    if pm.is_any_open():
        return pm.close_all()  # hold one cycle at most: many trades for the test
    if math.isnan(change) or change >= -0.5:  # nearly always: the market simulator moves every second
        return pm.open_long(input.universe.get_single_pair(), pm.get_current_cash() * Decimal("0.5"), trailing_stop_loss_pct=0.8)
    return []
'''


def wait_for(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture
def devnet(tmp_path):
    env_file = tmp_path / "devnet.env"
    process = subprocess.Popen(
        [str(TRADE_EXECUTOR), "devnet", f"--port={free_port()}", f"--write-env-file={env_file}", "--market-simulator", "--simulator-interval=1", "--liquidity-usd=1000000"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    try:
        wait_for(lambda: env_file.exists() or process.poll() is not None, 60, "the devnet's env file")
        assert process.poll() is None, process.stdout.read()
        yield env_file
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=30)


def test_devnet_and_live_start_trade_for_several_cycles_and_survive_a_crash(devnet, tmp_path):
    strategy = tmp_path / "ride.py"
    strategy.write_text(STRATEGY)
    state_file = tmp_path / "ride.json"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TOKEN_", "JSON_RPC", "TRADE_EXECUTOR_CRASH", "PRIVATE_KEY"))}
    args = [str(TRADE_EXECUTOR), f"--env-file={devnet}", "start", f"--strategy-file={strategy}", "--execution-type=uniswap_v2_hot_wallet", f"--state-file={state_file}", "--position-trigger-check-minutes=0.02"]

    crashed = subprocess.run([*args, "--max-cycles=5"], env={**env, "TRADE_EXECUTOR_CRASH_AT": "after_broadcast"}, capture_output=True, text=True, timeout=120)
    assert crashed.returncode == -signal.SIGKILL, crashed.stderr
    before = JSONFileStore(state_file).load()
    (pending,) = [t for p in before.portfolio.open_positions.values() for t in p.trades.values()]
    assert pending.status is TradeStatus.started  # signed and sent, but the process died before recording it

    resumed = subprocess.run([*args, "--max-cycles=4"], env=env, capture_output=True, text=True, timeout=180)
    assert resumed.returncode == 0, resumed.stderr
    assert "Completed 4 cycle(s)" in resumed.stdout

    state = JSONFileStore(state_file).load()
    trades = [t for p in state.portfolio.get_all_positions() for t in p.trades.values()]
    assert all(t.status is TradeStatus.success for t in trades), [(t.trade_id, t.status, t.failure_reason) for t in trades]
    assert len(trades) >= 4
    assert trades[0].trade_id == pending.trade_id and trades[0].blockchain_transactions[-1].tx_hash == pending.blockchain_transactions[-1].tx_hash

    settings = dotenv_values(devnet)
    web3 = create_web3(settings["JSON_RPC_ANVIL"])
    wallet = HotWallet(settings["PRIVATE_KEY"]).address
    logs = web3.eth.get_logs({"address": settings["PAIR_ETH_USDC"], "topics": [SWAP_TOPIC], "fromBlock": 0, "toBlock": "latest"})
    ours = [log for log in logs if bytes(log["topics"][2])[-20:].hex() == wallet.lower().removeprefix("0x")]
    assert len(ours) == len(trades)  # every decided trade on chain exactly once
    check_accounts(web3, state, wallet)  # and the state equals the chain
    assert state.live.cycles_completed >= 4
