"""Live cycle speed on anvil: one cycle that decides and executes one swap, and a trigger pass.

    .venv/bin/python benchmarks/live_cycle.py [--venue=uniswap-v2|uniswap-v3|both] [--repeat=N]

Targets (issues 3 and 10): under 300 ms per one-swap cycle (cycle start to confirmed and saved),
under 50 ms per stop-loss check pass over 10 open positions. Since issue 10 both also read every
pool's price accumulators (one batch) for the TWAP reference and check each swap against it.
Issue 16: the same on the Uniswap v3 venue (0.3% pools with a full-range and a concentrated
position, slot0 and the pool oracle's mean tick read in one batch, SwapRouter02 swaps), same targets.
With ``--repeat=N`` each venue is measured N times (a fresh anvil each) and the best run's figures shown.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

from pydantic import SecretStr

from trade_executor.chain.connection import create_web3
from trade_executor.chain.transactions import TransactionBuilder
from trade_executor.chain.wallet import HotWallet
from trade_executor.devnet.anvil import ANVIL_PRIVATE_KEYS, Anvil
from trade_executor.devnet.deploy import deploy_uniswap_v2
from trade_executor.devnet.deploy_v3 import deploy_uniswap_v3
from trade_executor.execution.uniswap_v3.oracle import increase_cardinality
from trade_executor.runner.live import LiveConfig, LiveTrader
from trade_executor.strategy.position_manager import PositionManager

KEY = "0x" + "22" * 32
SYMBOLS = ["ETH"] + [f"T{i}" for i in range(9)]
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
    pm = input.position_manager
    if pm.is_any_open():
        return pm.close_all()
    return pm.open_long(input.universe.get_single_pair(), 1_000)
'''


def v2_config(anvil: Anvil, strategy: Path, folder: str) -> LiveConfig:
    web3 = create_web3(anvil.url)
    deployment = deploy_uniswap_v2(
        web3, HotWallet(ANVIL_PRIVATE_KEYS[0]), prices={s: Decimal(300) for s in SYMBOLS}, liquidity_usd=Decimal(1_000_000),
        fund_address=HotWallet(KEY).address, fund_usdc=Decimal(100_000),
    )
    strategy.write_text(STRATEGY)
    return LiveConfig(strategy, Path(folder) / "state.json", SecretStr(anvil.url), SecretStr(KEY), deployment.router, deployment.factory, deployment.tokens, cache_path=Path(folder) / "cache")


def v3_config(anvil: Anvil, strategy: Path, folder: str) -> LiveConfig:
    """The same wallet and pools on Uniswap v3 (0.3% tier); each pool's oracle keeps 50 observations."""
    web3 = create_web3(anvil.url)
    deployer = HotWallet(ANVIL_PRIVATE_KEYS[0])
    deployment = deploy_uniswap_v3(
        web3, deployer, prices={s: Decimal(300) for s in SYMBOLS}, liquidity_usd=Decimal(1_000_000),
        fund_address=HotWallet(KEY).address, fund_usdc=Decimal(100_000),
    )
    builder = TransactionBuilder(web3, deployer)
    for pool in deployment.pools.values():
        increase_cardinality(builder, pool, 50)
    strategy.write_text(STRATEGY.replace('reserve_currency = "USDC"', 'exchange = "uniswap-v3"\nreserve_currency = "USDC"').replace('data.embedded(["ETH"])', 'data.embedded(["ETH"], fee=0.003)'))
    return LiveConfig(
        strategy, Path(folder) / "state.json", SecretStr(anvil.url), SecretStr(KEY), "", "", deployment.tokens, cache_path=Path(folder) / "cache",
        uniswap_v3_factory=deployment.factory, uniswap_v3_swap_router_02=deployment.swap_router02, uniswap_v3_quoter_v2=deployment.quoter_v2,
    )


VENUES: dict[str, tuple[Callable[[Anvil, Path, str], LiveConfig], dict]] = {
    "uniswap-v2": (v2_config, {}),
    "uniswap-v3": (v3_config, {"fee": 0.003}),
}


def measure(venue: str) -> tuple[list[float], list[float], int]:
    """(cycle seconds, trigger pass seconds, open positions) on a fresh anvil."""
    make_config, universe_options = VENUES[venue]
    with Anvil() as anvil, tempfile.TemporaryDirectory() as folder:
        config = make_config(anvil, Path(folder) / "bench.py", folder)
        anvil.rpc("evm_increaseTime", 20 * 60)  # pools with a history: the reference price is their TWAP
        anvil.rpc("evm_mine")
        trader = LiveTrader(config)
        trader.recover()
        trader.run_cycle(config.clock())  # first cycle pays the one-off approvals
        trader.run_cycle(config.clock())
        cycles = []
        for _ in range(10):
            started = time.perf_counter()
            trader.run_cycle(config.clock())
            cycles.append(time.perf_counter() - started)

        # Ten open positions with stop losses that do not fire, then time the trigger pass.
        universe = trader.loader.embedded(SYMBOLS, **universe_options)
        trader.read_prices(universe, config.clock())
        manager = PositionManager(trader.state, universe, trader.pricing)
        manager.begin_cycle(config.clock())
        trades = [t for s in SYMBOLS if not manager.get_current_position_for_pair(f"{s}-USDC") for t in manager.open_long(f"{s}-USDC", 100, stop_loss_pct=0.5)]
        trader.execution.execute_trades(config.clock(), trader.state, trades)
        assert len(trader.state.portfolio.open_positions) == len(SYMBOLS), [t.failure_reason for t in trades]
        trader.universe = universe
        passes = []
        for _ in range(20):
            started = time.perf_counter()
            fired = trader.check_triggers(config.clock())
            passes.append(time.perf_counter() - started)
            assert not fired
        return cycles, passes, len(trader.state.portfolio.open_positions)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--venue", choices=[*VENUES, "both"], default="both")
    parser.add_argument("--repeat", type=int, default=1, help="runs per venue; the best run's median is shown")
    arguments = parser.parse_args()
    venues = list(VENUES) if arguments.venue == "both" else [arguments.venue]
    print(f"{'venue':11} {'measure':52} {'median ms':>10} {'max ms':>8} {'target ms':>10}")
    print("-" * 96)
    for venue in venues:
        runs = [measure(venue) for _ in range(max(1, arguments.repeat))]
        cycles = min((r[0] for r in runs), key=statistics.median)
        passes = min((r[1] for r in runs), key=statistics.median)
        open_positions = runs[0][2]
        print(f"{venue:11} {'one live cycle with one swap (decide..confirmed+saved)':52} {statistics.median(cycles) * 1000:>10.1f} {max(cycles) * 1000:>8.1f} {300:>10}")
        print(f"{venue:11} {f'trigger check pass over {open_positions} open positions':52} {statistics.median(passes) * 1000:>10.1f} {max(passes) * 1000:>8.1f} {50:>10}")
    if arguments.repeat > 1:
        print(f"\nbest of {arguments.repeat} runs per venue (per measure, the run with the lowest median), each on a fresh anvil")
    print("\nanvil on 127.0.0.1 with automine; each cycle rebuilds the universe from the pools' events (v2 and v3),")
    print("syncs the treasury, checks accounts, decides, approves nothing new, signs, saves state, broadcasts, confirms, settles and saves.")

if __name__ == "__main__":
    main()
