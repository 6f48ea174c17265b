"""The stale-data guard is on by default: three cycles without a new candle and live trading refuses to trade."""

from __future__ import annotations

import subprocess
import time
from decimal import Decimal

from trade_executor.chain.connection import create_web3
from trade_executor.chain.wallet import HotWallet
from trade_executor.devnet.anvil import ANVIL_PRIVATE_KEYS, Anvil
from trade_executor.devnet.deploy import deploy_uniswap_v2
from trade_executor.state import JSONFileStore

from .conftest import HOT_WALLET_KEY, age_pools
from .test_crash_recovery import TRADE_EXECUTOR, live_env, start


def test_a_pool_without_a_candle_for_three_cycles_stops_live_trading_without_any_setting(strategy_file, tmp_path):
    five_hours_ago = int(time.time()) - 5 * 3600
    with Anvil(timestamp=five_hours_ago) as node:  # the pool last traded five hours ago: its latest hourly candle is that old
        deployment = deploy_uniswap_v2(
            create_web3(node.url), HotWallet(ANVIL_PRIVATE_KEYS[0]), prices={"ETH": Decimal("300")}, liquidity_usd=Decimal(1_000_000),
            fund_address=HotWallet(HOT_WALLET_KEY).address,
        )
        age_pools(node)
        state_file = tmp_path / "state.json"
        env = live_env(deployment, strategy_file, state_file)
        env.pop("MAX_DATA_DELAY_MINUTES", None)
        result = start(env)
    assert result.returncode == 1
    assert "stale data" in result.stderr and "MAX_DATA_DELAY_MINUTES is 180" in result.stderr
    assert not JSONFileStore(state_file).load().portfolio.open_positions  # nothing traded on old prices


def test_help_says_the_stale_data_default():
    import subprocess

    result = subprocess.run([str(TRADE_EXECUTOR), "start", "--help"], capture_output=True, text=True, timeout=60)
    assert "Default: three cycle durations" in " ".join(result.stdout.split())


def test_a_cache_written_on_another_devnet_is_set_aside_and_cannot_make_old_data_look_fresh(strategy_file, tmp_path):
    """Every devnet has the same chain id and pool addresses: a cache filled on a fresh devnet must not stand in for a restarted one's history.

    The first devnet trades now; the second one's pool last moved five hours ago. With the first devnet's
    cache beside it, the second start must still see its own five-hour-old candle (stale data, exit 1)."""
    cache = tmp_path / "shared-cache"
    with Anvil() as fresh:
        deployment = deploy_uniswap_v2(
            create_web3(fresh.url), HotWallet(ANVIL_PRIVATE_KEYS[0]), prices={"ETH": Decimal("300")}, liquidity_usd=Decimal(1_000_000),
            fund_address=HotWallet(HOT_WALLET_KEY).address,
        )
        age_pools(fresh)
        env = live_env(deployment, strategy_file, tmp_path / "first.json", CACHE_PATH=str(cache))
        checked = subprocess.run([str(TRADE_EXECUTOR), "check-universe"], env=env, capture_output=True, text=True, timeout=120)
        assert checked.returncode == 0, checked.stderr
    (pool_folder,) = (cache / "chain-data" / "31337").iterdir()

    five_hours_ago = int(time.time()) - 5 * 3600
    with Anvil(timestamp=five_hours_ago) as restarted:
        deployment = deploy_uniswap_v2(
            create_web3(restarted.url), HotWallet(ANVIL_PRIVATE_KEYS[0]), prices={"ETH": Decimal("300")}, liquidity_usd=Decimal(1_000_000),
            fund_address=HotWallet(HOT_WALLET_KEY).address,
        )
        age_pools(restarted)
        state_file = tmp_path / "second.json"
        env = live_env(deployment, strategy_file, state_file, CACHE_PATH=str(cache))
        env.pop("MAX_DATA_DELAY_MINUTES", None)
        result = start(env)
    assert result.returncode == 1, result.stderr
    assert "stale data" in result.stderr
    assert f"The cached history of pool {deployment.pairs['ETH-USDC']}" in result.stderr and "is not this chain's" in result.stderr
    aside = [path.name for path in pool_folder.parent.iterdir() if path.name.startswith(pool_folder.name + ".other-chain-")]
    assert len(aside) == 1  # the first devnet's history kept, out of the way
    assert not JSONFileStore(state_file).load().portfolio.open_positions
