"""Uniswap v2 on anvil: pools at the given prices, router quotes equal our AMM maths, the .env file."""

from __future__ import annotations

import stat
import time
from decimal import Decimal
from fractions import Fraction

import pytest
from dotenv import dotenv_values
from web3 import Web3

from trade_executor.chain.abi import load_abi
from trade_executor.chain.transactions import TransactionBuilder, send_and_wait
from trade_executor.chain.wallet import HotWallet
from trade_executor.devnet.deploy import deploy_uniswap_v2, write_env_file
from trade_executor.errors import ConfigurationError
from trade_executor.market.amm import get_amount_out

DECIMALS = {"ETH": 18, "BTC": 8, "USDC": 6}


def pool_state(web3, deployment, base: str) -> tuple[int, int]:
    """(base reserve, USDC reserve) in token units."""
    pair = web3.eth.contract(address=deployment.pairs[f"{base}-USDC"], abi=load_abi("UniswapV2Pair"))
    reserve0, reserve1, _ = pair.functions.getReserves().call()
    return (reserve0, reserve1) if pair.functions.token0().call() == deployment.tokens[base] else (reserve1, reserve0)


def erc20(web3, address):
    return web3.eth.contract(address=address, abi=load_abi("ERC20"))


def test_deployment_addresses(web3, deployment, hot_wallet):
    assert deployment.chain_id == 31337 and deployment.url.startswith("http://127.0.0.1:")
    assert deployment.tokens == {"USDC": deployment.usdc, "ETH": deployment.weth, "BTC": deployment.tokens["BTC"]}
    assert set(deployment.pairs) == {"ETH-USDC", "BTC-USDC"}
    assert deployment.hot_wallet == hot_wallet.address
    for address in [deployment.factory, deployment.router, deployment.weth, *deployment.tokens.values(), *deployment.pairs.values()]:
        assert Web3.to_checksum_address(address) == address
        assert len(web3.eth.get_code(address)) > 0
    router = web3.eth.contract(address=deployment.router, abi=load_abi("UniswapV2Router02"))
    assert (router.functions.factory().call(), router.functions.WETH().call()) == (deployment.factory, deployment.weth)
    factory = web3.eth.contract(address=deployment.factory, abi=load_abi("UniswapV2Factory"))
    assert factory.functions.getPair(deployment.weth, deployment.usdc).call() == deployment.pairs["ETH-USDC"]
    assert [erc20(web3, deployment.tokens[s]).functions.decimals().call() for s in ("USDC", "ETH", "BTC")] == [6, 18, 8]


def test_pools_sit_exactly_at_the_given_prices(web3, deployment, prices, liquidity_usd):
    # ETH: 1,000,000 USDC / 2500 = 400 ETH exactly, so the mid price is exactly 2500.
    assert pool_state(web3, deployment, "ETH") == (400 * 10**18, 1_000_000 * 10**6)
    # BTC: 1,000,000 / 4367.4 BTC is not a whole number of satoshis; the reserve is rounded down by under one unit.
    reserve_btc, reserve_usdc = pool_state(web3, deployment, "BTC")
    assert reserve_usdc == 1_000_000 * 10**6
    assert reserve_btc == int(liquidity_usd / prices["BTC"] * 10**8)
    exact = Fraction(liquidity_usd) / Fraction(prices["BTC"]) * 10**8
    assert 0 <= exact - reserve_btc < 1
    for base, price in prices.items():
        reserve_base, reserve_usdc = pool_state(web3, deployment, base)
        mid = Fraction(reserve_usdc, 10**6) / Fraction(reserve_base, 10 ** DECIMALS[base])
        assert abs(mid / Fraction(price) - 1) < Fraction(1, 10**10), (base, float(mid))


@pytest.mark.parametrize("base", ["ETH", "BTC"])
def test_router_quotes_equal_our_amm_maths_to_the_wei(web3, deployment, base):
    router = web3.eth.contract(address=deployment.router, abi=load_abi("UniswapV2Router02"))
    reserve_base, reserve_usdc = pool_state(web3, deployment, base)
    buy = reserve_usdc // 10  # spend 10% of the pool's USDC depth
    assert router.functions.getAmountsOut(buy, [deployment.usdc, deployment.tokens[base]]).call() == [buy, get_amount_out(buy, reserve_usdc, reserve_base)]
    sell = reserve_base // 10
    assert router.functions.getAmountsOut(sell, [deployment.tokens[base], deployment.usdc]).call() == [sell, get_amount_out(sell, reserve_base, reserve_usdc)]


