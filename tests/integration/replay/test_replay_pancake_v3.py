"""Replay on PancakeSwap v3 pools: a strategy with exchange = "pancakeswap-v3" is replayed on the pools of
deploy_pancake_v3 (PancakeSwap's own factory and pool bytecode, the stand-ins of its router and minter),
not on Uniswap's, and backtest and live agree on decisions, fills (0.05%) and equity (0.1%). A v3 fork
the devnet cannot deploy is refused by name, through the real command.
"""

import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pandas as pd

from trade_executor.devnet.deploy_pancake_v3 import PANCAKESWAP_V3
from trade_executor.devnet.deploy_v3 import compute_pool_address
from trade_executor.replay.driver import ReplayOptions, run_replay

from .replay_checks import assert_agree, live_trades, report

REPO = Path(__file__).resolve().parents[3]
TRADE_EXECUTOR = Path(sys.executable).parent / "trade-executor"
PANCAKE = REPO / "tests/strategies/momentum_pancake_v3.py"
FEES = {"ETH-USDC": Decimal("0.0025"), "BTC-USDC": Decimal("0.0005")}  # ETH in the 0.25% pool: a tier Uniswap v3 has not


def test_a_pancakeswap_v3_strategy_replays_on_pancakeswap_pools_trade_for_trade(tmp_path):
    result = run_replay(ReplayOptions(PANCAKE, tmp_path / "replay.json", pd.Timestamp("2018-02-15"), pd.Timestamp("2018-02-22")))  # flat at the end
    report("PancakeSwap v3 replay (ETH 0.25%, BTC 0.05%)", result)
    assert result.cycles == 43
    assert_agree(result)
    assert len(result.comparison.rows) >= 4 and {row.ticker for row in result.comparison.rows} == set(FEES)
    assert not result.live.portfolio.open_positions

    v3 = result.deployment.v3
    assert (result.deployment.v2, v3.exchange, v3.quoter_v2) == (None, "pancakeswap-v3", None)  # PancakeSwap's deployment, no Uniswap contract
    assert v3.pool_deployer != v3.factory  # PancakeSwap's separate PancakeV3PoolDeployer
    assert result.pool_moves > 0  # the pools moved by swaps through the router stand-in (its pancakeV3SwapCallback pays them)
    for trade in live_trades(result.live):  # swapped through PancakeSwap's router stand-in, in pools at PancakeSwap's CREATE2 addresses
        pair = trade.pair
        assert (pair.exchange_slug, pair.fee) == ("pancakeswap-v3", FEES[pair.ticker])
        expected_pool = compute_pool_address(v3.pool_deployer, pair.base.address, pair.quote.address, int(pair.fee * 1_000_000), PANCAKESWAP_V3.pool_init_code_hash)
        assert pair.pool_address == expected_pool
        transaction = trade.blockchain_transactions[-1]
        assert (transaction.contract_address, transaction.function_name) == (v3.swap_router02, "multicall(exactInputSingle)")


def test_a_strategy_on_a_v3_fork_the_devnet_cannot_deploy_is_refused_by_name(tmp_path):
    fork = tmp_path / "momentum_fork_v3.py"
    source = PANCAKE.read_text().replace('exchange = "pancakeswap-v3"', 'exchange = "sushiswap-v3"').replace('"ETH": 0.0025', '"ETH": 0.003')
    fork.write_text(source.replace("Path(__file__).resolve().parents[2]", f"Path({str(REPO)!r})"))  # loads the example from the repository
    state_file = tmp_path / "replay.json"
    args = [str(TRADE_EXECUTOR), "replay", f"--strategy-file={fork}", "--start=2018-02-15", "--end=2018-02-22", f"--state-file={state_file}"]
    completed = subprocess.run(args, cwd=REPO, capture_output=True, text=True, timeout=120)
    assert completed.returncode != 0, completed.stdout
    assert "The replay cannot deploy sushiswap-v3 (ETH-USDC, BTC-USDC on sushiswap-v3)" in completed.stderr
    assert "uniswap-v3 or pancakeswap-v3" in completed.stderr and 'exchange = "uniswap-v3"' in completed.stderr
    assert "Traceback" not in completed.stderr
    assert not state_file.exists()
