"""Live cycle speed on anvil: one cycle that decides and executes one swap, and a trigger pass.

    .venv/bin/python benchmarks/live_cycle.py

Targets (issues 3 and 10): under 300 ms per one-swap cycle (cycle start to confirmed and saved),
under 50 ms per stop-loss check pass over 10 open positions. Since issue 10 both also read every
pool's price accumulators (one batch) for the TWAP reference and check each swap against it.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from decimal import Decimal
from pathlib import Path

from pydantic import SecretStr

from trade_executor.chain.connection import create_web3
from trade_executor.chain.wallet import HotWallet
from trade_executor.devnet.anvil import ANVIL_PRIVATE_KEYS, Anvil
from trade_executor.devnet.deploy import deploy_uniswap_v2
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


def main() -> None:
    with Anvil() as anvil, tempfile.TemporaryDirectory() as folder:
        web3 = create_web3(anvil.url)
        deployment = deploy_uniswap_v2(
            web3, HotWallet(ANVIL_PRIVATE_KEYS[0]), prices={s: Decimal(300) for s in SYMBOLS}, liquidity_usd=Decimal(1_000_000),
            fund_address=HotWallet(KEY).address, fund_usdc=Decimal(100_000),
        )
        anvil.rpc("evm_increaseTime", 20 * 60)  # pools with a history: the reference price is their TWAP
        anvil.rpc("evm_mine")
        strategy = Path(folder) / "bench.py"
        strategy.write_text(STRATEGY)
        config = LiveConfig(strategy, Path(folder) / "state.json", SecretStr(anvil.url), SecretStr(KEY), deployment.router, deployment.factory, deployment.tokens, cache_path=Path(folder) / "cache")
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
        universe = trader.loader.embedded(SYMBOLS)
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
        open_positions = len(trader.state.portfolio.open_positions)

    print(f"{'measure':52} {'median ms':>10} {'max ms':>8} {'target ms':>10}")
    print("-" * 84)
    print(f"{'one live cycle with one swap (decide..confirmed+saved)':52} {statistics.median(cycles) * 1000:>10.1f} {max(cycles) * 1000:>8.1f} {300:>10}")
    print(f"{f'trigger check pass over {open_positions} open positions':52} {statistics.median(passes) * 1000:>10.1f} {max(passes) * 1000:>8.1f} {50:>10}")
    print("\nanvil on 127.0.0.1 with automine; each cycle rebuilds the universe from pool events, syncs the treasury,")
    print("checks accounts, decides, approves nothing new, signs, saves state, broadcasts, confirms, settles and saves.")


if __name__ == "__main__":
    main()
