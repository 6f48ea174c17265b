"""The stale-data guard is on by default: three cycles without a new candle and live trading refuses to trade."""

from __future__ import annotations

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
