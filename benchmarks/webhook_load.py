"""Webhook under load while the live trader runs cycles on anvil, in the same process.

    .venv/bin/python benchmarks/webhook_load.py [--seconds 8]

The trader (on anvil, one swap per cycle, a state of 10,000 past trades) and the webhook server
(uvicorn on its own thread) share one process, as in production. A load generator in a separate
process (asyncio, keep-alive connections, raw HTTP/1.1) sends GET requests either as fast as the
server answers (full load) or at a fixed offered rate. Measured per phase: requests/s answered
and the median live-cycle time, compared with cycles run without load.

Targets (issue 4): /status >= 1000 requests/s; cycles slowed by < 10% (at 1000 requests/s).
Every request goes to 127.0.0.1 only; each phase stops by itself after --seconds.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import json
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


async def _connection(port: int, request: bytes, deadline: float, interval: float | None, counts: list[int]) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    next_at = time.monotonic()
    try:
        while (now := time.monotonic()) < deadline:
            if interval is not None:
                if now < next_at:
                    await asyncio.sleep(next_at - now)
                next_at += interval
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n"):
                if line[:15].lower() == b"content-length:":
                    length = int(line[15:])
            await reader.readexactly(length)
            if head.startswith(b"HTTP/1.1 200"):
                counts[0] += 1
            else:
                counts[1] += 1
    finally:
        writer.close()


async def _load(port: int, path: str, seconds: float, rate: float | None, gzip: bool) -> dict:
    encoding = b"Accept-Encoding: gzip\r\n" if gzip else b""
    request = f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n".encode() + encoding + b"\r\n"
    counts = [0, 0]
    started = time.monotonic()
    interval = CONNECTIONS / rate if rate else None
    await asyncio.gather(*(_connection(port, request, started + seconds, interval, counts) for _ in range(CONNECTIONS)))
    elapsed = time.monotonic() - started
    return {"ok": counts[0], "errors": counts[1], "seconds": elapsed, "rps": counts[0] / elapsed}


def run_load_generator(port: int, path: str, seconds: float, rate: float | None, gzip: bool) -> None:
    print("started", flush=True)
    print(json.dumps(asyncio.run(_load(port, path, seconds, rate, gzip))), flush=True)


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


def cycles_while(trader, busy) -> list[float]:
    times = []
    while busy():
        started = time.perf_counter()
        trader.run_cycle(trader.config.clock())
        times.append(time.perf_counter() - started)
    return times


def phase(trader, port: int, seconds: float, path: str | None, rate: float | None = None, gzip: bool = False) -> dict:
    """Cycles back to back for ``seconds``, with a load generator on ``path`` (None: no load)."""
    if path is None:
        deadline = time.monotonic() + seconds
        return {"cycles": cycles_while(trader, lambda: time.monotonic() < deadline)}
    args = [sys.executable, __file__, "--load", str(port), path, str(seconds), str(rate or 0), "1" if gzip else "0"]
    generator = subprocess.Popen(args, stdout=subprocess.PIPE, text=True)
    assert generator.stdout.readline().strip() == "started"
    cycles = cycles_while(trader, lambda: generator.poll() is None)
    result = json.loads(generator.stdout.readline())
    generator.wait()
    return {"cycles": cycles[:-1] or cycles, **result}  # the last cycle ran partly after the load


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
    strategy = folder / "bench.py"
    strategy.write_text(STRATEGY)
    config = LiveConfig(strategy, folder / "state.json", SecretStr(anvil_url), SecretStr(KEY), deployment.router, deployment.factory, deployment.tokens, observers=(tracker,))
    return LiveTrader(config)


def main(seconds: float) -> None:
    from trade_executor.cli.webhook_wiring import recent_prices
    from trade_executor.devnet.anvil import Anvil
    from trade_executor.webhook import StatusTracker, WebhookServer, create_app

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
        try:
            state_bytes = len(tracker.state_document.data)
            results = {
                "no load": phase(trader, server.port, seconds, None),
                "/status full load": phase(trader, server.port, seconds, "/status"),
                "/status at 1000 req/s": phase(trader, server.port, seconds, "/status", rate=1000),
                "/state (gzip) full load": phase(trader, server.port, seconds, "/state", gzip=True),
                "/metrics full load": phase(trader, server.port, seconds, "/metrics"),
                "no load again": phase(trader, server.port, seconds, None),
            }
        finally:
            server.stop()
    report(results, state_bytes, len(tracker.state_document.gzipped()))


def report(results: dict, state_bytes: int, gzipped_bytes: int) -> None:
    baseline = statistics.median(results["no load"]["cycles"] + results["no load again"]["cycles"])
    print(f"State served by /state: {PAST_TRADES:,} past trades, {state_bytes / 1e6:.1f} MB JSON, {gzipped_bytes / 1e6:.2f} MB gzip")
    print(f"{'phase':26} {'requests/s':>11} {'errors':>7} {'cycles':>7} {'median cycle ms':>16} {'slowdown':>9}")
    print("-" * 82)
    for name, result in results.items():
        median = statistics.median(result["cycles"])
        rps = f"{result['rps']:,.0f}" if "rps" in result else "-"
        errors = str(result.get("errors", "-"))
        print(f"{name:26} {rps:>11} {errors:>7} {len(result['cycles']):>7} {median * 1000:>16.1f} {(median / baseline - 1) * 100:>8.1f}%")
    print(f"\nBaseline: median of both no-load phases, {baseline * 1000:.1f} ms per cycle (one swap, confirmed, state saved).")
    print(f"Load: {CONNECTIONS} keep-alive connections from one asyncio process on 127.0.0.1; trader, server and anvil on the same 2 cores.")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--load":
        port, path, seconds, rate, gzip = sys.argv[2:7]
        run_load_generator(int(port), path, float(seconds), float(rate) or None, gzip == "1")
    else:
        parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
        parser.add_argument("--seconds", type=float, default=8.0, help="Length of each phase.")
        main(parser.parse_args().seconds)
