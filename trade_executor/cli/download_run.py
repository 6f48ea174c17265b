"""What `download` does once its options are read: dates to blocks, pools to caches, a summary.

Uniswap v2 pairs and v3 pools are told apart by asking each pool its fee() (only a v3 pool has one);
each kind is read by its own downloader into the same cache. On a v3 exchange, ``--pairs`` finds
every fee tier's pool of each pair through the v3 factory (UNISWAP_V3_FACTORY).
"""

from __future__ import annotations

import datetime
from pathlib import Path

import pandas as pd
import pyarrow.compute as pc
import typer

from trade_executor.chain.blocks import BlockTimestamps, find_block_at_or_before
from trade_executor.chain.connection import create_web3
from trade_executor.chain.rpc_calls import RpcCaller
from trade_executor.errors import ConfigurationError
from trade_executor.execution.uniswap_v2.pool_discovery import pools_to_download
from trade_executor.execution.uniswap_v2.pool_download import PoolDownloader
from trade_executor.execution.uniswap_v3.pool_download import V3PoolDownloader, find_v3_pools, v3_fee_tiers
from trade_executor.market.candles import format_time_frame
from trade_executor.market.chain_data import stored_candles
from trade_executor.market.fee_tiers import fee_tiers_of, format_fee_pips, is_concentrated_liquidity
from trade_executor.market.pool_history import PoolHistoryStore, PoolMetadata, TokenInfo
from trade_executor.reporting.download_progress import download_progress


def _unix(moment: pd.Timestamp) -> int:
    return int(moment.tz_localize("UTC").timestamp()) if moment.tzinfo is None else int(moment.timestamp())


def _first_block_at(times: BlockTimestamps, head: int, moment: pd.Timestamp) -> int:
    """The first block at or after ``moment``."""
    before = find_block_at_or_before(times, head, _unix(moment) - 1)
    return 0 if before is None else before + 1


def run_download(
    url: str, cache_path: Path, *, symbols, addresses, tokens, reserve, factory, chain_id, start, end, confirmations: int, time_frames,
    exchange: str = "uniswap-v2", v3_factory: str | None = None,
) -> None:
    web3 = create_web3(url, timeout=60)
    caller = RpcCaller(web3.provider, outage_attempts=None)  # a download rides out a gateway's 5xx within the wait budget
    actual_chain = int(caller.call("eth_chainId", [])["result"], 16)
    if chain_id is not None and actual_chain != chain_id:
        raise ConfigurationError(f"The JSON-RPC node is on chain {actual_chain}, but the strategy trades on chain {chain_id}. Point the JSON-RPC URL at the right chain.")
    found, names = _pools(caller, symbols, addresses, tokens, reserve, factory, exchange, v3_factory)
    tiers = v3_fee_tiers(caller, list(found))
    store = PoolHistoryStore(cache_path)
    downloaders = [(kind, PoolDownloader(caller, store, actual_chain) if kind == "v2" else V3PoolDownloader(caller, store, actual_chain)) for kind in ("v2", "v3")]
    latest, _ = downloaders[0][1].times.latest()
    head = latest - confirmations
    new = [pool for pool in found if store.load(actual_chain, pool) is None]
    if new and start is None:
        raise ConfigurationError(f"{', '.join(names[p] for p in new)} {'is' if len(new) == 1 else 'are'} not in the cache yet: give --start=YYYY-MM-DD, the first date to download.")
    times = downloaders[0][1].times
    start_block = _first_block_at(times, head, start) if start is not None else 0
    end_block = head if end is None else min(head, _first_block_at(times, head, end) - 1)
    results = []
    for kind, downloader in downloaders:
        pools = {pool: tokens_ for pool, tokens_ in found.items() if (tiers[pool] is not None) == (kind == "v3")}
        if not pools:
            continue
        opened = downloader.open(pools, start_block, names)
        todo = sum(max(0, end_block + 1 - m.next_block) for m in opened)
        with download_progress(todo) as bar:
            results.append(downloader.run(opened, end_block, bar))
    events, requests, seconds = sum(r.events for r in results), sum(r.requests for r in results), max(sum(r.seconds for r in results), 1e-9)
    pools = [metadata for result in results for metadata in result.pools]
    typer.echo(
        f"Read {len(pools)} pool(s) up to block {end_block:,} ({confirmations} under the latest, {latest:,}): "
        f"{events:,} events in {seconds:.1f} s ({events / seconds:,.0f} events/s), {requests:,} requests"
    )
    for metadata in pools:
        typer.echo(describe_pool(store, metadata))
        for time_frame in time_frames:
            path = export_candles(store, metadata, time_frame)
            typer.echo(f"  {format_time_frame(time_frame)} candles: {path}")


