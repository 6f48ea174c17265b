"""Webhook under load while the live trader runs cycles on anvil, in the same process.

    .venv/bin/python benchmarks/webhook_load.py [--seconds 8] [--rounds 3]

The trader (on anvil, one swap per cycle, a state of 10,000 past trades) and the webhook server
(uvicorn on its own thread) share one process, as in production; the private key is registered
as a secret, as the CLI does, so /state pays for masking as in production. A load generator in a
separate process (uvloop, protocol callbacks, keep-alive connections, raw HTTP/1.1) sends GET
requests either as fast as the server answers (full load) or at a fixed offered rate.

This host's speed drifts by about 10% within one run, so each load phase runs once per round,
right after a no-load phase, and the slowdown compares the median cycle under load with the
median of every no-load cycle. Besides requests/s and cycle time it prints the trader thread's
CPU time per cycle (the part of a slowdown that is more work rather than waiting for the GIL or
a core), and the CPU of the process's other threads (HTTP server, its worker threads) and of the
load generator, as shares of one core. The generator runs on the same 2 cores, so a slowdown
includes its CPU (about 5% of a core at 1000 requests/s; the same load against a server in
another process slowed cycles by 1-3%): with clients on other machines it would be smaller.

Targets (issue 4): /status >= 1000 requests/s; cycles slowed by < 10% (at 1000 requests/s).
Every request goes to 127.0.0.1 only; each phase stops by itself after --seconds.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import functools
import gc
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

CONNECTIONS = 8
PAST_TRADES = 10_000
KEY = "0x" + "33" * 32
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


# --- the load generator (runs in its own process) ---------------------------------------------


class _Connection(asyncio.Protocol):
    """One keep-alive connection: a request, its whole answer, the next request (at ``interval`` if set).

    Callbacks rather than streams and a coroutine per request: the generator shares the two cores
    with the executor, so every microsecond it spends is one the executor may lose.
    """

    def __init__(self, request: bytes, deadline: float, interval: float | None, counts: list[int], done: asyncio.Future):
        self.request, self.deadline, self.interval, self.counts, self.done = request, deadline, interval, counts, done
        self.buffer = b""
        self.next_at = 0.0

    def connection_made(self, transport) -> None:
        self.transport = transport
        self.loop = asyncio.get_running_loop()
        self.next_at = self.loop.time()
        self.send()

    def send(self) -> None:
        if self.loop.time() >= self.deadline:
            self.transport.close()
            if not self.done.done():
                self.done.set_result(None)
        elif self.interval is not None and self.loop.time() < self.next_at:
            self.loop.call_at(self.next_at, self.send_now)
        else:
            self.send_now()

    def send_now(self) -> None:
        if self.interval is not None:
            self.next_at += self.interval
        self.transport.write(self.request)

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        end = self.buffer.find(b"\r\n\r\n")
        if end < 0:
            return
        start = self.buffer.find(b"content-length:", 0, end) + 15  # uvicorn writes header names in lower case
        length = int(self.buffer[start : self.buffer.find(b"\r\n", start)]) if start >= 15 else 0
        if len(self.buffer) < end + 4 + length:
            return
        self.counts[0 if self.buffer.startswith(b"HTTP/1.1 200") else 1] += 1
        self.buffer = self.buffer[end + 4 + length :]
        self.send()

    def connection_lost(self, exc) -> None:
        if not self.done.done():
            self.done.set_result(None)


async def _load(port: int, path: str, seconds: float, rate: float | None, gzip: bool) -> dict:
    loop = asyncio.get_running_loop()
    encoding = b"Accept-Encoding: gzip\r\n" if gzip else b""
    request = f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n".encode() + encoding + b"\r\n"
    counts = [0, 0]
    started = loop.time()
    interval = CONNECTIONS / rate if rate else None
    done = [loop.create_future() for _ in range(CONNECTIONS)]
    for future in done:
        await loop.create_connection(lambda f=future: _Connection(request, started + seconds, interval, counts, f), "127.0.0.1", port)
    await asyncio.gather(*done)
    elapsed = loop.time() - started
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return {"ok": counts[0], "errors": counts[1], "seconds": elapsed, "rps": counts[0] / elapsed, "generator_cpu": usage.ru_utime + usage.ru_stime}


def run_load_generator(port: int, path: str, seconds: float, rate: float | None, gzip: bool) -> None:
    try:
        from uvloop import run  # installed with uvicorn[standard]; a leaner loop leaves more CPU to the executor
    except ImportError:
        run = asyncio.run
    print("started", flush=True)
    print(json.dumps(run(_load(port, path, seconds, rate, gzip))), flush=True)


# --- the executor side ---------------------------------------------------------------------------


def add_past_trades(state, pair, reserve, count: int) -> None:
    """Closed positions (a buy and a sell each) that change no balance: a long history to serve."""
    from trade_executor.state import TradeExecution, TradeType, TradingPosition

    portfolio = state.portfolio
    when = datetime.datetime(2025, 1, 1)
    for i in range(count // 2):
        at = when + datetime.timedelta(hours=i)
        position = TradingPosition(portfolio.allocate_position_id(), pair, reserve, at, Decimal(300), at)
        for quantity in (Decimal("0.5"), Decimal("-0.5")):
            trade = TradeExecution(portfolio.allocate_trade_id(), position.position_id, pair, reserve, TradeType.rebalance, at, quantity, Decimal(150), Decimal(300))
            trade.mark_success(executed_at=at, quantity=quantity, reserve=Decimal(150), lp_fees=Decimal("0.45"), price_impact=Decimal(0), gas_native=Decimal(0), gas_usd=Decimal(0))
            position.trades[trade.trade_id] = trade
        position.closed_at = at
        portfolio.closed_positions[position.position_id] = position


class GcTimer:
    """Seconds spent in the cyclic garbage collector, whichever thread triggered it."""

    def __init__(self):
        self.total = 0.0
        self._started = 0.0
        gc.callbacks.append(self._callback)

    def _callback(self, event: str, info: dict) -> None:
        if event == "start":
            self._started = time.perf_counter()
        else:
            self.total += time.perf_counter() - self._started


def cycles_while(trader, busy) -> tuple[list[float], list[float]]:
    """Wall and CPU (this thread's) seconds of each cycle."""
    times, cpu = [], []
    while busy():
        started, started_cpu = time.perf_counter(), time.thread_time()
        trader.run_cycle(trader.config.clock())
        times.append(time.perf_counter() - started)
        cpu.append(time.thread_time() - started_cpu)
    return times, cpu


def phase(trader, gc_timer: GcTimer, port: int, seconds: float, path: str | None, rate: float | None = None, gzip: bool = False) -> dict:
    """Cycles back to back for ``seconds``, with a load generator on ``path`` (None: no load)."""
    process_cpu, trader_cpu, gc_seconds, started = time.process_time(), time.thread_time(), gc_timer.total, time.perf_counter()
    if path is None:
        deadline = time.monotonic() + seconds
        cycles, cpu = cycles_while(trader, lambda: time.monotonic() < deadline)
        result = {}
    else:
        args = [sys.executable, __file__, "--load", str(port), path, str(seconds), str(rate or 0), "1" if gzip else "0"]
        generator = subprocess.Popen(args, stdout=subprocess.PIPE, text=True)
        assert generator.stdout.readline().strip() == "started"
        cycles, cpu = cycles_while(trader, lambda: generator.poll() is None)
        result = json.loads(generator.stdout.readline())
        generator.wait()
        if len(cycles) > 1:  # the last cycle ran partly after the load
            cycles, cpu = cycles[:-1], cpu[:-1]
    elapsed = time.perf_counter() - started
    return {
        "cycles": cycles, "cycle_cpu": cpu, "wall": elapsed,
        "server_cpu": (time.process_time() - process_cpu) - (time.thread_time() - trader_cpu),  # the HTTP thread and its workers
        "gc": gc_timer.total - gc_seconds, **result,
    }


def build_trader(folder: Path, anvil_url: str, tracker):
    from pydantic import SecretStr

    from trade_executor.chain.connection import create_web3
    from trade_executor.chain.wallet import HotWallet
    from trade_executor.devnet.anvil import ANVIL_PRIVATE_KEYS
    from trade_executor.devnet.deploy import deploy_uniswap_v2
    from trade_executor.runner.live import LiveConfig, LiveTrader

    web3 = create_web3(anvil_url)
    deployment = deploy_uniswap_v2(
        web3, HotWallet(ANVIL_PRIVATE_KEYS[0]), prices={"ETH": Decimal(300)}, liquidity_usd=Decimal(1_000_000), fund_address=HotWallet(KEY).address, fund_usdc=Decimal(100_000),
    )
    web3.provider.make_request("evm_increaseTime", [20 * 60])  # pools with a history: the live reference price is their TWAP
    web3.provider.make_request("evm_mine", [])
    strategy = folder / "bench.py"
    strategy.write_text(STRATEGY)
    config = LiveConfig(strategy, folder / "state.json", SecretStr(anvil_url), SecretStr(KEY), deployment.router, deployment.factory, deployment.tokens, observers=(tracker,), cache_path=folder / "cache")
    return LiveTrader(config)


def main(seconds: float, rounds: int) -> None:
    from trade_executor.cli.webhook_wiring import recent_prices
    from trade_executor.devnet.anvil import Anvil
    from trade_executor.secrets import register_secret
    from trade_executor.webhook import StatusTracker, WebhookServer, create_app

    register_secret(KEY)  # as the CLI does: answers are masked, as in production
    tracker = StatusTracker()
    with Anvil() as anvil, tempfile.TemporaryDirectory() as folder:
        trader = build_trader(Path(folder), anvil.url, tracker)
        tracker.price_source = lambda: recent_prices(trader)
        trader.recover()
        tracker.started(trader.state)
        trader.run_cycle(trader.config.clock())  # the one-off approvals
        trader.run_cycle(trader.config.clock())
        pair = next(iter(trader.state.portfolio.get_all_positions())).pair
        add_past_trades(trader.state, pair, trader.reserve, PAST_TRADES)
        trader.run_cycle(trader.config.clock())
        server = WebhookServer(create_app(tracker), "127.0.0.1", 0).start()
        gc_timer = GcTimer()
        run = functools.partial(phase, trader, gc_timer, server.port, seconds)
        results: dict[str, list[dict]] = {name: [] for name in PHASES}
        try:
            state_bytes = len(tracker.state_document.data)
            gzipped_bytes = len(tracker.state_document.gzipped())  # read now: the state's folder is gone by the report
            for _ in range(rounds):  # load phases between no-load phases: a drift in speed hits both alike
                for name, (path, rate, gzip) in PHASES.items():
                    results[name].append(run(path, rate, gzip))
            results["no load"].append(run(None))
        finally:
            server.stop()
    report(results, state_bytes, gzipped_bytes, rounds)


PHASES = {  # name: (path, offered rate or None for as fast as answered, gzip)
    "no load": (None, None, False),
    "/status at 1000 req/s": ("/status", 1000, False),
    "/status full load": ("/status", None, False),
    "/state (gzip) full load": ("/state", None, True),
    "/metrics full load": ("/metrics", None, False),
}


def report(results: dict[str, list[dict]], state_bytes: int, gzipped_bytes: int, rounds: int) -> None:
    def merged(runs: list[dict], key: str) -> list:
        return [value for run in runs for value in run[key]]

    def per_second(runs: list[dict], key: str) -> float:
        return sum(run[key] for run in runs) / sum(run["wall"] for run in runs)

    baseline = statistics.median(merged(results["no load"], "cycles"))
    print(f"State served by /state: {PAST_TRADES:,} past trades, {state_bytes / 1e6:.1f} MB JSON, {gzipped_bytes / 1e6:.2f} MB gzip; {rounds} round(s)")
    print(f"{'phase':24} {'req/s':>7} {'errors':>6} {'cycles':>6} {'median ms':>9} {'slowdown':>8} {'trader CPU ms':>13} {'HTTP CPU':>8} {'load gen CPU':>12} {'GC':>5}")
    print("-" * 112)
    for name, runs in results.items():
        cycles = merged(runs, "cycles")
        median = statistics.median(cycles)
        loaded = "rps" in runs[0]
        rps = f"{sum(r['ok'] for r in runs) / sum(r['seconds'] for r in runs):,.0f}" if loaded else "-"
        errors = str(sum(r["errors"] for r in runs)) if loaded else "-"
        generator = f"{per_second(runs, 'generator_cpu'):.0%}" if loaded else "-"
        print(
            f"{name:24} {rps:>7} {errors:>6} {len(cycles):>6} {median * 1000:>9.1f} {(median / baseline - 1) * 100:>7.1f}% "
            f"{statistics.median(merged(runs, 'cycle_cpu')) * 1000:>13.1f} {per_second(runs, 'server_cpu'):>8.0%} {generator:>12} {per_second(runs, 'gc'):>5.0%}"
        )
    print(f"\nBaseline: median of every no-load cycle, {baseline * 1000:.1f} ms (one swap, confirmed, state saved). Each load phase ran once per round, between no-load phases.")
    print("trader CPU: median CPU time of the trader's thread per cycle. HTTP CPU (every other thread of the process), load gen CPU, GC: share of one core over the phase.")
    print(f"Load: {CONNECTIONS} keep-alive connections from one process (uvloop, callbacks) on 127.0.0.1; trader, server, anvil and generator on the same cores.")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--load":
        port, path, seconds, rate, gzip = sys.argv[2:7]
        run_load_generator(int(port), path, float(seconds), float(rate) or None, gzip == "1")
    else:
        parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
        parser.add_argument("--seconds", type=float, default=8.0, help="Length of each phase.")
        parser.add_argument("--rounds", type=int, default=3, help="Times each load phase runs, each after a no-load phase.")
        arguments = parser.parse_args()
        main(arguments.seconds, arguments.rounds)
