"""Replay speed: simulated days per minute of wall time, 1-pair hourly strategy.

    .venv/bin/python benchmarks/replay_speed.py [days]

Target (issue 6): at least 30 days (720 hourly cycles with trades) per minute on the 2-core machine.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

from trade_executor.replay.driver import ReplayOptions, run_replay

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    days = int(sys.argv[1]) if len(sys.argv) > 1 else 30
    start = pd.Timestamp("2018-01-01")
    with tempfile.TemporaryDirectory() as folder:
        began = time.perf_counter()
        result = run_replay(ReplayOptions(ROOT / "strategies/eth-usd-sma.py", Path(folder) / "replay.json", start, start + pd.Timedelta(days=days)))
        seconds = time.perf_counter() - began
    comparison = result.comparison
    print(f"{'measure':44} {'value':>12}")
    print("-" * 57)
    print(f"{'simulated period':44} {f'{days} days':>12}")
    print(f"{'hourly cycles':44} {result.cycles:>12,}")
    print(f"{'trades (each on chain)':44} {len(comparison.rows):>12}")
    print(f"{'arbitrage swaps moving the pool':44} {result.pool_moves:>12,}")
    print(f"{'wall time, backtest + chain set-up + replay':44} {f'{seconds:.1f} s':>12}")
    print(f"{'simulated days per minute (target >= 30)':44} {days / seconds * 60:>12.1f}")
    print(f"{'cycles per second':44} {result.cycles / seconds:>12.1f}")
    print(f"{'decisions identical':44} {str(comparison.decisions_match):>12}")
    print(f"{'worst fill price difference':44} {f'{comparison.worst_price_difference * 100:.6f}%':>12}")
    print(f"{'final equity difference (gas counted)':44} {f'{comparison.equity_difference * 100:+.6f}%':>12}")


if __name__ == "__main__":
    main()
