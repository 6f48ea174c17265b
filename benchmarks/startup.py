"""Start-up time of the `trade-executor` command: each case a fresh process, best of N.

    .venv/bin/python benchmarks/startup.py [--repeats 15] [--json]

Cases: `hello`, `--help` and `backtest --help` through the installed console script, beside a
bare `python -c pass` (the floor no command can beat). Then a `python -X importtime` summary
of `hello`: the packages it loads, by their own import time, and whether any heavy one
(pandas, numpy, pyarrow, web3) is among them. Target (issue 15): `hello` and `--help` under
0.25 s.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

HEAVY = ("pandas", "numpy", "pyarrow", "web3", "eth_account", "pydantic", "rich", "plotly", "fastapi")
RUN_HELLO = "import sys; sys.argv = ['trade-executor', 'hello']; from trade_executor.cli.main import app; app()"


def executable() -> list[str]:
    """The console script beside this interpreter (what a user runs), else `python -m trade_executor`."""
    script = Path(sys.executable).with_name("trade-executor")
    return [str(script)] if script.exists() else [sys.executable, "-m", "trade_executor"]


def cases() -> dict[str, list[str]]:
    command = executable()
    return {
        "python -c pass": [sys.executable, "-c", "pass"],
        "hello": [*command, "hello"],
        "--help": [*command, "--help"],
        "backtest --help": [*command, "backtest", "--help"],
    }


def best_of(argv: list[str], repeats: int) -> tuple[float, float]:
    """(best, median) wall seconds of `repeats` runs after one warm-up; a run that fails stops the benchmark."""
    times = []
    for attempt in range(repeats + 1):
        started = time.perf_counter()
        done = subprocess.run(argv, capture_output=True, text=True, env={**os.environ, "COLUMNS": "100"})
        elapsed = time.perf_counter() - started
        if done.returncode != 0:
            raise SystemExit(f"{' '.join(argv)} exited {done.returncode}: {done.stderr.strip()[-500:]}")
        if attempt:
            times.append(elapsed)
    times.sort()
    return times[0], times[len(times) // 2]


def import_summary(top: int = 8) -> tuple[list[tuple[str, float]], list[str], int]:
    """(the packages `hello` spends most import time in, the heavy ones it loads, modules imported)."""
    done = subprocess.run([sys.executable, "-X", "importtime", "-c", RUN_HELLO], capture_output=True, text=True, check=True)
    own = defaultdict(float)
    count = 0
    for line in done.stderr.splitlines():
        if not line.startswith("import time:") or "self [us]" in line:
            continue
        self_us, _cumulative, name = line.removeprefix("import time:").split("|")
        own[name.strip().split(".")[0]] += int(self_us) / 1e6
        count += 1
    ranked = sorted(own.items(), key=lambda item: -item[1])[:top]
    return ranked, [name for name in HEAVY if name in own], count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--json", action="store_true", help="print one JSON document instead of the tables")
    args = parser.parse_args()
    rows = {name: best_of(argv, args.repeats) for name, argv in cases().items()}
    packages, heavy, count = import_summary()
    if args.json:
        print(json.dumps({"best_s": {k: v[0] for k, v in rows.items()}, "median_s": {k: v[1] for k, v in rows.items()}, "heavy": heavy, "modules": count}))
        return
    print(f"{'case':<18} {'best s':>8} {'median s':>9}   (best of {args.repeats}, fresh processes)")
    for name, (best, median) in rows.items():
        print(f"{name:<18} {best:>8.3f} {median:>9.3f}")
    print(f"\n`hello` imports {count} modules; heavy packages loaded: {', '.join(heavy) or 'none'}")
    print(f"{'package':<24} {'own import s':>12}")
    for name, seconds in packages:
        print(f"{name:<24} {seconds:>12.3f}")


if __name__ == "__main__":
    main()
