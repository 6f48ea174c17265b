"""The market simulator moves real Uniswap v3 pools: SwapRouter02 swaps that stop at the target's sqrt price."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from decimal import Decimal
from pathlib import Path

import pytest
from dotenv import dotenv_values

from trade_executor.chain.connection import create_web3
from trade_executor.devnet.anvil import free_port
from trade_executor.devnet.deploy_v3 import UNISWAP_V3, deploy_uniswap_v3, load_v3_artifact, pool_key
from trade_executor.devnet.market_simulator import MarketSimulator
from trade_executor.devnet.market_simulator_v3 import V3MarketSimulator
from trade_executor.errors import ConfigurationError


@pytest.fixture(scope="module")
def v3(web3, deployer, deployment, prices, liquidity_usd):
    return deploy_uniswap_v3(web3, deployer, prices=prices, liquidity_usd=liquidity_usd, fees=(3000, 500), v2=deployment)


@pytest.fixture(scope="module")
def simulators(web3, deployer, deployment, v3):
    v2 = MarketSimulator(web3, deployer, deployment)
    return v2, V3MarketSimulator(web3, deployer, v3, builder=v2.builder)  # one account, one nonce sequence


def test_with_a_v2_simulator_a_step_moves_both_venues(web3, deployer, deployment, v3, simulators):
    v2, _ = simulators
    both = V3MarketSimulator(web3, deployer, v3, v2=v2)
    assert both.builder is v2.builder
    assert both.run([Decimal("2550")], "ETH-USDC", 0, threading.Event()) == 1
    assert abs(v2.price("ETH-USDC") / Decimal("2550") - 1) < Decimal("0.0001")
    assert both.sqrt_price(pool_key("ETH", 500)) == both.target_sqrt_price(pool_key("ETH", 500), Decimal("2550"))


def test_a_simulated_step_moves_every_fee_tier_of_the_pair_onto_the_target(simulators, prices):
    _, simulator = simulators
    keys = [pool_key("ETH", 3000), pool_key("ETH", 500)]
    for target in (prices["ETH"] * Decimal("1.07"), prices["ETH"] * Decimal("0.9"), Decimal("2499.99")):
        before = {key: simulator.sqrt_price(key) for key in keys}
        assert simulator.run([target], "ETH-USDC", 0, threading.Event()) == 1
        for key in keys:
            wanted = simulator.target_sqrt_price(key, target)
            assert simulator.sqrt_price(key) == wanted != before[key]  # slot0 lands on the target exactly
            assert abs(simulator.price(key) / target - 1) < Decimal("1e-12")
    assert simulator.move_price("ETH-USDC", Decimal("2499.99")) is None  # already there: no swap


def test_pools_of_either_token_order_move_both_ways(simulators, prices):
    _, simulator = simulators
    key = pool_key("BTC", 500)
    for factor in ("1.25", "0.6", "1"):
        target = prices["BTC"] * Decimal(factor)
        assert simulator.move_price(key, target) is not None
        assert simulator.sqrt_price(key) == simulator.target_sqrt_price(key, target)


def test_v2_and_v3_simulators_share_the_account(simulators):
    v2, v3 = simulators
    v2.move_price("ETH-USDC", Decimal("2600"))
    v3.move_price("ETH-USDC", Decimal("2600"))
    assert abs(v2.price("ETH-USDC") / Decimal("2600") - 1) < Decimal("0.0001")
    assert abs(v3.price(pool_key("ETH", 3000)) / Decimal("2600") - 1) < Decimal("1e-12")
    with pytest.raises(ConfigurationError, match="No v3 pool 'DOGE-USDC'"):
        v3.move_price("DOGE-USDC", Decimal(1))


def test_devnet_command_with_uniswap_v3_moves_the_v3_pool(tmp_path, wait_until):
    """`trade-executor devnet --exchange=uniswap-v3 --market-simulator`: the v3 pool's slot0 walks the price path."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DEVNET_") and k != "LOG_LEVEL"}
    args = ["devnet", f"--port={free_port()}", "--exchange=uniswap-v3", "--pairs=ETH", "--liquidity-usd=1000000", "--market-simulator", "--simulator-interval=0.2"]
    stdout = tmp_path / "stdout.txt"
    process = subprocess.Popen(
        [str(Path(sys.executable).parent / "trade-executor"), *args], cwd=tmp_path, env=env,
        stdout=stdout.open("w"), stderr=(tmp_path / "stderr.txt").open("w"), stdin=subprocess.DEVNULL,
    )  # fmt: skip
    try:

        def ready() -> bool:
            if process.poll() is not None:
                pytest.fail(f"trade-executor devnet exited with {process.returncode}: {(tmp_path / 'stderr.txt').read_text()[-2000:]}")
            return "press Ctrl-C to stop" in stdout.read_text()

        wait_until(ready, timeout=60, what="the v3 devnet")
        assert "Market simulator    moves ETH-USDC (v2 and every v3 fee tier)" in stdout.read_text()
        values = dotenv_values(tmp_path / "devnet.env")
        web3 = create_web3(values["JSON_RPC_ANVIL"])
        pool = web3.eth.contract(address=values["UNISWAP_V3_POOL_ETH_USDC_3000"], abi=load_v3_artifact(UNISWAP_V3, "UniswapV3Pool")["abi"])
        first = pool.functions.slot0().call()[0]
        wait_until(lambda: pool.functions.slot0().call()[0] != first, timeout=20, what="the simulator's first v3 swap")
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=20) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
