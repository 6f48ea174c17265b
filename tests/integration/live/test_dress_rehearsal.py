"""Dress rehearsals on a fork: `perform-test-trade --simulate` and `start --simulate`, through the real CLI.

The "configured node" is our devnet's anvil behind the fault-injecting proxy, at a URL with a key in
its path, as a provider's is: the proxy's request log shows what reached the node.
"""

import subprocess
import sys
from pathlib import Path

from trade_executor.chain.connection import create_web3
from trade_executor.testing.rpc_proxy import FaultyRpcProxy

from .conftest import HOT_WALLET_KEY
from .test_crash_recovery import live_env, start, swaps_on_chain

TRADE_EXECUTOR = Path(sys.executable).parent / "trade-executor"
KEY_IN_URL = "SECRETKEY"


def run(command: list[str], env: dict) -> subprocess.CompletedProcess:
    return subprocess.run([str(TRADE_EXECUTOR), *command], env=env, capture_output=True, text=True, timeout=120)


def chain_of(web3, wallet: str) -> tuple:
    """What a transaction would change: the wallet's nonce and gas balance, the chain's height."""
    return web3.eth.get_transaction_count(wallet, "pending"), web3.eth.get_balance(wallet), web3.eth.block_number


def test_a_simulated_test_trade_trades_on_a_fork_and_sends_nothing_to_the_node(anvil, deployment, strategy_file, tmp_path):
    state_file = tmp_path / "state.json"  # no live state yet: the rehearsal starts from a new one and creates none
    web3 = create_web3(anvil.url)
    wallet = web3.eth.account.from_key(HOT_WALLET_KEY).address
    temporary = tmp_path / "tmp"  # the command's own temporary folder: other tests' rehearsals run beside it
    temporary.mkdir()
    before = chain_of(web3, wallet)
    with FaultyRpcProxy(anvil.url) as proxy:
        env = live_env(deployment, strategy_file, state_file, JSON_RPC_ANVIL=f"{proxy.url}/v3/{KEY_IN_URL}", LOG_LEVEL="info", TMPDIR=str(temporary))
        result = run(["perform-test-trade", "--simulate"], env)
        assert result.returncode == 0, result.stderr
        assert proxy.count("eth_sendRawTransaction") == 0  # the fork's reads went through the proxy; no transaction did
        assert proxy.count("eth_getStorageAt") > 0  # the fork read the real chain's state through it
    output = result.stdout + result.stderr
    assert KEY_IN_URL not in output
    assert f"{proxy.url}/***" in result.stdout  # the node is named, redacted
    assert "All ok" in result.stdout
    assert "Trades (2, 2 filled):" in result.stdout and " buy ETH-USDC: " in result.stdout and " sell ETH-USDC: " in result.stdout
    assert "Wallet on the fork: native 10.000000000000000000 -> 9.99" in result.stdout and "USDC 10000.000000 -> 9999.99" in result.stdout
    assert not state_file.exists() and not list(tmp_path.glob("state.json*"))
    assert chain_of(web3, wallet) == before and swaps_on_chain(deployment, wallet) == 0  # the real chain did not move
    assert list(temporary.iterdir()) == []  # the state copy is gone


def test_a_simulated_start_begins_from_the_live_positions_and_leaves_the_state_file_untouched(anvil, deployment, strategy_file, tmp_path):
    state_file = tmp_path / "state.json"
    live = start(live_env(deployment, strategy_file, state_file))  # the real run buys: the live state has an open position
    assert live.returncode == 0, live.stderr
    files = {p: p.read_bytes() for p in tmp_path.glob("state.json*")}
    web3 = create_web3(anvil.url)
    wallet = web3.eth.account.from_key(HOT_WALLET_KEY).address
    before = chain_of(web3, wallet)
    with FaultyRpcProxy(anvil.url) as proxy:
        env = live_env(deployment, strategy_file, state_file, JSON_RPC_ANVIL=f"{proxy.url}/v3/{KEY_IN_URL}", RUN_SINGLE_CYCLE="false")
        result = run(["start", "--simulate", "--max-cycles=2"], env)
        assert result.returncode == 0, result.stderr
        assert proxy.count("eth_sendRawTransaction") == 0
    assert KEY_IN_URL not in result.stdout + result.stderr
    # Cycle 1 sells the live position (the copy held it), cycle 2 an hour later in the fork's time buys again.
    assert "Cycle 1 of 2" in result.stdout and "Cycle 2 of 2" in result.stdout
    assert "Trades (2, 2 filled):" in result.stdout and "#2 sell ETH-USDC: " in result.stdout and "#3 buy ETH-USDC: " in result.stdout
    assert "Open positions: 1 -> 1; #2 ETH-USDC opened" in result.stdout and "#1 ETH-USDC closed" in result.stdout
    assert {p: p.read_bytes() for p in tmp_path.glob("state.json*")} == files  # byte for byte, and no new file beside it
    assert chain_of(web3, wallet) == before and swaps_on_chain(deployment, wallet) == 1


def test_simulate_refuses_a_start_that_does_not_trade_live(deployment, strategy_file, tmp_path):
    env = live_env(deployment, strategy_file, tmp_path / "state.json", EXECUTION_TYPE="backtest")
    result = run(["start", "--simulate"], env)
    assert result.returncode == 2
    assert "--simulate" in result.stderr and "EXECUTION_TYPE=uniswap_v2_hot_wallet" in result.stderr
