"""Uniswap v3 on anvil from the npm artifacts: pools at exact prices, QuoterV2 and SwapRouter02 agree, the CLI's .env.

One v3 deployment per module, on top of the session's anvil and the module's v2 deployment (whose
WETH, USDC and BTC it reuses, as `devnet --exchange=uniswap-v3` does).
"""

from __future__ import annotations

import dataclasses
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from fractions import Fraction
from math import isqrt
from pathlib import Path

import pytest
from dotenv import dotenv_values

from trade_executor.chain.abi import load_abi
from trade_executor.chain.connection import create_web3
from trade_executor.chain.transactions import TransactionBuilder, send_and_wait
from trade_executor.chain.wallet import HotWallet
from trade_executor.devnet.anvil import free_port
from trade_executor.devnet.deploy_pancake_v3 import PANCAKESWAP_V3
from trade_executor.devnet.deploy_v3 import (
    UNISWAP_V3,
    check_pool_init_code_hash,
    compute_pool_address,
    deploy_uniswap_v3,
    full_range_ticks,
    load_v3_artifact,
    ticks_around,
)
from trade_executor.devnet.deploy_v3 import pool_key as key_of
from trade_executor.errors import ConfigurationError
from trade_executor.execution.uniswap_v3.exchanges import PANCAKESWAP_V3 as PANCAKESWAP_EXCHANGE
from trade_executor.execution.uniswap_v3.exchanges import check_router
from trade_executor.market.uniswap_v3_math import get_sqrt_ratio_at_tick, get_tick_at_sqrt_ratio

TRADE_EXECUTOR = Path(sys.executable).parent / "trade-executor"
DECIMALS = {"ETH": 18, "BTC": 8, "USDC": 6}
FEES = (3000, 500, 100, 10000)  # every tier; 100 (0.01 %) is not enabled by the factory constructor


def contract(web3, name: str, address: str):
    return web3.eth.contract(address=address, abi=load_v3_artifact(UNISWAP_V3, name)["abi"])


@pytest.fixture(scope="module")
def v3(web3, deployer, deployment, prices, liquidity_usd):
    return deploy_uniswap_v3(web3, deployer, prices=prices, liquidity_usd=liquidity_usd, fees=FEES, v2=deployment)


def test_pools_are_where_the_factory_and_the_periphery_look(web3, v3, deployment):
    assert set(v3.pools) == {f"{base}-USDC-{fee}" for base in ("ETH", "BTC") for fee in ("0.3%", "0.05%", "0.01%", "1%")}
    assert (v3.weth, v3.usdc, v3.tokens["BTC"], v3.factory_v2) == (deployment.weth, deployment.usdc, deployment.tokens["BTC"], deployment.factory)
    factory = contract(web3, "UniswapV3Factory", v3.factory)
    for key, address in v3.pools.items():
        base = v3.tokens[key.split("-")[0]]
        assert factory.functions.getPool(base, v3.usdc, v3.fees[key]).call() == address
        assert factory.functions.getPool(v3.usdc, base, v3.fees[key]).call() == address
        assert compute_pool_address(v3.factory, base, v3.usdc, v3.fees[key], v3.pool_init_code_hash) == address
        pool = contract(web3, "UniswapV3Pool", address)
        assert pool.functions.fee().call() == v3.fees[key]
    router = contract(web3, "SwapRouter02", v3.swap_router02)
    assert (router.functions.factory().call(), router.functions.factoryV2().call(), router.functions.WETH9().call()) == (v3.factory, deployment.factory, v3.weth)
    assert router.functions.positionManager().call() == v3.position_manager
    assert contract(web3, "QuoterV2", v3.quoter_v2).functions.factory().call() == v3.factory