def _pools(caller: RpcCaller, symbols, addresses, tokens, reserve, factory, exchange: str, v3_factory: str | None) -> tuple[dict[str, tuple[TokenInfo, TokenInfo]], dict[str, str]]:
    """(pool -> its tokens, pool -> its name): on a v3 exchange the pairs' pools of every fee tier the v3 factory has."""
    if not (symbols and is_concentrated_liquidity(exchange)):
        return pools_to_download(caller, symbols=symbols, addresses=addresses, tokens=tokens, reserve=reserve, factory=factory)
    if not v3_factory:
        raise ConfigurationError(f"--pairs on {exchange} finds pools through the v3 factory: set UNISWAP_V3_FACTORY (or --uniswap-v3-factory), or give the pools with --pool=0x....")
    if not reserve:
        raise ConfigurationError("--pairs needs the reserve currency the pairs trade against: give --reserve-currency=USDC (or a --strategy-file).")
    missing = [symbol for symbol in [reserve, *symbols] if symbol not in tokens]
    if missing:
        raise ConfigurationError(f"No address for {', '.join(missing)}: set {', '.join('TOKEN_' + s + '=0x...' for s in missing)} (the devnet's .env has them).")
    named = find_v3_pools(caller, v3_factory, {s: tokens[s] for s in symbols}, tokens[reserve], reserve, fee_tiers_of(exchange))
    found, names = pools_to_download(caller, symbols=[], addresses=[*named, *addresses], tokens=tokens, reserve=reserve, factory=None)
    return found, {**names, **named}


def describe_pool(store: PoolHistoryStore, metadata: PoolMetadata) -> str:
    if metadata.is_v3:
        moves, ranges = store.read(metadata, "v3_swap"), store.read(metadata, "v3_range")
        when = _time(int(moves["timestamp"][0].as_py())) if moves.num_rows else ("before the first block" if metadata.start_state else "no Swap yet")
        swaps = moves.filter(pc.or_(pc.not_equal(moves["amount0"], 0), pc.not_equal(moves["amount1"], 0))).num_rows  # not the Initialize
        counts = f"{swaps:,} swaps, {ranges.num_rows:,} mints and burns"
        if metadata.start_ticks:
            counts += f", {len(metadata.start_ticks):,} ticks initialised before its first block"
        kind = f"v3 {format_fee_pips(metadata.fee_pips)} "
    else:
        first = store.read(metadata, "sync")
        when = _time(int(first["timestamp"][0].as_py())) if first.num_rows else "no Sync event yet"
        counts = f"{first.num_rows:,} reserve changes, {store.read(metadata, 'swap').num_rows:,} swaps"
        kind = ""
    return (
        f"{metadata.pair or metadata.pool} {kind}{metadata.pool}: blocks {metadata.first_block:,}-{metadata.next_block - 1:,}, "
        f"first price {when}, covered to {_time(metadata.last_timestamp)}; {counts}"
    )


def export_candles(store: PoolHistoryStore, metadata: PoolMetadata, time_frame: pd.Timedelta) -> Path:
    """candles-<tf>.parquet beside the pool's history: timestamp, OHLC, volume, liquidity (what data.files reads;
    a v3 pool's also its active liquidity L)."""
    quote = metadata.pair.split("-")[1] if metadata.pair else metadata.token1.symbol
    base = metadata.token1 if metadata.token0.symbol.upper() == quote.upper() else metadata.token0
    frame = stored_candles(store, metadata, base.address, time_frame)
    path = store.folder(metadata.chain_id, metadata.pool) / f"candles-{format_time_frame(time_frame)}.parquet"
    frame.reset_index().to_parquet(path.with_suffix(".tmp"), index=False)
    path.with_suffix(".tmp").replace(path)
    return path


def _time(timestamp: int | None) -> str:
    return "?" if timestamp is None else f"{datetime.datetime.fromtimestamp(timestamp, datetime.UTC):%Y-%m-%d %H:%M} UTC"
