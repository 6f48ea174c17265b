"""`download` through a strict provider gives exactly what the chain holds, survives SIGKILL, and reads only new blocks.

The node is anvil holding a 200,000-block history (conftest.py); between it and the command sits the
fault-injecting proxy behaving like a hosted provider: eth_getLogs capped at 2,000 blocks
(QuickNode's text) and 10,000 results (Infura's text, counted on the real answer), and every
tenth request answered HTTP 429. The reference is the simplest read there is: one uncapped
eth_getLogs straight from anvil.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from trade_executor.cli.main import app
from trade_executor.market.loader import MarketDataLoader
from trade_executor.market.pool_history import PoolHistoryStore
from trade_executor.testing.rpc_proxy import FaultyRpcProxy, ProviderLimits

from .conftest import PLAN, stored_events

pytestmark = pytest.mark.xdist_group("chain-history")  # with -n, every test of the 200,000-block history in one worker: built once

CHAIN = 31337
TRADE_EXECUTOR = Path(sys.executable).parent / "trade-executor"


def strict() -> ProviderLimits:
    return ProviderLimits(max_block_range=2_000, max_results=10_000, rate_limit_every=10, retry_after="0")


def environment(history, proxy_url: str, cache: Path) -> dict[str, str]:
    return {
        "JSON_RPC_URL": proxy_url, "CACHE_PATH": str(cache), "UNISWAP_V2_FACTORY": history.factory,
        "TOKEN_ETH": history.tokens["ETH"], "TOKEN_BTC": history.tokens["BTC"], "TOKEN_USDC": history.tokens["USDC"],
        "CONFIRMATION_BLOCK_COUNT": "1",
    }  # fmt: skip


START = "--start=2023-12-31"  # before the history: from the pools' creation on
ARGS = ["download", "--pairs=ETH,BTC", "--reserve-currency=USDC", START]


def reference_candles(rows: list[tuple], swaps: list[tuple], base_is_token0: bool, scale: float, end: int, step: str) -> pd.DataFrame:
    """Candles the plain pandas way from reference rows: price after each block's last Sync, resampled."""
    syncs = pd.DataFrame(rows, columns=["block", "index", "time", "r0", "r1"]).groupby("block").last()
    base, quote = (syncs["r0"], syncs["r1"]) if base_is_token0 else (syncs["r1"], syncs["r0"])
    price = pd.Series(quote.astype(float).to_numpy() / base.astype(float).to_numpy() * scale, index=pd.to_datetime(syncs["time"], unit="s"))
    liquidity = pd.Series(quote.astype(float).to_numpy() / 1e6, index=price.index)
    frame = price.resample(step).ohlc()
    frame = frame.reindex(pd.date_range(frame.index[0], pd.to_datetime(end, unit="s").floor(step), freq=step))
    frame["close"] = frame["close"].ffill()
    frame["open"] = frame["close"].shift(1).fillna(frame["open"].iloc[0])
    frame["high"] = np.fmax(frame["high"], frame["open"])
    frame["low"] = np.fmin(frame["low"], frame["open"])
    traded = pd.DataFrame(swaps, columns=["block", "index", "time", "a0in", "a1in", "a0out", "a1out"])
    quote_moved = (traded["a1in"] + traded["a1out"]) if base_is_token0 else (traded["a0in"] + traded["a0out"])
    volume = pd.Series(quote_moved.astype(float).to_numpy() / 1e6, index=pd.to_datetime(traded["time"], unit="s")).resample(step).sum()
    frame["volume"] = volume.reindex(frame.index).fillna(0.0)
    frame["liquidity"] = liquidity.resample(step).last().reindex(frame.index).ffill()
    frame.index = frame.index.as_unit("ns").rename("timestamp")
    return frame[["open", "high", "low", "close", "volume", "liquidity"]]


