"""Backtest speed: cycles per second and peak memory, each case in its own process.

    .venv/bin/python benchmarks/backtest_speed.py

Cases (issue targets on the 2-core machine):
  1. ETH SMA example over the full embedded hourly data, indicators precomputed: >= 150,000 cycles/s
  2. 50 synthetic pairs, one year hourly (8,760 cycles), one strategy deciding across all pairs: whole run < 2 s
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CASES = {
    "eth-sma-full": ("ETH SMA, embedded 1h data", ROOT / "strategies" / "eth-usd-sma.py"),
    "50-pairs-1y": ("50 synthetic pairs, 1y of 1h", ROOT / "benchmarks" / "strategies" / "momentum-50-pairs.py"),
}
REPEATS = 5


def measure(case: str) -> dict:
    from trade_executor.runner.backtest import BacktestOptions, BacktestRun, build_universe
    from trade_executor.strategy.context import ExecutionContext, ExecutionMode
    from trade_executor.strategy.module import load_strategy_module

    _, path = CASES[case]
    started = time.perf_counter()
    strategy = load_strategy_module(path)
    universe = build_universe(strategy, BacktestOptions(), ExecutionContext(ExecutionMode.backtesting, strategy.engine_version))
    loops, wholes, trades = [], [], 0
    for repeat in range(REPEATS):
        begin = time.perf_counter()
        run = BacktestRun(strategy, universe)  # computes the indicators
        result = run.run()
        wholes.append(time.perf_counter() - begin + (begin - started if repeat == 0 else 0))
        loops.append(result.loop_seconds)
        trades = sum(len(p.trades) for p in result.state.portfolio.get_all_positions())
    return {
        "cycles": result.cycles,
        "pairs": len(universe.pairs),
        "trades": trades,
        "best_loop_s": min(loops),
        "cycles_per_s": result.cycles / min(loops),
        "first_whole_run_s": wholes[0],
        "best_whole_run_s": min(wholes[1:] or wholes),
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def main() -> None:
    if len(sys.argv) == 3 and sys.argv[1] == "--case":
        print(json.dumps(measure(sys.argv[2])))
        return
    rows = []
    for case, (label, _) in CASES.items():
        out = subprocess.run([sys.executable, __file__, "--case", case], capture_output=True, text=True, check=True, cwd=ROOT)
        rows.append((label, json.loads(out.stdout.strip().splitlines()[-1])))
    header = f"{'case':32} {'pairs':>5} {'cycles':>7} {'swaps':>6} {'loop s':>7} {'cycles/s':>10} {'1st run s':>9} {'run s':>6} {'peak MB':>8}"
    print(header)
    print("-" * len(header))
    for label, r in rows:
        print(
            f"{label:32} {r['pairs']:>5} {r['cycles']:>7,} {r['trades']:>6,} {r['best_loop_s']:>7.3f} {r['cycles_per_s']:>10,.0f} "
            f"{r['first_whole_run_s']:>9.2f} {r['best_whole_run_s']:>6.2f} {r['peak_rss_mb']:>8.0f}"
        )
    print("\nloop s: best of 5 runs of the cycle loop (indicators precomputed); 1st run s: load, universe, indicators and loop,")
    print("in a fresh process; run s: best whole BacktestRun (indicators + loop) afterwards. Peak MB: the process's max RSS.")


if __name__ == "__main__":
    main()
