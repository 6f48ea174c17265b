"""A fresh anvil with Uniswap v2, USDC and an ETH pool per test, and a funded hot wallet."""

from decimal import Decimal
from pathlib import Path

import pytest
from pydantic import SecretStr

from trade_executor.chain.connection import create_web3
from trade_executor.chain.wallet import HotWallet
from trade_executor.devnet.anvil import ANVIL_PRIVATE_KEYS, Anvil
from trade_executor.devnet.deploy import deploy_uniswap_v2
from trade_executor.runner.live import LiveConfig

from .venues import VENUE_CLASSES, VENUES, Venue

HOT_WALLET_KEY = "0x" + "11" * 32

STRATEGY = '''
from trade_executor.strategy.api import ChainId

trading_strategy_engine_version = "1.0"
trading_strategy_cycle = "1h"
chain_id = ChainId.anvil
exchange = "uniswap-v2"
reserve_currency = "USDC"


class Parameters:
    initial_cash = 10_000
    slippage_tolerance = 0.01


def create_trading_universe(timestamp, data, execution_context, options):
    return data.embedded(["ETH"])


def decide_trades(input):
    """Alternate: buy with all cash, then sell everything."""
    pm = input.position_manager
    if pm.is_any_open():
        return pm.close_all()
    return pm.open_long(input.universe.get_single_pair(), pm.get_current_cash(), stop_loss_pct=0.5)
'''


@pytest.fixture
def anvil():
    with Anvil() as node:
        yield node


POOL_HISTORY_SECONDS = 20 * 60


def age_pools(anvil) -> None:
    """Move the chain's clock on, as if the pools had traded quietly for a while: their TWAP (the live
    price reference) needs history, as on any real chain."""
    anvil.rpc("evm_increaseTime", POOL_HISTORY_SECONDS)
    anvil.rpc("evm_mine")


@pytest.fixture
def deployment(anvil):
    web3 = create_web3(anvil.url)
    deployed = deploy_uniswap_v2(
        web3, HotWallet(ANVIL_PRIVATE_KEYS[0]), prices={"ETH": Decimal("300")}, liquidity_usd=Decimal(1_000_000),
        fund_address=HotWallet(HOT_WALLET_KEY).address,
    )
    age_pools(anvil)
    return deployed


@pytest.fixture
def strategy_file(tmp_path) -> Path:
    path = tmp_path / "alternate.py"
    path.write_text(STRATEGY)
    return path


@pytest.fixture
def live_config(deployment, strategy_file, tmp_path) -> LiveConfig:
    return LiveConfig(
        strategy_file=strategy_file,
        state_file=tmp_path / "state" / "alternate.json",
        json_rpc_url=SecretStr(deployment.url),
        private_key=SecretStr(HOT_WALLET_KEY),
        router=deployment.router,
        factory=deployment.factory,
        tokens=deployment.tokens,
        confirmation_timeout=20,
        cache_path=tmp_path / "cache",
    )


# --- the venue contract (test_venue_contract*.py): one devnet per venue for a module --------------------


@pytest.fixture(scope="module", params=VENUES)
def venue_chain(request) -> Venue:
    with Anvil() as anvil:
        yield VENUE_CLASSES[request.param](anvil, HOT_WALLET_KEY)


@pytest.fixture
def venue(venue_chain) -> Venue:
    """The module's devnet of this venue, back as deployed after the test."""
    snapshot = venue_chain.anvil.rpc("evm_snapshot")
    yield venue_chain
    venue_chain.anvil.rpc("evm_revert", snapshot)
