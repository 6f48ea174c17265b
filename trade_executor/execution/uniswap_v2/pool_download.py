"""Download Uniswap v2 pools' histories (Sync and Swap events) from a node into the pool history cache.

All pools at the same position are read with one log query per chunk (addresses and both event
topics together), so a hundred pools cost no more requests than one in quiet stretches. Rows are
kept in memory and committed to the cache every ``flush_rows`` rows or ``flush_seconds``, and at
the end: a kill loses at most that much work, and the next run resumes at the last commit. Only
blocks at least ``confirmations`` under the head are read, so a reorg cannot change stored history.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from eth_utils import keccak

from trade_executor.chain.blocks import BlockTimestamps
from trade_executor.chain.logs import LogChunk, LogReader
from trade_executor.chain.rpc_calls import RpcCaller
from trade_executor.errors import ConfigurationError
from trade_executor.market.pool_history import PoolEvents, PoolHistoryStore, PoolMetadata, TokenInfo

logger = logging.getLogger(__name__)

SYNC_TOPIC = "0x" + keccak(text="Sync(uint112,uint112)").hex()
SWAP_TOPIC = "0x" + keccak(text="Swap(address,uint256,uint256,uint256,uint256,address)").hex()


@dataclass(frozen=True)
class DownloadProgress:
    blocks_done: int
    blocks_total: int
    events: int


@dataclass(frozen=True)
class DownloadResult:
    pools: list[PoolMetadata]
    blocks: int
    events: int
    requests: int
    seconds: float


def _word(data: bytes, index: int) -> int:
    return int.from_bytes(data[32 * index : 32 * index + 32], "big")


def decode_pool_log(log: dict, events: PoolEvents, timestamp: int) -> None:
    """Append a Sync or Swap log's row (other pool events, such as Mint or Transfer, carry no price and are skipped)."""
    topic = log["topics"][0]
    topic = topic if isinstance(topic, str) else "0x" + bytes(topic).hex()
    data = log["data"]
    data = bytes.fromhex(data.removeprefix("0x")) if isinstance(data, str) else bytes(data)
    block, index = _int(log["blockNumber"]), _int(log["logIndex"])
    if topic == SYNC_TOPIC:
        events.add("sync", block, index, timestamp, _word(data, 0), _word(data, 1))
    elif topic == SWAP_TOPIC:
        events.add("swap", block, index, timestamp, _word(data, 0), _word(data, 1), _word(data, 2), _word(data, 3))


def _int(value: int | str) -> int:
    return value if isinstance(value, int) else int(value, 16)


