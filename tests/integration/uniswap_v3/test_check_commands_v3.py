"""`check-wallet` and `check-universe` on a Uniswap v3 strategy, through the CLI on a v3 devnet: each pair's pool, fee
tier and route, and whether the pool's oracle covers the TWAP window (with the fix, increase_cardinality, when not).
"""

from __future__ import annotations

import subprocess

import pytest

from trade_executor.chain.transactions import TransactionBuilder
from trade_executor.execution.uniswap_v3.oracle import increase_cardinality
from trade_executor.state import JSONFileStore, TradeStatus

from .conftest import NARROW_POOL
from .test_live_v3 import STRATEGY, advance
from .test_live_v3_crash import TRADE_EXECUTOR, funded_wallet, live_env

pytestmark = pytest.mark.xdist_group("v3-check-commands")  # with -n, one worker: the tests follow the pool's oracle as it ages


@pytest.fixture(scope="module")
def env(web3, v3, deployer, tmp_path_factory):
    folder = tmp_path_factory.mktemp("check-v3")
    strategy_file = folder / "alternate_v3.py"
    strategy_file.write_text(STRATEGY)
    _, key = funded_wallet(web3, v3, deployer)
    return live_env(v3, strategy_file, folder / "state" / "alternate_v3.json", key)


def run(command: str, env: dict) -> str:
    result = subprocess.run([str(TRADE_EXECUTOR), command], env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_a_young_pool_shows_its_route_and_that_its_oracle_does_not_cover_the_window(env, v3):
    pool = v3.pools[NARROW_POOL]
    for command in ("check-wallet", "check-universe"):
        out = run(command, env)
        assert f"ETH-USDC: Uniswap v3 pool {pool} fee tier 0.3%, route USDC -> ETH (1 hop)" in out, out
        assert "oracle: observation cardinality 1; does NOT cover the 15-min TWAP window" in out, out
        assert f"increase_cardinality(builder, '{pool}', 77)" in out


def test_after_increase_cardinality_and_a_window_the_oracle_covers_it(env, web3, v3, deployer):
    increase_cardinality(TransactionBuilder(web3, deployer), v3.pools[NARROW_POOL], 200)
    advance(web3, 20 * 60)
    for command in ("check-wallet", "check-universe"):
        out = run(command, env)
        assert "oracle: observation cardinality 1 (growing to 200); covers the 15-min TWAP window" in out, out  # the slots fill as swaps come


def test_start_with_the_v3_hot_wallet_type_trades_the_v3_pool(env, web3, v3, deployer):
    """The oracle made to cover the window here too: with -n this test may run in another worker than the one above."""
    increase_cardinality(TransactionBuilder(web3, deployer), v3.pools[NARROW_POOL], 200)
    advance(web3, 20 * 60)
    result = subprocess.run([str(TRADE_EXECUTOR), "start"], env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert env["EXECUTION_TYPE"] == "uniswap_v3_hot_wallet" and "Completed 1 cycle(s)" in result.stdout
    (position,) = JSONFileStore(env["STATE_FILE"]).load().portfolio.open_positions.values()
    (buy,) = position.trades.values()
    assert buy.status is TradeStatus.success and buy.executed_reserve == 2_500



@pytest.mark.parametrize(("exchange", "given"), [("uniswap-v3", "uniswap_v2_hot_wallet"), ("uniswap-v2", "uniswap_v3_hot_wallet")])
def test_a_hot_wallet_type_of_the_other_exchange_kind_is_one_clear_error_naming_both(env, tmp_path, exchange, given):
    strategy_file = tmp_path / "alternate.py"
    strategy_file.write_text(STRATEGY.replace('exchange = "uniswap-v3"', f'exchange = "{exchange}"'))
    state_file = tmp_path / "state.json"
    for command in ("start", "check-universe"):
        result = subprocess.run(
            [str(TRADE_EXECUTOR), command], env={**env, "STRATEGY_FILE": str(strategy_file), "STATE_FILE": str(state_file), "EXECUTION_TYPE": given},
            capture_output=True, text=True, timeout=120,
        )
        assert result.returncode != 0
        message = f"EXECUTION_TYPE={given} does not fit the strategy's exchange '{exchange}': uniswap_v2_hot_wallet trades Uniswap v2 style pools, uniswap_v3_hot_wallet Uniswap v3 style ones."
        assert result.stderr.count(message) == 1, result.stderr
        assert "Traceback" not in result.stderr and not state_file.exists()
