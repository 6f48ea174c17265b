"""Kill the live executor (SIGKILL) at each step of a trade, restart it, and prove nothing traded twice or got lost."""

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from web3 import Web3

from trade_executor.chain.connection import create_web3
from trade_executor.execution.uniswap_v2.treasury import check_accounts
from trade_executor.failpoints import CRASH_POINTS
from trade_executor.state import JSONFileStore, TradeStatus

from .conftest import HOT_WALLET_KEY

TRADE_EXECUTOR = Path(sys.executable).parent / "trade-executor"
SWAP_TOPIC = "0x" + Web3.keccak(text="Swap(address,uint256,uint256,uint256,uint256,address)").hex().removeprefix("0x")


def live_env(deployment, strategy_file, state_file, **extra) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TOKEN_", "JSON_RPC", "TRADE_EXECUTOR_CRASH"))}
    env.update(
        STRATEGY_FILE=str(strategy_file), STATE_FILE=str(state_file), EXECUTION_TYPE="uniswap_v2_hot_wallet",
        JSON_RPC_ANVIL=deployment.url, PRIVATE_KEY=HOT_WALLET_KEY, UNISWAP_V2_ROUTER=deployment.router,
        UNISWAP_V2_FACTORY=deployment.factory, RUN_SINGLE_CYCLE="true", CONFIRMATION_TIMEOUT="20", LOG_LEVEL="warning",
        CACHE_PATH=str(cache_path_for(state_file)),
    )
    env.update({f"TOKEN_{symbol}": address for symbol, address in deployment.tokens.items()})
    env.update(extra)
    return env


def cache_path_for(state_file) -> Path:
    """Each test's own chain data (every devnet has the same pool addresses), beside the state's folder, not in it."""
    folder = Path(state_file).parent
    return folder.parent / f"{folder.name}-chain-cache"


def start(env) -> subprocess.CompletedProcess:
    return subprocess.run([str(TRADE_EXECUTOR), "start"], env=env, capture_output=True, text=True, timeout=120)


def swaps_on_chain(deployment, wallet: str) -> int:
    web3 = create_web3(deployment.url)
    logs = web3.eth.get_logs({"address": deployment.pairs["ETH-USDC"], "topics": [SWAP_TOPIC], "fromBlock": 0, "toBlock": "latest"})
    return sum(1 for log in logs if Web3.to_checksum_address("0x" + bytes(log["topics"][2])[-20:].hex()) == wallet)


@pytest.mark.parametrize("crash_at", CRASH_POINTS)
def test_a_kill_at_any_step_of_a_trade_loses_nothing_and_trades_nothing_twice(deployment, strategy_file, tmp_path, crash_at):
    state_file = tmp_path / "state.json"
    killed = start(live_env(deployment, strategy_file, state_file, TRADE_EXECUTOR_CRASH_AT=crash_at))
    assert killed.returncode == -signal.SIGKILL, killed.stderr

    # Restart: recovery resolves the buy from the chain, then this cycle decides and makes the sell.
    restarted = start(live_env(deployment, strategy_file, state_file))
    assert restarted.returncode == 0, restarted.stderr

    state = JSONFileStore(state_file).load()
    trades = sorted((t for p in state.portfolio.get_all_positions() for t in p.trades.values()), key=lambda t: t.trade_id)
    assert [(t.trade_id, t.is_buy, t.status) for t in trades] == [(1, True, TradeStatus.success), (2, False, TradeStatus.success)]
    wallet = deployment.hot_wallet or create_web3(deployment.url).eth.account.from_key(HOT_WALLET_KEY).address
    assert swaps_on_chain(deployment, wallet) == 2  # each decided trade on chain exactly once
    check_accounts(create_web3(deployment.url), state, wallet)  # state equals on-chain balances
    hashes = [t.blockchain_transactions[-1].tx_hash for t in trades]
    assert len(set(hashes)) == 2


def test_a_trade_not_on_chain_can_be_cancelled_instead_of_rebroadcast(deployment, strategy_file, tmp_path):
    state_file = tmp_path / "state.json"
    killed = start(live_env(deployment, strategy_file, state_file, TRADE_EXECUTOR_CRASH_AT="after_sign"))
    assert killed.returncode == -signal.SIGKILL
    signed_hash = JSONFileStore(state_file).load().portfolio.open_positions[1].trades[1].blockchain_transactions[-1].tx_hash

    restarted = start(live_env(deployment, strategy_file, state_file, UNRESOLVED_TRADES="fail"))
    assert restarted.returncode == 0, restarted.stderr
    state = JSONFileStore(state_file).load()
    cancelled = state.portfolio.unfilled_trades[1]  # no token moved: recorded apart, no position frozen
    assert cancelled.status is TradeStatus.failed
    assert "cancelled" in cancelled.failure_reason
    assert not state.portfolio.frozen_positions
    web3 = create_web3(deployment.url)
    assert web3.eth.get_transaction_count(web3.eth.account.from_key(HOT_WALLET_KEY).address, "latest") >= 3
    with pytest.raises(Exception):  # noqa: B017 - web3 raises TransactionNotFound: the signed swap can never be mined now
        web3.eth.get_transaction_receipt(signed_hash)
    # The cycle after recovery was a new decision: one new buy, and it is the only swap on chain.
    (position,) = state.portfolio.open_positions.values()
    assert [t.status for t in position.trades.values()] == [TradeStatus.success]
    assert swaps_on_chain(deployment, web3.eth.account.from_key(HOT_WALLET_KEY).address) == 1
