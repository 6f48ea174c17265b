"""A real anvil with Uniswap v3 from the npm artifacts; the ETH/USDC 0.3 % pool gets extra narrow positions.

The narrow positions sit a few spacings apart on both sides of the price, so that a swap of a few
ETH or a few thousand USDC crosses several initialised ticks in either direction.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from trade_executor.chain.abi import load_abi
from trade_executor.chain.connection import create_web3
from trade_executor.chain.wallet import HotWallet
from trade_executor.devnet.anvil import ANVIL_PRIVATE_KEYS, Anvil
from trade_executor.devnet.deploy import Deployer, load_token_artifact
from trade_executor.devnet.deploy_v3 import UNISWAP_V3, deploy_uniswap_v3, load_v3_artifact, pool_key

PRICES = {"ETH": Decimal("2500"), "BTC": Decimal("4367.4")}
FEES = (3000, 500)
NARROW_POOL = pool_key("ETH", 3000)


def v3_contract(web3, name: str, address: str):
    return web3.eth.contract(address=address, abi=load_v3_artifact(UNISWAP_V3, name)["abi"])


@pytest.fixture(scope="module")
def web3():
    """A fresh anvil per module: the oracle's clock and the quotes' pools are each module's own."""
    with Anvil(balance=1_000_000) as node:
        yield create_web3(node.url)


@pytest.fixture(scope="module")
def deployer():
    return HotWallet(ANVIL_PRIVATE_KEYS[0])


@pytest.fixture(scope="module")
def hot_wallet():
    return HotWallet.create()[0]


@pytest.fixture(scope="module")
def v3(web3, deployer, hot_wallet):
    deployment = deploy_uniswap_v3(
        web3, deployer, prices=PRICES, liquidity_usd=Decimal(1_000_000), fees=FEES,
        fund_address=hot_wallet.address, fund_usdc=Decimal(2_000_000), fund_native=Decimal(5_000),
    )
    add_narrow_positions(web3, deployer, deployment, NARROW_POOL)
    return deployment


def add_narrow_positions(web3, deployer: HotWallet, deployment, key: str) -> None:
    """Six narrow positions either side of the pool's price, 3 spacings apart, each 2 spacings wide."""
    d = Deployer(web3, deployer)
    pool = v3_contract(web3, "UniswapV3Pool", deployment.pools[key])
    manager = v3_contract(web3, "NonfungiblePositionManager", deployment.position_manager)
    token0, token1 = pool.functions.token0().call(), pool.functions.token1().call()
    spacing = pool.functions.tickSpacing().call()
    tick = pool.functions.slot0().call()[1]
    centre = tick // spacing * spacing
    usdc = web3.eth.contract(address=deployment.usdc, abi=load_token_artifact()["abi"])
    weth = web3.eth.contract(address=deployment.weth, abi=load_abi("WETH9"))
    d.call(usdc.functions.mint(deployer.address, 10**12))  # 1,000,000 USDC (the deployer owns the devnet token)
    d.call(weth.functions.deposit(), value=1_000 * 10**18)
    deadline = web3.eth.get_block("latest")["timestamp"] + 3600
    for k in range(1, 7):
        for lower in (centre + 3 * k * spacing, centre - (3 * k + 1) * spacing):
            params = (token0, token1, deployment.fees[key], lower, lower + 2 * spacing, 20 * 10**18, 50_000 * 10**6, 0, 0, deployer.address, deadline)
            # the manager takes only the token a position out of range needs (below: token1, above: token0)
            d.call(manager.functions.mint(params if token0 == deployment.weth else (*params[:5], params[6], params[5], *params[7:])))
