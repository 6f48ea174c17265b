"""Helpers to run `trade-executor start` on a Uniswap v3 strategy, configured by the UNISWAP_V3_* variables, each from its
own freshly funded wallet on the module's chain (other v3 tests use them).

The crash tests (SIGKILL at each step of a trade, restart: nothing trades twice, nothing is lost) run on
both venues in tests/integration/live/test_venue_contract_recovery.py.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from web3 import Web3

from trade_executor.chain.transactions import TransactionBuilder, send_and_wait
from trade_executor.chain.wallet import HotWallet
from trade_executor.devnet.deploy import load_token_artifact
from trade_executor.execution.uniswap_v3.oracle import increase_cardinality

from .conftest import NARROW_POOL
from .test_live_v3 import advance

TRADE_EXECUTOR = Path(sys.executable).parent / "trade-executor"
SWAP_TOPIC = "0x" + Web3.keccak(text="Swap(address,address,int256,int256,uint160,uint128,int24)").hex().removeprefix("0x")


@pytest.fixture(scope="module")
def chain(web3, v3, deployer):
    """The 0.3 % pool keeps 200 observations and has 20 minutes of history (its oracle covers the reference window)."""
    increase_cardinality(TransactionBuilder(web3, deployer), v3.pools[NARROW_POOL], 200)
    advance(web3, 20 * 60)
    return v3


def funded_wallet(web3, v3, deployer) -> tuple[HotWallet, str]:
    """A new hot wallet with 10,000 USDC and 10 of the native token for gas."""
    wallet, key = HotWallet.create()
    builder = TransactionBuilder(web3, deployer)
    usdc = web3.eth.contract(address=v3.usdc, abi=load_token_artifact()["abi"])
    send_and_wait(web3, builder.sign_call(usdc.functions.mint(wallet.address, 10_000 * 10**6)))
    web3.provider.make_request("anvil_setBalance", [wallet.address, hex(10 * 10**18)])
    return wallet, key


def live_env(v3, strategy_file: Path, state_file: Path, key: str, **extra) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TOKEN_", "JSON_RPC", "TRADE_EXECUTOR_CRASH", "UNISWAP_"))}
    env.update(
        STRATEGY_FILE=str(strategy_file), STATE_FILE=str(state_file), EXECUTION_TYPE="uniswap_v3_hot_wallet", JSON_RPC_ANVIL=v3.url, PRIVATE_KEY=key,
        UNISWAP_V3_FACTORY=v3.factory, UNISWAP_V3_SWAP_ROUTER_02=v3.swap_router02, UNISWAP_V3_QUOTER_V2=v3.quoter_v2,
        TOKEN_USDC=v3.usdc, TOKEN_ETH=v3.weth, RUN_SINGLE_CYCLE="true", CONFIRMATION_TIMEOUT="20", LOG_LEVEL="warning",
        CACHE_PATH=str(state_file.parent / "cache"),
    )
    env.update(extra)
    return env


def start(env) -> subprocess.CompletedProcess:
    return subprocess.run([str(TRADE_EXECUTOR), "start"], env=env, capture_output=True, text=True, timeout=120)


def swaps_by(web3, pool: str, wallet: str) -> int:
    logs = web3.eth.get_logs({"address": pool, "topics": [SWAP_TOPIC], "fromBlock": 0, "toBlock": "latest"})
    return sum(1 for log in logs if Web3.to_checksum_address("0x" + bytes(log["topics"][2])[-20:].hex()) == wallet)

