"""`perform-test-trade --simulate` on a Uniswap v3 strategy, through the real CLI: the test trade runs on a fork of
the v3 devnet (SwapRouter02, the pool's oracle), prints the rehearsal report, and the real chain does not move.
"""

from __future__ import annotations

import subprocess

import pytest

from trade_executor.chain.transactions import TransactionBuilder
from trade_executor.execution.uniswap_v3.oracle import increase_cardinality

from .conftest import NARROW_POOL
from .test_live_v3 import STRATEGY, advance, balance
from .test_live_v3_crash import TRADE_EXECUTOR, funded_wallet, live_env, swaps_by


@pytest.fixture(scope="module")
def chain(web3, v3, deployer):
    increase_cardinality(TransactionBuilder(web3, deployer), v3.pools[NARROW_POOL], 200)
    advance(web3, 20 * 60)
    return v3


def test_a_simulated_v3_test_trade_reports_on_a_fork_and_leaves_the_real_chain_as_it_was(web3, chain, deployer, tmp_path):
    wallet, key = funded_wallet(web3, chain, deployer)
    strategy_file, state_file = tmp_path / "alternate_v3.py", tmp_path / "state" / "alternate_v3.json"
    strategy_file.write_text(STRATEGY)
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    before = (web3.eth.get_transaction_count(wallet.address), web3.eth.get_balance(wallet.address), balance(web3, chain.usdc, wallet.address), web3.eth.block_number)

    env = live_env(chain, strategy_file, state_file, key, LOG_LEVEL="info", TMPDIR=str(temporary))
    result = subprocess.run([str(TRADE_EXECUTOR), "perform-test-trade", "--simulate"], env=env, capture_output=True, text=True, timeout=180)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "Dress rehearsal on a fork of chain" in out and "All ok" in out
    assert "What would have happened:" in out and "Trades (2, 2 filled):" in out
    assert " buy ETH-USDC: " in out and " sell ETH-USDC: " in out
    assert "Wallet on the fork: native 10.000000000000000000 -> 9.99" in out and "USDC 10000.000000 -> 9999.99" in out
    assert f"Fork discarded; {state_file} was not modified." in out

    after = (web3.eth.get_transaction_count(wallet.address), web3.eth.get_balance(wallet.address), balance(web3, chain.usdc, wallet.address), web3.eth.block_number)
    assert after == before and swaps_by(web3, chain.pools[NARROW_POOL], wallet.address) == 0  # the real chain did not move
    assert not state_file.exists() and list(temporary.iterdir()) == []


def test_a_simulated_v3_start_runs_a_cycle_on_a_fork_and_leaves_the_real_chain_as_it_was(web3, chain, deployer, tmp_path):
    wallet, key = funded_wallet(web3, chain, deployer)
    strategy_file, state_file = tmp_path / "alternate_v3.py", tmp_path / "state" / "alternate_v3.json"
    strategy_file.write_text(STRATEGY)
    before = (web3.eth.get_transaction_count(wallet.address), web3.eth.get_balance(wallet.address), balance(web3, chain.usdc, wallet.address), web3.eth.block_number)

    env = live_env(chain, strategy_file, state_file, key, LOG_LEVEL="info")
    assert env["EXECUTION_TYPE"] == "uniswap_v3_hot_wallet"
    result = subprocess.run([str(TRADE_EXECUTOR), "start", "--simulate"], env=env, capture_output=True, text=True, timeout=180)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "Cycle 1 of 1 at " in out and "1 trade(s)" in out and " buy ETH-USDC: " in out
    assert "USDC 10000.000000 -> 7500.000000" in out

    after = (web3.eth.get_transaction_count(wallet.address), web3.eth.get_balance(wallet.address), balance(web3, chain.usdc, wallet.address), web3.eth.block_number)
    assert after == before and not state_file.exists()