def test_a_download_through_a_strict_provider_gives_exactly_the_chains_history(tmp_path, history_node, history, reference):
    with FaultyRpcProxy(history_node.url) as proxy:
        proxy.limits = strict()
        started = time.monotonic()
        result = CliRunner().invoke(app, [*ARGS, "--candles=1h"], env=environment(history, proxy.url, tmp_path))
        seconds = time.monotonic() - started
        assert result.exit_code == 0, result.output
        refused = dict(proxy.limits.refused)
        get_logs = proxy.count("eth_getLogs")
    assert refused["range"] >= 1 and refused["results"] >= 1 and refused["rate"] >= 10, refused  # every limit was met
    store = PoolHistoryStore(tmp_path)
    events = 0
    for ticker, pool in history.pools.items():
        stored = stored_events(store, CHAIN, pool)
        expected = reference[pool.lower()]
        assert stored == expected, ticker  # every reserve and swap amount, exact, in chain order
        events += len(stored["sync"]) + len(stored["swap"])
        assert store.load(CHAIN, pool).pair == ticker
    assert events >= 2 * PLAN.sync_events - 100
    assert get_logs < 400, get_logs  # about 2,000-block chunks, a few halved through the busy stretch
    assert f"{events:,} events" in result.output
    print(f"\ndownload of {history.last_block:,} blocks, {events:,} events through the strict proxy: {seconds:.1f} s, {get_logs} eth_getLogs")

    universe = MarketDataLoader(CHAIN, "uniswap-v2", "USDC", cache_path=tmp_path).chain(["ETH", "BTC"], time_frame="1h")
    last_timestamp = store.load(CHAIN, history.pools["ETH-USDC"]).last_timestamp
    for ticker, decimals in (("ETH-USDC", 18), ("BTC-USDC", 8)):
        pool = history.pools[ticker]
        pair = universe.pairs[ticker]
        assert (pair.pool_address, pair.base.address, pair.base.decimals, pair.quote.address) == (pool, history.tokens[ticker[:3]], decimals, history.tokens["USDC"])
        base_is_token0 = int(history.tokens[ticker[:3]], 16) < int(history.tokens["USDC"], 16)
        expected = reference_candles(reference[pool.lower()]["sync"], reference[pool.lower()]["swap"], base_is_token0, 10.0 ** (decimals - 6), last_timestamp, "1h")
        pd.testing.assert_frame_equal(universe.candles[ticker], expected, check_freq=False, rtol=1e-12)
    exported = pd.read_parquet(store.folder(CHAIN, history.pools["ETH-USDC"]) / "candles-1h.parquet").set_index("timestamp")
    exported.index = exported.index.as_unit("ns")
    pd.testing.assert_frame_equal(exported, universe.candles["ETH-USDC"], check_freq=False)


