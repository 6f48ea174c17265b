"""The live loop's market data: the pools' histories from the cache, kept up to date block by block.

A live start needs only the history the strategy's indicators need, not every block since genesis:
the first block is found by time, the stretch is downloaded into the same cache ``download`` writes
(CACHE_PATH) and a restart reads the cache instead of the chain. Then each cycle reads only the new
blocks of all pools, in one bounded log query (a chunked one if a provider caps it). Blocks deeper
than CONFIRMATION_BLOCK_COUNT under the head are committed to the cache; the newest few are kept in
memory only and read again next time, so a reorg never leaves a removed event in stored history.
In memory each pool keeps the rows of the history window (and the last price before it), so a
cycle's candles cost the same after a month of running as after an hour.

A subclass reads another kind of pool with its downloader, tables, window and candles (Uniswap v3:
execution/uniswap_v3/live_data.py ``V3LivePoolHistory``).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from trade_executor.chain.blocks import find_block_at_or_before
from trade_executor.chain.logs import LogReader
from trade_executor.chain.rpc_calls import RpcCaller
from trade_executor.execution.uniswap_v2.pool_download import PoolDownloader
from trade_executor.market.pool_candles import pool_candles
from trade_executor.market.pool_history import SCHEMAS, PoolEvents, PoolHistoryStore, PoolMetadata, TokenInfo

logger = logging.getLogger(__name__)

KINDS = ("sync", "swap")


@dataclass
class _Pool:
    metadata: PoolMetadata  # what the cache holds (up to the confirmed head)
    tables: dict[str, pa.Table]  # the cached rows of the window, in chain order
    tail: PoolEvents  # rows of the unconfirmed newest blocks (read again next time)
    trimmed: bool = False  # rows before the window were dropped: the history opens at its first row kept


class LivePoolHistory:
    """Uniswap v2 pools' Sync and Swap rows; see the module docstring."""

    downloader_class = PoolDownloader
    kinds = KINDS

    def __init__(self, caller: RpcCaller, store: PoolHistoryStore, chain_id: int, *, history_seconds: int, confirmations: int, from_block: int | None = None):
        """``history_seconds``: how far back a pool's history must reach; ``from_block`` overrides where a new cache starts."""
        self.caller = caller
        self.store = store
        self.chain_id = chain_id
        self.history_seconds = history_seconds
        self.confirmations = max(0, confirmations - 1)
        self.from_block = from_block
        self.reader = LogReader(caller)
        self.downloader = self.downloader_class(caller, store, chain_id, reader=self.reader)
        self.times = self.downloader.times
        self._pools: dict[str, _Pool] = {}
        self.latest: tuple[int, int] | None = None  # (block, timestamp) of the last read
        self.requests_at_warm_up: int | None = None

    def track(self, pools: dict[str, tuple[TokenInfo, TokenInfo, str]]) -> None:
        """Make sure each pool has its history window in the cache and in memory (a warm-up the first time)."""
        new = {pool: info for pool, info in pools.items() if pool.lower() not in self._pools}
        if not new:
            return
        before = self.caller.requests_made
        latest, now = self.times.latest()
        head = max(0, latest - self.confirmations)
        start = self._start_block(latest, now)
        opened = []
        for pool, (token0, token1, name) in new.items():
            saved = self.downloader.load(pool)
            if saved is not None and saved.first_block > start:
                logger.warning("The cache of %s starts at block %s, after the history the strategy needs (from block %s): its indicators warm up on less.", name, saved.first_block, start)
            first = saved.first_block if saved else self._standing_price_block(pool, start)
            opened.append(self.downloader.open({pool: (token0, token1)}, first, {pool: name})[0])
        behind = [m for m in opened if m.next_block <= head]
        if behind:
            logger.info("Reading the history of %d pool(s) from block %s to %s (%d blocks)", len(behind), min(m.next_block for m in behind), head, head - min(m.next_block for m in behind) + 1)
            opened = [*self.downloader.run(behind, head).pools, *(m for m in opened if m.next_block > head)]
        cutoff = now - self.history_seconds
        for metadata in opened:
            tables, trimmed = self.window({kind: self.store.read(metadata, kind) for kind in self.kinds}, cutoff)
            self._pools[metadata.pool.lower()] = _Pool(metadata, tables, PoolEvents(), trimmed)
        self.refresh()
        self.requests_at_warm_up = self.caller.requests_made - before

    def refresh(self) -> None:
        """Read every tracked pool's new blocks in one log query; commit the confirmed ones, keep the rest in memory."""
        if not self._pools:
            return
        latest, now = self.times.latest()
        self.latest = (latest, now)
        head = max(0, latest - self.confirmations)
        first = min(p.metadata.next_block for p in self._pools.values())
        fresh = {address: PoolEvents() for address in self._pools}
        for chunk in self.reader.read([p.metadata.pool for p in self._pools.values()], [list(self.downloader.topics)], first, latest):
            stamps = {int(log["blockNumber"], 16) if isinstance(log["blockNumber"], str) else log["blockNumber"]: log.get("blockTimestamp") for log in chunk.logs}
            missing = [block for block, stamp in stamps.items() if stamp is None]
            known = self.times.many(missing) if missing else {}
            for log in chunk.logs:
                pool = self._pools.get(log["address"].lower())
                block = int(log["blockNumber"], 16) if isinstance(log["blockNumber"], str) else log["blockNumber"]
                if pool is None or block < pool.metadata.next_block:
                    continue
                stamp = stamps[block]
                self.downloader.decode_log(log, fresh[log["address"].lower()], known.get(block) if stamp is None else int(stamp, 16) if isinstance(stamp, str) else stamp)
        head_time, head_hash = (self.times(head), self.times.hash_of(head)) if head <= latest else (now, None)
        cutoff = now - self.history_seconds
        for address, pool in self._pools.items():
            confirmed, tail = _split(fresh[address], head, self.kinds)
            if pool.metadata.next_block <= head:
                pool.metadata = self.store.commit(pool.metadata, confirmed, head + 1, head_time, head_hash)
                if any(getattr(confirmed, kind)["block"] for kind in self.kinds):
                    tables = {kind: _concat(pool.tables[kind], getattr(confirmed, kind), kind) for kind in self.kinds}
                    pool.tables, trimmed = self.window(tables, cutoff)
                    pool.trimmed = pool.trimmed or trimmed
            pool.tail = tail

    def candles(self, pool: str, base: str, time_frame: pd.Timedelta) -> pd.DataFrame:
        """The pool's candles over the window, up to the latest block read (the newest candle is still forming)."""
        state = self._pools[pool.lower()]
        tables = {kind: _concat(state.tables[kind], getattr(state.tail, kind), kind) for kind in self.kinds}
        metadata = replace(state.metadata, last_timestamp=self.latest[1] if self.latest else state.metadata.last_timestamp)
        return self.pool_candles(metadata, tables, base, time_frame, trimmed=state.trimmed)

    def pool_candles(self, metadata: PoolMetadata, tables: dict[str, pa.Table], base: str, time_frame: pd.Timedelta, *, trimmed: bool) -> pd.DataFrame:
        """Candles of the rows kept, as a backtest on downloaded data builds them (``trimmed``: earlier rows were dropped)."""
        return pool_candles(metadata, tables["sync"], tables["swap"], base, time_frame)

    def window(self, tables: dict[str, pa.Table], cutoff: int) -> tuple[dict[str, pa.Table], bool]:
        """The rows to keep in memory for a window opening at ``cutoff``, and whether any were dropped."""
        kept = {kind: _window(table, cutoff, kind) for kind, table in tables.items()}
        return kept, any(kept[kind].num_rows < table.num_rows for kind, table in tables.items())

    @property
    def tracked(self) -> set[str]:
        return {state.metadata.pool for state in self._pools.values()}

    def cached_range(self, pool: str) -> PoolMetadata | None:
        state = self._pools.get(pool.lower())
        return state.metadata if state else self.store.load(self.chain_id, pool)

    def _standing_price_block(self, pool: str, start: int) -> int:
        """A new cache starts at the pool's last move before the window, so the window opens at a known price."""
        if start == 0:
            return 0
        moved = self.downloader.last_move_before(pool, start + 1)
        return start if moved is None else moved

    def _start_block(self, latest: int, now: int) -> int:
        if self.from_block:
            return self.from_block
        before = find_block_at_or_before(self.times, latest, now - self.history_seconds)
        return 0 if before is None else before


