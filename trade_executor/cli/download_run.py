"""What `download` does once its options are read: dates to blocks, pools to caches, a summary."""

from __future__ import annotations

import datetime
from pathlib import Path

import pandas as pd
import typer

from trade_executor.chain.blocks import BlockTimestamps, find_block_at_or_before
from trade_executor.chain.connection import create_web3
from trade_executor.chain.rpc_calls import RpcCaller
from trade_executor.errors import ConfigurationError
from trade_executor.execution.uniswap_v2.pool_discovery import pools_to_download
from trade_executor.execution.uniswap_v2.pool_download import PoolDownloader
from trade_executor.market.candles import format_time_frame
from trade_executor.market.pool_candles import pool_candles
from trade_executor.market.pool_history import PoolHistoryStore, PoolMetadata
from trade_executor.reporting.download_progress import download_progress


def _unix(moment: pd.Timestamp) -> int:
    return int(moment.tz_localize("UTC").timestamp()) if moment.tzinfo is None else int(moment.timestamp())


def _first_block_at(times: BlockTimestamps, head: int, moment: pd.Timestamp) -> int:
    """The first block at or after ``moment``."""
    before = find_block_at_or_before(times, head, _unix(moment) - 1)
    return 0 if before is None else before + 1


def run_download(url: str, cache_path: Path, *, symbols, addresses, tokens, reserve, factory, chain_id, start, end, confirmations: int, time_frames) -> None:
    web3 = create_web3(url, timeout=60)
    caller = RpcCaller(web3.provider, outage_attempts=None)  # a download rides out a gateway's 5xx within the wait budget
    actual_chain = int(caller.call("eth_chainId", [])["result"], 16)
    if chain_id is not None and actual_chain != chain_id:
        raise ConfigurationError(f"The JSON-RPC node is on chain {actual_chain}, but the strategy trades on chain {chain_id}. Point the JSON-RPC URL at the right chain.")
    found, names = pools_to_download(caller, symbols=symbols, addresses=addresses, tokens=tokens, reserve=reserve, factory=factory)
    store = PoolHistoryStore(cache_path)
    downloader = PoolDownloader(caller, store, actual_chain)
    latest, _ = downloader.times.latest()
    head = latest - confirmations
    new = [pool for pool in found if store.load(actual_chain, pool) is None]
    if new and start is None:
        raise ConfigurationError(f"{', '.join(names[p] for p in new)} {'is' if len(new) == 1 else 'are'} not in the cache yet: give --start=YYYY-MM-DD, the first date to download.")
    start_block = _first_block_at(downloader.times, head, start) if start is not None else 0
    end_block = head if end is None else min(head, _first_block_at(downloader.times, head, end) - 1)
    opened = downloader.open(found, start_block, names)
    todo = sum(max(0, end_block + 1 - m.next_block) for m in opened)
    with download_progress(todo) as bar:
        result = downloader.run(opened, end_block, bar)
    seconds = max(result.seconds, 1e-9)
    typer.echo(
        f"Read {len(result.pools)} pool(s) up to block {end_block:,} ({confirmations} under the latest, {latest:,}): "
        f"{result.events:,} events in {result.seconds:.1f} s ({result.events / seconds:,.0f} events/s), {result.requests:,} requests"
    )
    for metadata in result.pools:
        typer.echo(describe_pool(store, metadata))
        for time_frame in time_frames:
            path = export_candles(store, metadata, time_frame)
            typer.echo(f"  {format_time_frame(time_frame)} candles: {path}")


def describe_pool(store: PoolHistoryStore, metadata: PoolMetadata) -> str:
    first = store.read(metadata, "sync")
    when = _time(int(first["timestamp"][0].as_py())) if first.num_rows else "no Sync event yet"
    return (
        f"{metadata.pair or metadata.pool} {metadata.pool}: blocks {metadata.first_block:,}-{metadata.next_block - 1:,}, "
        f"first price {when}, covered to {_time(metadata.last_timestamp)}; {first.num_rows:,} reserve changes, {store.read(metadata, 'swap').num_rows:,} swaps"
    )


def export_candles(store: PoolHistoryStore, metadata: PoolMetadata, time_frame: pd.Timedelta) -> Path:
    """candles-<tf>.parquet beside the pool's history: timestamp, OHLC, volume, liquidity (what data.files reads)."""
    quote = metadata.pair.split("-")[-1] if metadata.pair else metadata.token1.symbol
    base = metadata.token1 if metadata.token0.symbol.upper() == quote.upper() else metadata.token0
    frame = pool_candles(metadata, store.read(metadata, "sync"), store.read(metadata, "swap"), base.address, time_frame)
    path = store.folder(metadata.chain_id, metadata.pool) / f"candles-{format_time_frame(time_frame)}.parquet"
    frame.reset_index().to_parquet(path.with_suffix(".tmp"), index=False)
    path.with_suffix(".tmp").replace(path)
    return path


def _time(timestamp: int | None) -> str:
    return "?" if timestamp is None else f"{datetime.datetime.fromtimestamp(timestamp, datetime.UTC):%Y-%m-%d %H:%M} UTC"