class PoolDownloader:
    """Reads pools' events from ``caller``'s node into ``store``; see the module docstring.

    A subclass reads another kind of pool by setting which topics to read (``topics``, and ``move_topics``:
    the events that move the price) and how to decode a log (``decode_log``), as the v3 one does."""

    topics = (SYNC_TOPIC, SWAP_TOPIC)
    move_topics = (SYNC_TOPIC,)
    decode_log = staticmethod(decode_pool_log)

    def __init__(self, caller: RpcCaller, store: PoolHistoryStore, chain_id: int, *, reader: LogReader | None = None, flush_rows: int = 50_000, flush_seconds: float = 10.0):
        self.caller = caller
        self.store = store
        self.chain_id = chain_id
        self.reader = reader or LogReader(caller)
        self.times = BlockTimestamps(caller)
        self.flush_rows = flush_rows
        self.flush_seconds = flush_seconds
        self._counter = DownloadProgress(0, 0, 0)

    def open(self, pools: dict[str, tuple[TokenInfo, TokenInfo]], start_block: int, names: dict[str, str] | None = None) -> list[PoolMetadata]:
        """Each pool's cache, created at ``start_block`` if new (named ``names[pool]``, e.g. "ETH-USDC");
        a cache that starts later than ``start_block`` cannot be extended backwards."""
        opened = []
        for pool, (token0, token1) in pools.items():
            saved = self.load(pool)
            if saved is not None and start_block < saved.first_block:
                raise ConfigurationError(
                    f"The cache of pool {pool} starts at block {saved.first_block:,}, after the start asked for (block {start_block:,}). "
                    f"Give a later --start, or delete {self.store.folder(self.chain_id, pool)} to download it again from the earlier start."
                )
            opened.append(self.store.open(saved or self.new_metadata(pool, token0, token1, start_block, (names or {}).get(pool))))
        return opened

    def new_metadata(self, pool: str, token0: TokenInfo, token1: TokenInfo, start_block: int, name: str | None) -> PoolMetadata:
        """A new cache's metadata (a subclass adds what its kind of pool needs)."""
        return PoolMetadata(self.chain_id, pool, token0, token1, start_block, start_block, pair=name)

    def load(self, pool: str) -> PoolMetadata | None:
        """The pool's cache if it is this chain's history: its last block's hash (or, in caches written before
        hashes were kept, its time) must be the node's. Another chain's history (a devnet restarted on the same
        chain id, a fork, a reorganisation deeper than the confirmations) is set aside with a warning, and None."""
        saved = self.store.load(self.chain_id, pool)
        if saved is None or saved.next_block == saved.first_block:
            return saved
        last = saved.next_block - 1
        found = self.times.hash_of(last)
        same = found is not None and (found == saved.last_hash if saved.last_hash else self.times(last) == saved.last_timestamp)
        if same:
            return saved
        aside = self.store.set_aside(saved, "other-chain")
        logger.warning(
            "The cached history of pool %s (blocks %s to %s) is not this chain's: block %s is %s on the node. "
            "Was the chain restarted or reorganised? It was moved to %s and the pool is read again.",
            pool, f"{saved.first_block:,}", f"{last:,}", f"{last:,}", "missing" if found is None else f"{found}, not {saved.last_hash or 'as cached'}", aside,
        )
        return None

    def last_move_before(self, pool: str, block: int) -> int | None:
        """The last block before ``block`` with a Sync of ``pool`` (None if it never moved): where a history
        must start for its first candle to open at the price standing at ``block``. Searched backwards in
        windows that grow fourfold, so a pool that moves every few blocks costs one log query."""
        span, high = self.reader.span, block - 1
        while high >= 0:
            low = max(0, high - span + 1)
            blocks = [_int(log["blockNumber"]) for chunk in self.reader.read([pool], [list(self.move_topics)], low, high) for log in chunk.logs]
            if blocks:
                return max(blocks)
            high, span = low - 1, span * 4
        return None

    def run(self, pools: list[PoolMetadata], end_block: int, progress: Callable[[DownloadProgress], None] | None = None) -> DownloadResult:
        """Bring every pool's cache up to ``end_block``; pools at different positions catch up with each other."""
        started, requests_before = time.monotonic(), self.caller.requests_made
        current = {metadata.pool: metadata for metadata in pools}
        self._counter = DownloadProgress(0, sum(max(0, end_block + 1 - m.next_block) for m in pools), 0)
        while True:
            behind = [m for m in current.values() if m.next_block <= end_block]
            if not behind:
                break
            position = min(m.next_block for m in behind)
            later = [m.next_block - 1 for m in behind if m.next_block > position]
            for metadata in self._read([m for m in behind if m.next_block == position], position, min([end_block, *later]), progress):
                current[metadata.pool] = metadata
        counter = self._counter
        return DownloadResult(list(current.values()), counter.blocks_total, counter.events, self.caller.requests_made - requests_before, time.monotonic() - started)

    def _read(self, group: list[PoolMetadata], first: int, last: int, progress: Callable[[DownloadProgress], None] | None) -> list[PoolMetadata]:
        """Read ``first``..``last`` for pools that all stand at ``first``, committing as the module says."""
        by_address = {m.pool.lower(): m for m in group}
        buffers = {pool: PoolEvents() for pool in by_address}
        flushed_at, rows = time.monotonic(), 0
        for chunk in self.reader.read([m.pool for m in group], [list(self.topics)], first, last):
            rows += self._decode(chunk, buffers)
            if chunk.last_block == last or rows >= self.flush_rows or time.monotonic() - flushed_at >= self.flush_seconds:
                stamp, block_hash = self.times(chunk.last_block), self.times.hash_of(chunk.last_block)
                for pool, metadata in by_address.items():
                    by_address[pool] = self.store.commit(metadata, buffers[pool], chunk.last_block + 1, stamp, block_hash)
                    buffers[pool] = PoolEvents()
                flushed_at, rows = time.monotonic(), 0
            done, total, events = self._counter.blocks_done, self._counter.blocks_total, self._counter.events
            self._counter = DownloadProgress(done + (chunk.last_block - chunk.first_block + 1) * len(group), total, events + len(chunk.logs))
            if progress is not None:
                progress(self._counter)
        return list(by_address.values())

    def _decode(self, chunk: LogChunk, buffers: dict[str, PoolEvents]) -> int:
        """Rows into the pools' buffers; block times from the logs where the node gives them (``blockTimestamp``,
        geth 1.16+, reth, anvil), else from batched block headers."""
        stamps = {_int(log["blockNumber"]): _int(log["blockTimestamp"]) for log in chunk.logs if log.get("blockTimestamp") is not None}
        missing = {_int(log["blockNumber"]) for log in chunk.logs} - stamps.keys()
        if missing:
            stamps.update(self.times.many(missing))
        for log in chunk.logs:
            buffer = buffers.get(log["address"].lower())
            if buffer is not None:  # a node that answers other addresses' logs too: not ours to store
                self.decode_log(log, buffer, stamps[_int(log["blockNumber"])])
        return len(chunk.logs)
