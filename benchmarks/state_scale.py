"""What a live cycle and a backtest pay for their state as history grows.

    .venv/bin/python benchmarks/state_scale.py [--cycles 10] [--baseline PATH]

A one-swap live cycle on anvil (decide, sign, save, broadcast, confirm, settle, save: the
cycle live_cycle.py times) with 0, 1,000, 10,000 and 50,000 past trades in the state: closed
positions of a buy and a sell, each trade carrying the signed transaction of a real swap (copied
from the warm-up cycle), written to the state file before the trader starts, as after a restart
of a long-running executor. The time is the best of --cycles cycles per size (the median too),
each size in its own process with its own anvil. Then a 1,000,000-bar backtest (one synthetic
pair, one-minute bars, an SMA crossover that plots its slow average every bar) writes its state:
the file's size and the save's time.

--baseline runs the same cases with another checkout's code first (PYTHONPATH=PATH, e.g. a git
worktree of the commit before the journaled store) and prints both.

Target (issue 13): the 50,000-trade cycle within 20% of the empty-state cycle and under 300 ms.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from itertools import islice
from pathlib import Path

from live_cycle import STRATEGY  # the same one-swap alternating strategy (benchmarks/ is on the path of a script run from it)

SIZES = (0, 1_000, 10_000, 50_000)
BARS = 1_000_000
KEY = "0x" + "44" * 32
BACKTEST_STRATEGY = f'''
import math
from trade_executor.strategy.api import ChainId, IndicatorSet
from trade_executor.testing.synthetic import synthetic_candles
trading_strategy_engine_version = "1.0"
trading_strategy_cycle = "1m"
chain_id = ChainId.ethereum
exchange = "uniswap-v2"
reserve_currency = "USDC"
class Parameters:
    initial_cash = 10_000
    pool_liquidity_usd = 5_000_000
def create_trading_universe(timestamp, data, execution_context, options):
    return data.from_frames(synthetic_candles(["ETH"], periods={BARS}, freq="1min", volatility=0.001, seed=7))
def create_indicators(timestamp, parameters, universe, execution_context):
    indicators = IndicatorSet()
    indicators.add("fast", lambda close: close.rolling(240).mean())
    indicators.add("slow", lambda close: close.rolling(960).mean())
    return indicators
def decide_trades(input):
    fast, slow = input.indicators.get("fast"), input.indicators.get("slow")
    if math.isnan(slow):
        return []
    input.visualisation.plot_indicator(input.timestamp, "slow", slow)
    pm = input.position_manager
    if pm.is_any_open():
        return pm.close_all() if fast < slow else []
    if fast > slow and input.indicators.get("fast", lag=1) <= input.indicators.get("slow", lag=1):
        return pm.open_long(input.universe.get_single_pair(), pm.get_current_cash(), stop_loss_pct=0.95)
    return []
'''


def past_trades(state, template, count: int) -> None:
    """``count`` trades in closed positions (webhook_load.py's), each carrying ``template``'s signed transaction."""
    from dataclasses import replace

    from webhook_load import add_past_trades

    transaction = template.blockchain_transactions[-1]
    add_past_trades(state, template.pair, template.reserve_currency, count)
    for position in islice(reversed(state.portfolio.closed_positions.values()), count // 2):
        for trade in position.trades.values():
            trade.blockchain_transactions.append(replace(transaction, tx_hash=f"0x{trade.trade_id:064x}"))


def measure_live(size: int, cycles: int) -> dict:
    from pydantic import SecretStr

    from trade_executor.chain.connection import create_web3
    from trade_executor.chain.wallet import HotWallet
    from trade_executor.devnet.anvil import ANVIL_PRIVATE_KEYS, Anvil
    from trade_executor.devnet.deploy import deploy_uniswap_v2
    from trade_executor.runner.live import LiveConfig, LiveTrader
    from trade_executor.secrets import register_secret
    from trade_executor.webhook import StatusTracker

    register_secret(KEY)  # as the CLI does: /state is masked
    tracker = StatusTracker()  # the webhook's observer, as with HTTP_ENABLED: /status after each cycle, /state's document
    with Anvil() as anvil, tempfile.TemporaryDirectory() as folder:
        web3 = create_web3(anvil.url)
        deployment = deploy_uniswap_v2(
            web3, HotWallet(ANVIL_PRIVATE_KEYS[0]), prices={"ETH": Decimal(300)}, liquidity_usd=Decimal(1_000_000),
            fund_address=HotWallet(KEY).address, fund_usdc=Decimal(100_000),
        )
        anvil.rpc("evm_increaseTime", 20 * 60)  # pools with a history: the reference price is their TWAP
        anvil.rpc("evm_mine")
        strategy = Path(folder) / "bench.py"
        strategy.write_text(STRATEGY)
        state_file = Path(folder) / "state.json"
        config = LiveConfig(
            strategy, state_file, SecretStr(anvil.url), SecretStr(KEY), deployment.router, deployment.factory, deployment.tokens, observers=(tracker,), cache_path=state_file.parent / "cache",
        )
        trader = LiveTrader(config)
        trader.recover()
        trader.run_cycle(config.clock())  # the one-off approvals; opens a position
        trader.run_cycle(config.clock())  # closes it
        template = next(iter(trader.state.portfolio.closed_positions.values())).trades
        past_trades(trader.state, next(iter(template.values())), size)
        type(trader.store)(state_file).save(trader.state)  # the whole history in the file, as a restart finds it
        del trader
        started = time.perf_counter()
        trader = LiveTrader(config)
        trader.recover()
        start_seconds = time.perf_counter() - started
        trader.run_cycle(config.clock())  # warm: the first cycle of a process builds caches
        began = time.perf_counter()
        tracker.state_document.gzipped()  # the process's first /state reads the whole files; the webhook serves on
        first_document_seconds = time.perf_counter() - began
        saves: list[float] = []
        store_save = trader.store.save

        def timed_save(state, **options):
            began = time.perf_counter()
            store_save(state, **options)
            saves.append(time.perf_counter() - began)

        trader.store.save = timed_save
        times, save_seconds = [], []
        for _ in range(cycles):
            saves.clear()
            began = time.perf_counter()
            trades = trader.run_cycle(config.clock())
            times.append(time.perf_counter() - began)
            save_seconds.append(sum(saves))
            assert len(trades) == 1 and trades[0].is_success, trades
        files = {p.name: p.stat().st_size for p in Path(folder).iterdir() if p.name.startswith("state")}
        best = times.index(min(times))
        began = time.perf_counter()
        tracker.state_document.gzipped()  # the first /state request after a save
        document_seconds = time.perf_counter() - began
        compaction_seconds = None
        if hasattr(trader.store, "compact"):
            began = time.perf_counter()
            trader.store.compact(trader.state)
            compaction_seconds = time.perf_counter() - began
        return {
            "size": size, "best_ms": times[best] * 1000, "median_ms": statistics.median(times) * 1000, "max_ms": max(times) * 1000, "saves": len(saves),
            "save_ms": save_seconds[best] * 1000, "start_s": start_seconds, "state_mb": sum(files.values()) / 1e6,
            "document_s": document_seconds, "first_document_s": first_document_seconds, "compaction_s": compaction_seconds,
        }


def measure_backtest() -> dict:
    from trade_executor.runner.backtest import BacktestOptions, BacktestRun, build_universe
    from trade_executor.state import JSONFileStore
    from trade_executor.strategy.context import ExecutionContext, ExecutionMode
    from trade_executor.strategy.module import load_strategy_module

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "sma_1m.py"
        path.write_text(BACKTEST_STRATEGY)
        strategy = load_strategy_module(path)
        universe = build_universe(strategy, BacktestOptions(), ExecutionContext(ExecutionMode.backtesting, strategy.engine_version))
        state = BacktestRun(strategy, universe).run().state
        state_file = Path(folder) / "state.json"
        began = time.perf_counter()
        JSONFileStore(state_file).save(state)
        save_seconds = time.perf_counter() - began
        began = time.perf_counter()
        loaded = JSONFileStore(state_file).load()
        load_seconds = time.perf_counter() - began
        assert loaded == state
        trades = sum(len(p.trades) for p in state.portfolio.get_all_positions())
        return {"bars": len(state.stats), "trades": trades, "state_mb": state_file.stat().st_size / 1e6, "save_s": save_seconds, "load_s": load_seconds}


def run_case(args: list[str], code: str | None) -> dict:
    env = dict(os.environ)
    if code:
        env["PYTHONPATH"] = code
    out = subprocess.run([sys.executable, __file__, *args], capture_output=True, text=True, env=env, check=False)
    if out.returncode:
        raise SystemExit(f"{' '.join(args)} failed ({code or 'this checkout'}):\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cycles", type=int, default=10)
    parser.add_argument("--baseline", help="another checkout's code to compare with (PYTHONPATH)")
    parser.add_argument("--case", help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.case == "backtest":
        print(json.dumps(measure_backtest()))
        return
    if options.case is not None:
        print(json.dumps(measure_live(int(options.case), options.cycles)))
        return
    codes = {"before": options.baseline, "after": None} if options.baseline else {"this code": None}
    results = {}
    for label, code in codes.items():
        live = [run_case(["--case", str(size), "--cycles", str(options.cycles)], code) for size in SIZES]
        results[label] = (live, run_case(["--case", "backtest"], code))
    report(results, options.cycles)


def report(results: dict, cycles: int) -> None:
    header = (
        f"{'code':10} {'past trades':>11} {'best ms':>8} {'median ms':>9} {'max ms':>7} {'saves':>5} {'save ms':>8} {'vs empty':>8} "
        f"{'start s':>7} {'state MB':>8} {'1st /state':>10} {'/state s':>8} {'compact s':>9}"
    )
    print(header)
    print("-" * len(header))
    for label, (live, _) in results.items():
        empty = live[0]["best_ms"]
        for row in live:
            compaction = "-" if row["compaction_s"] is None else f"{row['compaction_s']:.2f}"
            print(
                f"{label:10} {row['size']:>11,} {row['best_ms']:>8.1f} {row['median_ms']:>9.1f} {row['max_ms']:>7.1f} {row['saves']:>5} {row['save_ms']:>8.1f} "
                f"{(row['best_ms'] / empty - 1) * 100:>+7.0f}% {row['start_s']:>7.2f} {row['state_mb']:>8.1f} {row.get('first_document_s', 0):>10.2f} {row['document_s']:>8.2f} {compaction:>9}"
            )
    print(f"\nbest/median/max of {cycles} one-swap cycles on anvil, the webhook's observer attached; save ms: the store's saves in the best cycle;")
    print("start s: loading the state and recovery at start; state MB: the state files after the cycles; /state s: the first /state request")
    print("after a save (build, mask, gzip; the process's first /state, before the cycles, is 1st /state); compact s: one compaction (the journaled store folds its journal in about once per snapshot")
    print("size of appended records). Target: 50,000 within 20% of 0 and under 300 ms.\n")
    header = f"{'code':10} {'bars':>9} {'trades':>6} {'state MB':>8} {'save s':>6} {'load s':>6}"
    print(header)
    print("-" * len(header))
    for label, (_, backtest) in results.items():
        print(f"{label:10} {backtest['bars']:>9,} {backtest['trades']:>6} {backtest['state_mb']:>8.1f} {backtest['save_s']:>6.2f} {backtest['load_s']:>6.2f}")
    print("\n1,000,000 one-minute bars of a synthetic pair, an SMA crossover that plots its slow average every bar.")


if __name__ == "__main__":
    main()