def _concat(table: pa.Table, rows: dict[str, list], kind: str) -> pa.Table:
    """``table`` with ``rows`` (columns of Python values) after it."""
    return pa.concat_tables([table, pa.table(rows, schema=SCHEMAS[kind])]) if rows["block"] else table


def _split(events: PoolEvents, head: int, kinds: tuple[str, ...] = KINDS) -> tuple[PoolEvents, PoolEvents]:
    """(rows of blocks up to ``head``, rows after it)."""
    confirmed, tail = PoolEvents(), PoolEvents()
    for kind in kinds:
        columns = getattr(events, kind)
        for row in zip(*columns.values(), strict=True):
            (confirmed if row[0] <= head else tail).add(kind, *row)
    return confirmed, tail


def _window(table: pa.Table, cutoff: int, kind: str) -> pa.Table:
    """Rows at or after ``cutoff``, and for Sync rows the last one before it too (the price standing when the window opens)."""
    if table.num_rows == 0:
        return table
    inside = pc.greater_equal(table["timestamp"], cutoff)
    first = pc.index(inside, True).as_py()
    if first == -1:
        return table.slice(table.num_rows - 1) if kind == "sync" else table.slice(table.num_rows)
    keep_from = max(0, first - 1) if kind == "sync" else first
    return table.slice(keep_from)