def test_pools_start_at_exactly_the_computed_square_root_price(web3, v3, prices):
    manager = contract(web3, "NonfungiblePositionManager", v3.position_manager)
    for key, address in v3.pools.items():
        base = key.split("-")[0]
        pool = contract(web3, "UniswapV3Pool", address)
        base_is_token0 = pool.functions.token0().call() == v3.tokens[base]
        # token1 units per token0 unit, exactly; sqrtPriceX96 = floor(sqrt(that * 2**192))
        raw = Fraction(prices[base]) * 10 ** DECIMALS["USDC"] / 10 ** DECIMALS[base]
        raw = raw if base_is_token0 else 1 / raw
        expected = isqrt(raw.numerator * 2**192 // raw.denominator)
        sqrt_price, tick, *_ = pool.functions.slot0().call()
        assert sqrt_price == expected == v3.sqrt_prices[key]
        assert tick == get_tick_at_sqrt_ratio(expected)
        # Both positions are in range: the pool's active liquidity is their sum.
        full, concentrated = (manager.functions.positions(token_id).call() for token_id in v3.positions[key])
        spacing = UNISWAP_V3.fee_tiers[v3.fees[key]]
        assert (full[5], full[6]) == full_range_ticks(spacing)
        assert full[5] < concentrated[5] <= tick < concentrated[6] < full[6]
        assert concentrated[5] % spacing == 0 and concentrated[6] % spacing == 0
        assert concentrated[7] > full[7] > 0
        assert pool.functions.liquidity().call() == full[7] + concentrated[7]


def test_a_swap_through_swap_router_02_gives_exactly_the_quoter_v2_quote(web3, v3, hot_wallet, prices):
    key = key_of("ETH", 3000)
    amount_in = 1_000 * 10**6  # buy ETH for 1,000 USDC
    quoter = contract(web3, "QuoterV2", v3.quoter_v2)
    quoted, *_ = quoter.functions.quoteExactInputSingle((v3.usdc, v3.weth, amount_in, v3.fees[key], 0)).call()
    ideal = Decimal(amount_in) / 10**6 / prices["ETH"] * 10**18
    assert ideal * Decimal("0.996") < quoted < ideal * Decimal("0.997")  # the 0.3 % fee and a little price impact

    builder = TransactionBuilder(web3, hot_wallet)
    usdc = web3.eth.contract(address=v3.usdc, abi=load_abi("ERC20"))
    weth = web3.eth.contract(address=v3.weth, abi=load_abi("ERC20"))
    send_and_wait(web3, builder.sign_call(usdc.functions.approve(v3.swap_router02, amount_in)))
    weth_before, usdc_before = weth.functions.balanceOf(hot_wallet.address).call(), usdc.functions.balanceOf(hot_wallet.address).call()
    router = contract(web3, "SwapRouter02", v3.swap_router02)
    params = (v3.usdc, v3.weth, v3.fees[key], hot_wallet.address, amount_in, quoted, 0)
    receipt = send_and_wait(web3, builder.sign_call(router.functions.exactInputSingle(params)))
    assert receipt["status"] == 1
    assert weth.functions.balanceOf(hot_wallet.address).call() - weth_before == quoted
    assert usdc_before - usdc.functions.balanceOf(hot_wallet.address).call() == amount_in


def test_without_v2_it_deploys_its_own_tokens_and_funds_the_hot_wallet(web3, deployer):
    wallet, _key = HotWallet.create()
    alone = deploy_uniswap_v3(web3, deployer, prices={"ETH": Decimal("2500")}, liquidity_usd=Decimal(100_000), fees=(500,), fund_address=wallet.address)
    assert alone.factory_v2 is None and set(alone.pools) == {"ETH-USDC-0.05%"} and alone.hot_wallet == wallet.address
    router = contract(web3, "SwapRouter02", alone.swap_router02)
    assert router.functions.factoryV2().call() == "0x0000000000000000000000000000000000000000"
    assert router.functions.WETH9().call() == alone.weth == alone.tokens["ETH"]
    assert web3.eth.contract(address=alone.usdc, abi=load_abi("ERC20")).functions.balanceOf(wallet.address).call() == 10_000 * 10**6
    assert web3.eth.get_balance(wallet.address) == 10 * 10**18


def _devnet(tmp_path: Path, *args: str) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DEVNET_") and k != "LOG_LEVEL"}
    return subprocess.Popen(
        [str(TRADE_EXECUTOR), "devnet", *args], cwd=tmp_path, env=env,
        stdout=(tmp_path / "stdout.txt").open("w"), stderr=(tmp_path / "stderr.txt").open("w"), stdin=subprocess.DEVNULL,
    )


@contextmanager
def running_devnet(tmp_path: Path, wait_until, *args: str) -> Iterator[tuple[dict, str]]:
    """`trade-executor devnet *args` until it is ready: (its .env values, what it printed); then Ctrl-C, and it exits 0.
    Also checks that `hello` with its .env knows every name in it."""
    process = _devnet(tmp_path, f"--port={free_port()}", *args)
    try:
        def ready() -> bool:
            if process.poll() is not None:
                pytest.fail(f"trade-executor devnet exited with {process.returncode}: {(tmp_path / 'stderr.txt').read_text()[-2000:]}")
            return "press Ctrl-C to stop" in (tmp_path / "stdout.txt").read_text()

        wait_until(ready, timeout=60, what=f"trade-executor devnet {' '.join(args)}")
        values = dotenv_values(tmp_path / "devnet.env")
        yield values, (tmp_path / "stdout.txt").read_text()
        hello = subprocess.run([str(TRADE_EXECUTOR), f"--env-file={tmp_path / 'devnet.env'}", "hello"], capture_output=True, text=True, timeout=60)
        assert hello.returncode == 0 and "not a variable" not in hello.stdout + hello.stderr  # the v3 names are known to the env checks
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=20) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_devnet_command_with_uniswap_v3_writes_the_v3_addresses(tmp_path, wait_until):
    with running_devnet(tmp_path, wait_until, "--exchange=uniswap-v3", "--pairs=ETH", "--liquidity-usd=1000000") as (values, printed):
        names = ["UNISWAP_V2_FACTORY", "UNISWAP_V2_ROUTER", "UNISWAP_V3_FACTORY", "UNISWAP_V3_POSITION_MANAGER", "UNISWAP_V3_SWAP_ROUTER_02", "UNISWAP_V3_QUOTER_V2", "UNISWAP_V3_POOL_ETH_USDC_3000"]
        web3 = create_web3(values["JSON_RPC_ANVIL"])
        for name in names:
            assert len(web3.eth.get_code(values[name])) > 0, name
            assert values[name] in printed, name
        pool = contract(web3, "UniswapV3Pool", values["UNISWAP_V3_POOL_ETH_USDC_3000"])
        assert {pool.functions.token0().call(), pool.functions.token1().call()} == {values["WETH"], values["TOKEN_USDC"]}
        assert pool.functions.slot0().call()[4] == 500  # observationCardinalityNext: the oracle a live strategy reads grows from the start
        assert values["PRIVATE_KEY"] not in printed


