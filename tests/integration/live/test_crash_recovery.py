"""Helpers to run ``trade-executor start`` on a Uniswap v2 devnet, as other live tests do.

The crash tests themselves (SIGKILL at each fail point, restart, each decision on chain exactly once,
state equal to the chain; a trade never sent cancelled instead of rebroadcast) run on every venue in
test_venue_contract_recovery.py.
"""

import os
import subprocess
import sys
from pathlib import Path

from web3 import Web3

from trade_executor.chain.connection import create_web3

from .conftest import HOT_WALLET_KEY

TRADE_EXECUTOR = Path(sys.executable).parent / "trade-executor"
SWAP_TOPIC = "0x" + Web3.keccak(text="Swap(address,uint256,uint256,uint256,uint256,address)").hex().removeprefix("0x")


def live_env(deployment, strategy_file, state_file, **extra) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TOKEN_", "JSON_RPC", "TRADE_EXECUTOR_CRASH"))}
    env.update(
        STRATEGY_FILE=str(strategy_file), STATE_FILE=str(state_file), EXECUTION_TYPE="uniswap_v2_hot_wallet",
        JSON_RPC_ANVIL=deployment.url, PRIVATE_KEY=HOT_WALLET_KEY, UNISWAP_V2_ROUTER=deployment.router,
        UNISWAP_V2_FACTORY=deployment.factory, RUN_SINGLE_CYCLE="true", CONFIRMATION_TIMEOUT="20", LOG_LEVEL="warning",
        CACHE_PATH=str(cache_path_for(state_file)),
    )
    env.update({f"TOKEN_{symbol}": address for symbol, address in deployment.tokens.items()})
    env.update(extra)
    return env


def cache_path_for(state_file) -> Path:
    """Each test's own chain data (every devnet has the same pool addresses), beside the state's folder, not in it."""
    folder = Path(state_file).parent
    return folder.parent / f"{folder.name}-chain-cache"


def start(env) -> subprocess.CompletedProcess:
    return subprocess.run([str(TRADE_EXECUTOR), "start"], env=env, capture_output=True, text=True, timeout=120)


def swaps_on_chain(deployment, wallet: str) -> int:
    web3 = create_web3(deployment.url)
    logs = web3.eth.get_logs({"address": deployment.pairs["ETH-USDC"], "topics": [SWAP_TOPIC], "fromBlock": 0, "toBlock": "latest"})
    return sum(1 for log in logs if Web3.to_checksum_address("0x" + bytes(log["topics"][2])[-20:].hex()) == wallet)

