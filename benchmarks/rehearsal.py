"""A simulated test trade (`perform-test-trade --simulate`) on a fork of a devnet, best of N.

    .venv/bin/python benchmarks/rehearsal.py [N]

The configured node is a devnet anvil (Uniswap v2, an aged ETH-USDC pool) behind the
fault-injecting proxy, as in tests/integration/live/test_dress_rehearsal.py. Each run is the real
CLI in a subprocess: fork start (the node's chain id and latest block asked, the relay and anvil
--fork-url started and answering), trading (recovery, treasury sync and accounting check, the test
buy and sell with approval, the summary), and the whole process (Python start-up and imports too).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

from trade_executor.chain.connection import create_web3
from trade_executor.chain.wallet import HotWallet
from trade_executor.devnet.anvil import ANVIL_PRIVATE_KEYS, Anvil
from trade_executor.devnet.deploy import deploy_uniswap_v2
from trade_executor.testing.rpc_proxy import FaultyRpcProxy

KEY = "0x" + "11" * 32
STRATEGY = '''
from trade_executor.strategy.api import ChainId
trading_strategy_engine_version = "1.0"
trading_strategy_cycle = "1h"
chain_id = ChainId.anvil
reserve_currency = "USDC"
class Parameters:
    initial_cash = 10_000
def create_trading_universe(timestamp, data, execution_context, options):
    return data.embedded(["ETH"])
def decide_trades(input):
    return []
'''
TIMES = re.compile(r"took ([\d.]+) s \(fork start ([\d.]+) s, trading ([\d.]+) s\)")


def main(runs: int) -> None:
    with Anvil() as anvil, FaultyRpcProxy(anvil.url) as proxy, tempfile.TemporaryDirectory() as folder:
        deployment = deploy_uniswap_v2(
            create_web3(anvil.url), HotWallet(ANVIL_PRIVATE_KEYS[0]), prices={"ETH": Decimal(300)}, liquidity_usd=Decimal(1_000_000),
            fund_address=HotWallet(KEY).address,
        )
        anvil.rpc("evm_increaseTime", 20 * 60)  # the pool's TWAP needs history
        anvil.rpc("evm_mine")
        strategy = Path(folder) / "bench.py"
        strategy.write_text(STRATEGY)
        env = {k: v for k, v in os.environ.items() if not k.startswith(("TOKEN_", "JSON_RPC"))}
        env.update(
            STRATEGY_FILE=str(strategy), STATE_FILE=str(Path(folder) / "state.json"), JSON_RPC_ANVIL=f"{proxy.url}/v3/KEY", PRIVATE_KEY=KEY,
            UNISWAP_V2_ROUTER=deployment.router, UNISWAP_V2_FACTORY=deployment.factory, CACHE_PATH=str(Path(folder) / "cache"), LOG_LEVEL="warning",
            **{f"TOKEN_{symbol}": address for symbol, address in deployment.tokens.items()},
        )
        rows = []
        for _ in range(runs):
            started = time.perf_counter()
            result = subprocess.run([str(Path(sys.executable).parent / "trade-executor"), "perform-test-trade", "--simulate"], env=env, capture_output=True, text=True, check=True)
            process = time.perf_counter() - started
            total, fork, trading = (float(x) for x in TIMES.search(result.stdout).groups())
            rows.append((fork, trading, total, process))
            assert proxy.count("eth_sendRawTransaction") == 0
    print(f"perform-test-trade --simulate on a devnet fork, best of {runs} (seconds)")
    print(f"{'fork start':>12} {'trade':>8} {'rehearsal':>10} {'process':>8}")
    for row in rows:
        print("".join(f"{value:>{width}.2f}" for value, width in zip(row, (12, 9, 11, 9), strict=True)))
    best = [min(column) for column in zip(*rows, strict=True)]
    print("best" + "".join(f"{value:>{width}.2f}" for value, width in zip(best, (8, 9, 11, 9), strict=True)))


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 3)