def test_funded_hot_wallet_swaps_through_the_router_and_gets_the_quoted_amount(web3, deployment, hot_wallet):
    usdc, weth = erc20(web3, deployment.usdc), erc20(web3, deployment.weth)
    assert usdc.functions.balanceOf(hot_wallet.address).call() == 10_000 * 10**6
    assert web3.eth.get_balance(hot_wallet.address) == 10 * 10**18
    reserve_eth, reserve_usdc = pool_state(web3, deployment, "ETH")
    amount_in = 1_000 * 10**6
    expected = get_amount_out(amount_in, reserve_usdc, reserve_eth)
    router = web3.eth.contract(address=deployment.router, abi=load_abi("UniswapV2Router02"))
    builder = TransactionBuilder(web3, hot_wallet)
    send_and_wait(web3, builder.sign_call(usdc.functions.approve(deployment.router, amount_in)))
    swap = router.functions.swapExactTokensForTokens(amount_in, expected, [deployment.usdc, deployment.weth], hot_wallet.address, 2**40)
    send_and_wait(web3, builder.sign_call(swap, gas=250_000))  # see market_simulator.SWAP_GAS_HEADROOM
    assert weth.functions.balanceOf(hot_wallet.address).call() == expected
    assert pool_state(web3, deployment, "ETH") == (reserve_eth - expected, reserve_usdc + amount_in)


def test_deployment_is_fast(web3, deployer):
    started = time.perf_counter()
    deploy_uniswap_v2(web3, deployer, prices={"ETH": Decimal("300"), "BTC": Decimal("4000")}, liquidity_usd=Decimal(5_000_000), fund_address=deployer.address)
    assert time.perf_counter() - started < 2.0


def test_deployment_refuses_bad_input(web3, deployer):
    with pytest.raises(ConfigurationError, match="No pairs"):
        deploy_uniswap_v2(web3, deployer, prices={}, liquidity_usd=Decimal(1000))
    with pytest.raises(ConfigurationError, match="price must be positive"):
        deploy_uniswap_v2(web3, deployer, prices={"ETH": Decimal(0)}, liquidity_usd=Decimal(1000))
    with pytest.raises(ConfigurationError, match="cannot be a base token"):
        deploy_uniswap_v2(web3, deployer, prices={"USDC": Decimal(1)}, liquidity_usd=Decimal(1000))


def test_env_file_holds_the_deployment_and_no_key_unless_given(tmp_path, deployment):
    path = write_env_file(deployment, tmp_path / "devnet.env", private_key=None)
    text = path.read_text()
    values = dotenv_values(path)
    assert values == {
        "JSON_RPC_ANVIL": deployment.url,
        "CHAIN_ID": "31337",
        "UNISWAP_V2_FACTORY": deployment.factory,
        "UNISWAP_V2_ROUTER": deployment.router,
        "WETH": deployment.weth,
        "TOKEN_USDC": deployment.usdc,
        "TOKEN_ETH": deployment.weth,
        "TOKEN_BTC": deployment.tokens["BTC"],
        "PAIR_ETH_USDC": deployment.pairs["ETH-USDC"],
        "PAIR_BTC_USDC": deployment.pairs["BTC-USDC"],
    }
    assert "PRIVATE_KEY" not in text
    assert '"' not in text and "'" not in text.replace("`trade-executor devnet`", "")
    assert text.startswith("#") and "local devnet" in text.splitlines()[0] and "throwaway" in text
    assert not any(line.startswith("PRIVATE_KEY") for line in text.splitlines())
    assert [p.name for p in tmp_path.iterdir()] == ["devnet.env"]  # no temporary file left behind


def test_env_file_with_a_key_is_private_to_its_owner(tmp_path, deployment):
    wallet, key = HotWallet.create()
    path = write_env_file(deployment, tmp_path / "devnet.env", private_key=key)
    values = dotenv_values(path)
    assert HotWallet(values["PRIVATE_KEY"]).address == wallet.address
    assert "throwaway hot wallet key" in path.read_text()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    # Rewriting replaces the file whole.
    write_env_file(deployment, path, private_key=None)
    assert "PRIVATE_KEY" not in dotenv_values(path)
