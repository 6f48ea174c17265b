"""`check-wallet` and `check-universe` on a Uniswap v3 strategy, through the CLI on a v3 devnet: each pair's pool, fee
tier and route, and whether the pool's oracle covers the TWAP window (with the fix, increase_cardinality, when not).
"""

from __future__ import annotations

import subprocess

import pytest

from trade_executor.chain.transactions import TransactionBuilder
from trade_executor.execution.uniswap_v3.oracle import increase_cardinality

from .conftest import NARROW_POOL
from .test_live_v3 import STRATEGY, advance
from .test_live_v3_crash import TRADE_EXECUTOR, funded_wallet, live_env


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