def test_devnet_command_with_pancakeswap_v3_writes_its_addresses(tmp_path, wait_until):
    """PancakeSwap's factory and pools with the devnet's pool deployer, SmartRouter stand-in and minter; no QuoterV2 or position manager."""
    started = time.perf_counter()
    with running_devnet(tmp_path, wait_until, "--exchange=pancakeswap-v3", "--pairs=ETH", "--liquidity-usd=1000000") as (values, printed):
        print(f"devnet --exchange=pancakeswap-v3 ready in {time.perf_counter() - started:.2f} s")  # noqa: T201 - a figure for the closing note
        web3 = create_web3(values["JSON_RPC_ANVIL"])
        names = ["UNISWAP_V2_FACTORY", "UNISWAP_V3_FACTORY", "UNISWAP_V3_POOL_DEPLOYER", "UNISWAP_V3_SWAP_ROUTER_02", "UNISWAP_V3_MINTER", "UNISWAP_V3_POOL_ETH_USDC_2500"]
        for name in names:
            assert len(web3.eth.get_code(values[name])) > 0 and values[name] in printed, name
        assert "UNISWAP_V3_QUOTER_V2" not in values and "UNISWAP_V3_POSITION_MANAGER" not in values  # PancakeSwap publishes neither on npm
        assert "PancakeV3Factory" in printed and "Router (stand-in)" in printed and "Minter (stand-in)" in printed
        pool = web3.eth.contract(address=values["UNISWAP_V3_POOL_ETH_USDC_2500"], abi=load_v3_artifact(PANCAKESWAP_V3, "UniswapV3Pool")["abi"])
        assert {pool.functions.token0().call(), pool.functions.token1().call()} == {values["WETH"], values["TOKEN_USDC"]}
        assert pool.functions.factory().call() == values["UNISWAP_V3_FACTORY"] and pool.functions.fee().call() == 2500
        assert pool.functions.slot0().call()[4] == 500  # observationCardinalityNext: the oracle grows from the start
        check_router(web3, PANCAKESWAP_EXCHANGE, values["UNISWAP_V3_FACTORY"], values["UNISWAP_V3_SWAP_ROUTER_02"])


def test_devnet_command_refuses_an_unknown_exchange(tmp_path):
    process = _devnet(tmp_path, f"--port={free_port()}", "--exchange=sushiswap")
    assert process.wait(timeout=30) != 0
    stderr = (tmp_path / "stderr.txt").read_text()
    assert "--exchange" in stderr and "uniswap-v2" in stderr and "uniswap-v3" in stderr and "pancakeswap-v3" in stderr and "sushiswap" in stderr
    assert not (tmp_path / "devnet.env").exists()


def test_a_pool_bytecode_that_does_not_match_the_periphery_hash_is_refused():
    stale = dataclasses.replace(UNISWAP_V3, pool_init_code_hash="00" * 32)
    check_pool_init_code_hash(UNISWAP_V3)  # the pinned npm artifacts belong together
    with pytest.raises(ConfigurationError, match="compute pool addresses with 0x0000.*Reinstall them with ./scripts/setup.sh"):
        check_pool_init_code_hash(stale)


def test_concentrated_ticks_are_on_the_spacing_around_the_price():
    sqrt_price = get_sqrt_ratio_at_tick(-198_080)  # ETH at about 2500 USDC, WETH as token0
    lower, upper = ticks_around(sqrt_price, Decimal("0.1"), 60)
    assert (lower % 60, upper % 60) == (0, 0)
    assert get_sqrt_ratio_at_tick(lower) ** 2 <= sqrt_price**2 * Fraction(9, 10) < get_sqrt_ratio_at_tick(lower + 60) ** 2
    assert get_sqrt_ratio_at_tick(upper - 60) ** 2 <= sqrt_price**2 * Fraction(11, 10) <= get_sqrt_ratio_at_tick(upper) ** 2
