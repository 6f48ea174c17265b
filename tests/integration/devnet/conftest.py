"""A real anvil node for the devnet tests: one per session, with Uniswap v2 deployed from the npm artifacts."""

from __future__ import annotations

import time
from decimal import Decimal

import pytest

from trade_executor.chain.connection import create_web3
from trade_executor.chain.wallet import HotWallet
from trade_executor.devnet.anvil import ANVIL_PRIVATE_KEYS, Anvil
from trade_executor.devnet.deploy import deploy_uniswap_v2

PRICES = {"ETH": Decimal("2500"), "BTC": Decimal("4367.4")}
LIQUIDITY_USD = Decimal(1_000_000)


def _wait_until(predicate, *, timeout: float, what: str, poll: float = 0.05):
    """Poll ``predicate`` until it returns something truthy, or fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            pytest.fail(f"Timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(poll)


@pytest.fixture(scope="session")
def wait_until():
    """Poll with a deadline (tests never sleep a fixed time to wait for something)."""
    return _wait_until


@pytest.fixture(scope="session")
def prices() -> dict[str, Decimal]:
    """The deployment fixture's pool prices; ETH's divides the liquidity exactly, BTC's does not."""
    return dict(PRICES)


@pytest.fixture(scope="session")
def liquidity_usd() -> Decimal:
    return LIQUIDITY_USD


@pytest.fixture(scope="session")
def anvil():
    with Anvil(balance=1_000_000) as node:
        yield node


@pytest.fixture(scope="session")
def web3(anvil):
    return create_web3(anvil.url)


@pytest.fixture(scope="session")
def deployer():
    return HotWallet(ANVIL_PRIVATE_KEYS[0])


@pytest.fixture(scope="module")
def hot_wallet():
    wallet, _key = HotWallet.create()
    return wallet


@pytest.fixture(scope="module")
def deployment(web3, deployer, hot_wallet):
    return deploy_uniswap_v2(web3, deployer, prices=PRICES, liquidity_usd=LIQUIDITY_USD, fund_address=hot_wallet.address)
