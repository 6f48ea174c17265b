"""Backtest speed and memory (issue 15): each case in its own process, best of several runs.

    .venv/bin/python benchmarks/backtest_speed.py [--repeats 5] [--cli-repeats 3] [--only NAME ...]
                                                  [--save results.json] [--baseline results.json]

Engine cases (the cycle loop timed in the process, indicators precomputed, best of ``--repeats``):
  noop-1m      the engine's own cost per cycle: 1,051,200 one-minute bars, decide_trades returns []
  eth-sma      the shipped strategies/eth-usd-sma.py over its embedded hourly data
  50-pairs     50 synthetic pairs x 8,760 hourly cycles, one portfolio
  sma-10k, sma-100k, sma-1m   the SMA crossover on a random walk of 10k, 100k and 1,051,200 one-minute bars
CLI case (best of ``--cli-repeats``): `trade-executor backtest` of the 1M-bar SMA crossover as a user runs it,
wall time of the whole process, its peak RSS and the size of the state file it writes.

``--save`` keeps the figures; ``--baseline`` prints each figure's ratio against a saved run (this machine's
speed varies about 2x from process to process: compare runs of the same sitting).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SMA_1M = ROOT / "benchmarks" / "strategies" / "sma-1m-bars.py"
FULL_BARS = 1_051_200
#: name -> (label, strategy file, environment)
CASES = {
    "noop-1m": ("no-op strategy, 1M 1m bars", SMA_1M, {"BARS": str(FULL_BARS), "DECIDE": "noop"}),
    "eth-sma": ("ETH SMA, embedded 1h data", ROOT / "strategies" / "eth-usd-sma.py", {}),
    "50-pairs": ("50 synthetic pairs, 1y of 1h", ROOT / "benchmarks" / "strategies" / "momentum-50-pairs.py", {}),
    "sma-10k": ("SMA cross, 10k 1m bars", SMA_1M, {"BARS": "10000"}),
    "sma-100k": ("SMA cross, 100k 1m bars", SMA_1M, {"BARS": "100000"}),
    "sma-1m": ("SMA cross, 1M 1m bars", SMA_1M, {"BARS": str(FULL_BARS)}),
}
TARGETS = (
    ("noop-1m", "us_per_cycle", "<=", 0.6, "engine overhead per cycle (us)"),
    ("eth-sma", "cycles_per_s", ">=", 500_000, "ETH SMA cycles/s"),
    ("50-pairs", "best_loop_s", "<", 0.6, "50 pairs x 8,760 cycles, loop (s)"),
    ("cli-1m", "best_wall_s", "<", 2.5, "1M bars, whole CLI process (s)"),
    ("cli-1m", "peak_rss_mb", "<", 350, "1M bars, CLI peak RSS (MB)"),
    ("scale", "growth", "<=", 1.25, "us/cycle at 1M over 10k"),
)


def measure(case: str, repeats: int) -> dict:
    from trade_executor.runner.backtest import BacktestOptions, BacktestRun, build_universe
    from trade_executor.strategy.context import ExecutionContext, ExecutionMode
    from trade_executor.strategy.module import load_strategy_module

    path = CASES[case][1]
    strategy = load_strategy_module(path)
    universe = build_universe(strategy, BacktestOptions(), ExecutionContext(ExecutionMode.backtesting, strategy.engine_version))
    loops, wholes = [], []
    for _ in range(repeats):
        begin = time.perf_counter()
        run = BacktestRun(strategy, universe)  # computes the indicators
        result = run.run()
        wholes.append(time.perf_counter() - begin)
        loops.append(result.loop_seconds)
        trades = sum(len(p.trades) for p in result.state.portfolio.get_all_positions())
        cycles = result.cycles
        del run, result
    return {
        "cycles": cycles,
        "pairs": len(universe.pairs),
        "trades": trades,
        "best_loop_s": min(loops),
        "best_run_s": min(wholes),
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def measure_cli(repeats: int) -> dict:
    """`trade-executor backtest` of the 1M-bar SMA crossover: whole process wall time, peak RSS, state file size."""
    walls, rss, sizes = [], [], []
    command = [str(Path(sys.executable).parent / "trade-executor"), "backtest", f"--strategy-file={SMA_1M}"]
    env = {**os.environ, "BARS": str(FULL_BARS)}
    for _ in range(repeats):
        with tempfile.TemporaryDirectory() as folder:
            state_file = Path(folder) / "state.json"
            begin = time.perf_counter()
            process = subprocess.Popen([*command, f"--state-file={state_file}"], cwd=folder, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            _, status, usage = os.wait4(process.pid, 0)
            walls.append(time.perf_counter() - begin)
            stdout, stderr = process.communicate()
            process.returncode = os.waitstatus_to_exitcode(status)
            if process.returncode:
                raise SystemExit(f"trade-executor backtest exited {process.returncode}:\n{stderr.decode()[-2000:]}")
            rss.append(usage.ru_maxrss / 1024)
            sizes.append(state_file.stat().st_size)
    return {"cycles": FULL_BARS, "best_wall_s": min(walls), "peak_rss_mb": min(rss), "state_bytes": sizes[0], "stdout_tail": stdout.decode().splitlines()[-1]}


def run_case(case: str, repeats: int) -> dict:
    env = {**os.environ, **CASES[case][2]}
    out = subprocess.run([sys.executable, __file__, "--case", case, "--repeats", str(repeats)], capture_output=True, text=True, check=True, cwd=ROOT, env=env)
    row = json.loads(out.stdout.strip().splitlines()[-1])
    row["us_per_cycle"] = row["best_loop_s"] / row["cycles"] * 1e6
    row["cycles_per_s"] = row["cycles"] / row["best_loop_s"]
    return row


def _ratio(now: float, before: float | None) -> str:
    return f"{now / before:5.2f}x" if before else ""


def report(results: dict, baseline: dict) -> None:
    header = f"{'case':30} {'pairs':>5} {'cycles':>9} {'swaps':>6} {'loop s':>7} {'us/cycle':>8} {'cycles/s':>10} {'run s':>6} {'peak MB':>7} {'loop vs base':>12}"
    print(header)
    print("-" * len(header))
    for case, (label, _, _) in CASES.items():
        r = results.get(case)
        if r is None:
            continue
        before = baseline.get(case, {}).get("best_loop_s")
        print(
            f"{label:30} {r['pairs']:>5} {r['cycles']:>9,} {r['trades']:>6,} {r['best_loop_s']:>7.3f} {r['us_per_cycle']:>8.3f} {r['cycles_per_s']:>10,.0f} "
            f"{r['best_run_s']:>6.2f} {r['peak_rss_mb']:>7.0f} {_ratio(r['best_loop_s'], before):>12}"
        )
    cli = results.get("cli-1m")
    if cli:
        base = baseline.get("cli-1m", {})
        print(f"\nCLI `trade-executor backtest`, {FULL_BARS:,} one-minute bars: whole process {cli['best_wall_s']:.2f} s {_ratio(cli['best_wall_s'], base.get('best_wall_s'))}, "
              f"peak RSS {cli['peak_rss_mb']:.0f} MB {_ratio(cli['peak_rss_mb'], base.get('peak_rss_mb'))}, "
              f"state file {cli['state_bytes'] / 1e6:.2f} MB {_ratio(cli['state_bytes'], base.get('state_bytes'))} ({cli['stdout_tail']})")
    scale = [results[c] for c in ("sma-10k", "sma-100k", "sma-1m") if c in results]
    if len(scale) == 3:
        results["scale"] = {"growth": scale[2]["us_per_cycle"] / scale[0]["us_per_cycle"]}
        print("per-cycle cost by history length: " + ", ".join(f"{r['cycles']:,} bars {r['us_per_cycle']:.3f} us" for r in scale)
              + f"; 1M / 10k = {results['scale']['growth']:.2f}")
    print("\nTargets (issue 15):")
    for case, key, op, goal, label in TARGETS:
        value = results.get(case, {}).get(key)
        if value is None:
            continue
        met = value <= goal if op == "<=" else value >= goal if op == ">=" else value < goal
        print(f"  {label:40} {value:>12,.3f}  target {op} {goal:,}  {'met' if met else 'NOT met'}")
    print("\nloop s: best cycle loop (indicators precomputed); run s: best whole BacktestRun (indicators + loop); peak MB: the")
    print("case's process (its repeats included). Ratios: this run over --baseline's (below 1 is faster or smaller).")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--case", help=argparse.SUPPRESS)
    parser.add_argument("--repeats", type=int, default=5, help="runs of each engine case (best kept)")
    parser.add_argument("--cli-repeats", type=int, default=3, help="runs of the 1M-bar CLI process (best kept); 0 skips it")
    parser.add_argument("--only", nargs="*", choices=[*CASES, "cli-1m"], help="run only these cases")
    parser.add_argument("--save", type=Path, help="write the figures to this JSON file")
    parser.add_argument("--baseline", type=Path, help="a JSON file from --save: print ratios against it")
    args = parser.parse_args()
    if args.case:
        print(json.dumps(measure(args.case, args.repeats)))
        return
    wanted = args.only or [*CASES, "cli-1m"]
    results = {}
    for case in CASES:
        if case in wanted:
            results[case] = run_case(case, args.repeats if not case.endswith("1m") else max(1, min(args.repeats, 3)))
    if "cli-1m" in wanted and args.cli_repeats:
        results["cli-1m"] = measure_cli(args.cli_repeats)
    baseline = json.loads(args.baseline.read_text()) if args.baseline else {}
    report(results, baseline)
    if args.save:
        args.save.write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