def test_a_sigkilled_download_resumes_to_the_same_history(tmp_path, history_node, history, reference):
    env = {**os.environ, **environment(history, "", tmp_path), "CI": "1"}
    metadata = tmp_path / "chain-data" / str(CHAIN) / history.pools["ETH-USDC"].lower() / "metadata.json"
    with FaultyRpcProxy(history_node.url) as proxy:
        proxy.limits = strict()
        env["JSON_RPC_URL"] = proxy.url
        process = subprocess.Popen([str(TRADE_EXECUTOR), *ARGS], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 120
        while not (metadata.exists() and '"last_timestamp": null' not in metadata.read_text()):  # the first commit, about half way (50,000 rows)
            assert process.poll() is None, process.communicate()
            assert time.monotonic() < deadline, "no commit within 120 s"
            time.sleep(0.02)
        process.send_signal(signal.SIGKILL)
        process.wait()
        store = PoolHistoryStore(tmp_path)
        interrupted_at = {pool: store.load(CHAIN, pool).next_block for pool in history.pools.values()}  # a kill between the pools' commits leaves them apart
        assert max(interrupted_at.values()) < history.last_block - 1, "the download finished before the kill: nothing was tested"

        proxy.limits = strict()
        proxy.clear()
        resumed = subprocess.run([str(TRADE_EXECUTOR), *ARGS], env=env, capture_output=True, text=True, timeout=300)
        assert resumed.returncode == 0, resumed.stderr
        queries = [call["params"][0] for call in proxy.requests_seen if call["method"] == "eth_getLogs"]
    for pool, position in interrupted_at.items():  # each pool resumed where its last commit left it, not from the start
        assert min(int(q["fromBlock"], 16) for q in queries if pool in q["address"]) == position
    for pool in history.pools.values():
        assert stored_events(store, CHAIN, pool) == reference[pool.lower()]
        folder = store.folder(CHAIN, pool)
        assert not list(folder.rglob("*.tmp"))
        assert all(int(part.stem.split("-")[1]) < store.load(CHAIN, pool).next_block for part in folder.rglob("*.parquet"))


def test_a_second_run_reads_only_the_new_blocks(tmp_path, history_node, history, reference):
    middle = pd.Timestamp(PLAN.start_timestamp, unit="s") + pd.Timedelta(days=12)
    with FaultyRpcProxy(history_node.url) as proxy:
        # No limits: here the proxy only counts requests; logs keep anvil's blockTimestamp (no block headers asked for).
        proxy.limits = ProviderLimits(max_block_range=None, max_results=None, block_timestamps=True)
        env = environment(history, proxy.url, tmp_path)
        assert CliRunner().invoke(app, [*ARGS, f"--end={middle:%Y-%m-%d}"], env=env).exit_code == 0
        store = PoolHistoryStore(tmp_path)
        first_run_end = store.load(CHAIN, history.pools["ETH-USDC"]).next_block
        assert 0 < first_run_end < history.last_block // 2

        proxy.clear()
        assert CliRunner().invoke(app, ARGS, env=env).exit_code == 0
        asked = [call["params"][0] for call in proxy.requests_seen if call["method"] == "eth_getLogs"]
        assert min(int(query["fromBlock"], 16) for query in asked) == first_run_end
        assert proxy.count("eth_getBlockByNumber") <= 20  # the head and the date search: block times came with the logs
        for pool in history.pools.values():
            assert stored_events(store, CHAIN, pool) == reference[pool.lower()]  # the two runs together: the whole history

        snapshot = history_node.rpc("evm_snapshot")
        try:
            history_node.rpc("anvil_mine", hex(500), hex(12))  # the chain moves on: 500 new blocks
            proxy.clear()
            before = proxy.limits.http_requests
            assert CliRunner().invoke(app, ARGS, env=env).exit_code == 0
            asked = [call["params"][0] for call in proxy.requests_seen if call["method"] == "eth_getLogs"]
            requests_made = proxy.limits.http_requests - before
        finally:
            history_node.rpc("evm_revert", snapshot)
    assert {int(q["fromBlock"], 16) for q in asked} == {history.last_block}  # one query (asked again if it met a 429): the new blocks
    assert int(asked[0]["toBlock"], 16) == history.last_block + 500 - 1  # up to one confirmation under the head
    assert requests_made <= 15, requests_made  # pools, tokens, the head, the start's block search: each a batch


@pytest.mark.parametrize(("bad", "said"), [("--start=01/06/2024", "ambiguous: day first it is 2024-06-01, month first 2024-01-06"), ("--end=next week", "not a date")])
def test_dates_are_iso_only_and_refused_before_the_node_is_asked(tmp_path, bad, said):
    env = {"JSON_RPC_URL": "http://127.0.0.1:9", "CACHE_PATH": str(tmp_path), "TOKEN_ETH": "0x" + "11" * 20, "TOKEN_USDC": "0x" + "22" * 20}
    result = CliRunner().invoke(app, ["download", "--pairs=ETH", "--reserve-currency=USDC", "--start=2024-01-01", bad], env=env)
    assert result.exit_code == 2
    assert said in result.output and "Fix: write the date as YYYY-MM-DD" in result.output
    assert not (tmp_path / "chain-data").exists()
