"""A universe that mixes Uniswap v2 and v3 pairs, live through the CLI on one devnet: BTC on a Uniswap v2 pool, ETH on
a Uniswap v3 0.3% pool. `check-wallet` shows each exchange and each pair's route on its own; `start` buys both pairs
from one hot wallet, each through its own router, and a cycle killed after its first swap is recovered with that
swap's venue; on paper each pair fills on its own venue's pools and nothing is sent.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from trade_executor.chain.connection import create_web3
from trade_executor.chain.transactions import TransactionBuilder
from trade_executor.chain.wallet import HotWallet
from trade_executor.devnet.anvil import ANVIL_PRIVATE_KEYS, Anvil
from trade_executor.devnet.deploy import deploy_uniswap_v2
from trade_executor.devnet.deploy_v3 import deploy_uniswap_v3, pool_key
from trade_executor.execution.uniswap_v3.oracle import increase_cardinality
from trade_executor.state import JSONFileStore, TradeStatus
from trade_executor.testing.adversary import advance_time

TRADE_EXECUTOR = Path(sys.executable).parent / "trade-executor"
STRATEGY = '''
from decimal import Decimal

from trade_executor.strategy.api import ChainId

trading_strategy_engine_version = "1.0"
trading_strategy_cycle = "1h"
chain_id = ChainId.anvil
exchange = "uniswap-v3"
reserve_currency = "USDC"


class Parameters:
    initial_cash = 10_000
    slippage_tolerance = 0.01


def create_trading_universe(timestamp, data, execution_context, options):
    return data.embedded(["ETH", "BTC"], fee={"ETH": 0.003}, exchange={"BTC": "uniswap-v2"})


def decide_trades(input):
    """Buy 1,000 USDC of each pair not held yet (ETH first: the universe's order)."""
    pm = input.position_manager
    held = {position.pair.ticker for position in pm.get_open_positions()}
    return [trade for pair in input.universe.pairs.values() if pair.ticker not in held for trade in pm.open_long(pair, Decimal(1_000))]
'''


@pytest.fixture(scope="module")
def devnet(tmp_path_factory):
    """BTC/USDC on Uniswap v2 and ETH/USDC on Uniswap v3 (0.3%, its oracle covering the 15-minute window), a funded hot wallet."""
    wallet, key = HotWallet.create()
    with Anvil(balance=1_000_000) as anvil:
        web3, deployer = create_web3(anvil.url), HotWallet(ANVIL_PRIVATE_KEYS[0])
        v2 = deploy_uniswap_v2(
            web3, deployer, prices={"BTC": Decimal("4367.4")}, liquidity_usd=Decimal(1_000_000),
            fund_address=wallet.address, fund_usdc=Decimal(10_000), fund_native=Decimal(10),
        )
        v3 = deploy_uniswap_v3(web3, deployer, prices={"ETH": Decimal(300)}, liquidity_usd=Decimal(1_000_000), fees=(3000,), v2=v2)
        increase_cardinality(TransactionBuilder(web3, deployer), v3.pools[pool_key("ETH", 3000)], 200)
        advance_time(anvil, 20 * 60)
        folder = tmp_path_factory.mktemp("mixed-live")
        strategy_file = folder / "mixed.py"
        strategy_file.write_text(STRATEGY)
        env = {k: v for k, v in os.environ.items() if not k.startswith(("TOKEN_", "JSON_RPC", "TRADE_EXECUTOR_CRASH", "UNISWAP_"))}
        env.update(
            STRATEGY_FILE=str(strategy_file), STATE_FILE=str(folder / "state" / "mixed.json"), EXECUTION_TYPE="uniswap_v3_hot_wallet",
            JSON_RPC_ANVIL=anvil.url, PRIVATE_KEY=key, UNISWAP_V2_ROUTER=v2.router, UNISWAP_V2_FACTORY=v2.factory,
            UNISWAP_V3_FACTORY=v3.factory, UNISWAP_V3_SWAP_ROUTER_02=v3.swap_router02, UNISWAP_V3_QUOTER_V2=v3.quoter_v2,
            TOKEN_USDC=v2.usdc, TOKEN_ETH=v2.weth, TOKEN_BTC=v2.tokens["BTC"], RUN_SINGLE_CYCLE="true", CONFIRMATION_TIMEOUT="20",
            LOG_LEVEL="warning", CACHE_PATH=str(folder / "cache"),
        )
        yield v2, v3, env


def run(command: str, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run([str(TRADE_EXECUTOR), command], env=env, capture_output=True, text=True, timeout=120)


def test_check_wallet_shows_each_exchange_and_each_pairs_route_on_its_own(devnet):
    v2, v3, env = devnet
    result = run("check-wallet", env)
    assert result.returncode == 0, result.stderr
    assert f"Factory {v2.factory} uses router {v2.router}" in result.stdout
    assert f"Factory {v3.factory} uses router {v3.swap_router02}" in result.stdout
    assert f"ETH-USDC: Uniswap v3 pool {v3.pools[pool_key('ETH', 3000)]} fee tier 0.3%, route USDC -> ETH (1 hop)" in result.stdout
    assert f"BTC-USDC: USDC -> BTC via pool(s) {v2.pairs['BTC-USDC']}" in result.stdout


def test_a_cycle_killed_after_its_first_swap_recovers_it_on_its_venue_and_buys_the_other_pair_on_its_own(devnet):
    """SIGKILL after ETH's swap (v3) is broadcast; the restart settles it with the v3 model and buys BTC through the v2 router."""
    v2, v3, env = devnet
    killed = subprocess.run([str(TRADE_EXECUTOR), "start"], env={**env, "TRADE_EXECUTOR_CRASH_AT": "after_broadcast"}, capture_output=True, text=True, timeout=120)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    result = run("start", env)
    assert result.returncode == 0, result.stderr
    assert "Recovery: trade #1: found on chain in block" in result.stderr and "settled (success)" in result.stderr
    state = JSONFileStore(env["STATE_FILE"]).load()
    trades = {t.pair.ticker: t for p in state.portfolio.open_positions.values() for t in p.trades.values()}
    assert len(state.portfolio.open_positions) == 2
    (never_sent,) = state.portfolio.unfilled_trades.values()  # BTC's buy of the killed cycle: never signed, decided again
    assert never_sent.pair.ticker == "BTC-USDC" and never_sent.failure_reason.startswith("never signed before the executor stopped")
    web3 = create_web3(env["JSON_RPC_ANVIL"])
    assert web3.eth.get_transaction_count(state.live.hot_wallet) == 4  # two approvals, two swaps: none sent twice
    assert set(trades) == {"ETH-USDC", "BTC-USDC"}
    eth, btc = trades["ETH-USDC"].blockchain_transactions[-1], trades["BTC-USDC"].blockchain_transactions[-1]
    assert (trades["ETH-USDC"].pair.exchange_slug, eth.contract_address, eth.function_name) == ("uniswap-v3", v3.swap_router02, "multicall(exactInputSingle)")
    assert (trades["BTC-USDC"].pair.exchange_slug, btc.contract_address, btc.function_name) == ("uniswap-v2", v2.router, "swapExactTokensForTokens")
    assert all(t.status is TradeStatus.success and t.executed_reserve == 1_000 for t in trades.values())
    assert eth.nonce != btc.nonce


def test_paper_trading_a_mixed_universe_fills_each_pair_on_its_own_venues_pools_and_sends_nothing(devnet, tmp_path):
    v2, v3, env = devnet
    web3 = create_web3(env["JSON_RPC_ANVIL"])
    wallet = HotWallet(env["PRIVATE_KEY"]).address
    sent = web3.eth.get_transaction_count(wallet)
    result = run("start", {**env, "EXECUTION_TYPE": "paper", "STATE_FILE": str(tmp_path / "paper.json")})
    assert result.returncode == 0, result.stderr
    state = JSONFileStore(tmp_path / "paper.json").load()
    trades = {t.pair.ticker: t for p in state.portfolio.open_positions.values() for t in p.trades.values()}
    assert {t: (trade.pair.exchange_slug, trade.status, trade.executed_reserve) for t, trade in trades.items()} == {
        "ETH-USDC": ("uniswap-v3", TradeStatus.success, 1_000), "BTC-USDC": ("uniswap-v2", TradeStatus.success, 1_000),
    }
    assert web3.eth.get_transaction_count(wallet) == sent  # nothing signed or sent
