"""Chain data download speed: events per second for a pool history, straight from anvil and through a strict provider.

    .venv/bin/python benchmarks/chain_data.py [--repeat 3]

The chain is the tests' devnet history (testing/chain_history.py: 200,021 blocks, two pools,
104,014 Sync and Swap events), built once into .pytest_cache (about 30 s) and loaded into anvil.
Each scenario downloads both pools from block 0 into a fresh cache with the downloader the
`download` command uses, best of ``--repeat``:

- anvil: straight from the node (no range or result cap, so the chunks grow to 100,000 blocks;
  its logs carry blockTimestamp, so no block header is asked for);
- proxy: through FaultyRpcProxy without limits (what the proxy itself costs);
- strict: the proxy as a hosted provider: 2,000-block range cap, 10,000-result cap, HTTP 429
  every tenth request, logs without blockTimestamp (block times from batched headers);
- strict, no batches: the same, and batches refused (one chunk per request).

It also times finding the block at a date (batched probes) for a start date in the middle, and a
live start that needs 200 hourly candles: the warm-up into an empty cache (first block found by
time) and one cycle's read of an hour of new blocks (targets: warm-up under 10 s, a cycle's read
one log query and under 50 ms on anvil).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from trade_executor.chain.blocks import BlockTimestamps, find_block_at_or_before
from trade_executor.chain.connection import create_web3
from trade_executor.chain.rpc_calls import RpcCaller
from trade_executor.devnet.anvil import Anvil
from trade_executor.execution.uniswap_v2.live_pool_history import LivePoolHistory
from trade_executor.execution.uniswap_v2.pool_discovery import pool_tokens
from trade_executor.execution.uniswap_v2.pool_download import PoolDownloader
from trade_executor.market.pool_history import PoolHistoryStore
from trade_executor.testing.chain_history import HistoryPlan, cached_history
from trade_executor.testing.rpc_proxy import FaultyRpcProxy, ProviderLimits

REPO = Path(__file__).resolve().parents[1]
SCENARIOS = {
    "anvil": None,
    "proxy": ProviderLimits(max_block_range=None, max_results=None, block_timestamps=True),
    "strict": ProviderLimits(max_block_range=2_000, max_results=10_000, rate_limit_every=10, retry_after="0"),
    "strict, no batches": ProviderLimits(max_block_range=2_000, max_results=10_000, rate_limit_every=10, retry_after="0", batches=False),
}


def download_once(url: str, pools: list[str], last_block: int) -> tuple[float, int, int]:
    """(seconds, events, HTTP requests) of one download of every pool from block 0."""
    caller = RpcCaller(create_web3(url, timeout=60).provider)
    with tempfile.TemporaryDirectory() as folder:
        downloader = PoolDownloader(caller, PoolHistoryStore(Path(folder)), 31337)
        opened = downloader.open(pool_tokens(caller, pools), 0)
        started = time.perf_counter()
        result = downloader.run(opened, last_block)
        return time.perf_counter() - started, result.events, result.requests


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    cache = REPO / ".pytest_cache" / "d" / "chain-history"
    with tempfile.TemporaryDirectory() as work:
        started = time.perf_counter()
        state, history = cached_history(cache, Path(work), HistoryPlan())
        print(f"History: {history.last_block:,} blocks, {history.sync_events:,} Sync events (built in {history.seconds_to_build:.1f} s; ready in {time.perf_counter() - started:.1f} s)")
        with Anvil(load_state=state, long_history=True) as anvil:
            rows = []
            for name, limits in SCENARIOS.items():
                best = None
                for _ in range(args.repeat):
                    with FaultyRpcProxy(anvil.url) as proxy:
                        proxy.limits = limits
                        url = anvil.url if limits is None else proxy.url
                        figures = download_once(url, list(history.pools.values()), history.last_block)
                    best = figures if best is None or figures[0] < best[0] else best
                rows.append((name, *best))
            search = _block_search(anvil.url, history.start_timestamp + 14 * 86_400)
            live = {name: _live_reads(anvil, history, SCENARIOS[name], args.repeat) for name in ("anvil", "strict")}
    baseline = rows[0][1]
    print(f"\n{'scenario':<20} {'seconds':>8} {'events':>9} {'events/s':>10} {'requests':>9} {'x anvil':>8}")
    for name, seconds, events, requests in rows:
        print(f"{name:<20} {seconds:>8.2f} {events:>9,} {events / seconds:>10,.0f} {requests:>9,} {seconds / baseline:>8.2f}")
    print(f"\nBlock at a date (14 days in, of {history.last_block:,} blocks): {search[0]} requests, {search[1] * 1000:.1f} ms (best of {args.repeat} runs per scenario)")
    print(f"\n{'live, 200 hourly candles':<26} {'warm-up s':>10} {'requests':>9} {'cycle read ms':>14} {'requests':>9}")
    for name, (warm_seconds, warm_requests, cycle_seconds, cycle_requests) in live.items():
        print(f"{name:<26} {warm_seconds:>10.2f} {warm_requests:>9} {cycle_seconds * 1000:>14.1f} {cycle_requests:>9}")
    print("(a live start's first read into an empty cache, from the block found by time; then one cycle's read of an hour of new blocks)")


def _live_reads(anvil: Anvil, history, limits: ProviderLimits | None, repeat: int) -> tuple[float, int, float, int]:
    """Best (warm-up seconds, its HTTP requests, one cycle's read seconds, its requests) of a live start needing 200 hours."""
    best = None
    for _ in range(repeat):
        snapshot = anvil.rpc("evm_snapshot")
        last = int(anvil.rpc("eth_getBlockByNumber", "latest", False)["timestamp"], 16)
        anvil.rpc("evm_setTime", last + 12)
        with FaultyRpcProxy(anvil.url) as proxy, tempfile.TemporaryDirectory() as folder:
            proxy.limits = limits
            caller = RpcCaller(create_web3(anvil.url if limits is None else proxy.url, timeout=60).provider)
            pool = history.pools["ETH-USDC"]
            tokens = pool_tokens(caller, [pool])[pool]
            live = LivePoolHistory(caller, PoolHistoryStore(Path(folder)), 31337, history_seconds=200 * 3600, confirmations=1)
            started, before = time.perf_counter(), caller.requests_made
            live.track({pool: (*tokens, "ETH-USDC")})
            warm = (time.perf_counter() - started, caller.requests_made - before)
            anvil.rpc("anvil_mine", hex(300), hex(12))
            started, before = time.perf_counter(), caller.requests_made
            live.refresh()
            figures = (*warm, time.perf_counter() - started, caller.requests_made - before)
        anvil.rpc("evm_revert", snapshot)
        best = figures if best is None or figures[0] < best[0] else best
    return best


def _block_search(url: str, target: int) -> tuple[int, float]:
    caller = RpcCaller(create_web3(url).provider)
    times = BlockTimestamps(caller)
    latest, _ = times.latest()
    before = caller.requests_made
    started = time.perf_counter()
    find_block_at_or_before(times, latest, target)
    return caller.requests_made - before, time.perf_counter() - started


if __name__ == "__main__":
    main()
