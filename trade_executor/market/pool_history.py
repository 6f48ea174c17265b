"""A pool's history on disk: every reserve change and swap, exact, in Parquet files that survive kills.

Layout under the cache folder (CACHE_PATH, ``cache/`` by default)::

    chain-data/<chain id>/<pool address>/metadata.json        tokens, first block, next block to read (a v3 pool's: its
                                                              state and initialised ticks before the first block)
    chain-data/<chain id>/<pool address>/sync/<first>-<last>.parquet   block, log_index, timestamp, reserve0, reserve1
    chain-data/<chain id>/<pool address>/swap/<first>-<last>.parquet   ... amount0_in, amount1_in, amount0_out, amount1_out
    chain-data/<chain id>/<pool address>/v3_swap/...    a v3 pool's Swap (and Initialize): amount0, amount1, sqrt_price, liquidity, tick
    chain-data/<chain id>/<pool address>/v3_range/...   a v3 pool's Mint (amount > 0) and Burn (amount < 0): tick_lower, tick_upper, amount

Amounts are exact integers as decimal128(38, 0): reserves are uint112 (at most 5.2e33) and a
swap moves at most a reserve's worth, so 38 digits always hold them. A v3 pool's numbers are wider
(sqrtPriceX96 is a uint160, liquidity a uint128, amounts int256 bounded by a uint128 liquidity's
worth): decimal256(76, 0), signed. Part files are named by the
blocks they cover and written atomically; the metadata's ``next_block`` is the commit point and is
written after them. A process killed between the two leaves parts at or beyond ``next_block``:
they are deleted when the next writer opens the pool, and the chunk is read again, so nothing is
ever counted twice. Readers take only parts below ``next_block``.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from trade_executor.atomic_files import write_atomically
from trade_executor.errors import DataError, StopError
from trade_executor.file_errors import explain_os_error

FORMAT_VERSION = 1
AMOUNT = pa.decimal128(38, 0)
WIDE = pa.decimal256(76, 0)
_KEYS = [("block", pa.int64()), ("log_index", pa.int32()), ("timestamp", pa.int64())]
SCHEMAS = {
    "sync": pa.schema([*_KEYS, ("reserve0", AMOUNT), ("reserve1", AMOUNT)]),
    "swap": pa.schema([*_KEYS, ("amount0_in", AMOUNT), ("amount1_in", AMOUNT), ("amount0_out", AMOUNT), ("amount1_out", AMOUNT)]),
    "v3_swap": pa.schema([*_KEYS, ("amount0", WIDE), ("amount1", WIDE), ("sqrt_price", WIDE), ("liquidity", WIDE), ("tick", pa.int32())]),
    "v3_range": pa.schema([*_KEYS, ("tick_lower", pa.int32()), ("tick_upper", pa.int32()), ("amount", WIDE)]),
}
MAX_PARTS = 64  # more part files than this are merged into one on the next commit


@dataclass(frozen=True)
class TokenInfo:
    address: str
    symbol: str
    decimals: int


@dataclass(frozen=True)
class PoolMetadata:
    """What the cache holds for one pool: blocks ``first_block`` to ``next_block - 1`` (the last one at ``last_timestamp``)."""

    chain_id: int
    pool: str
    token0: TokenInfo
    token1: TokenInfo
    first_block: int
    next_block: int
    last_timestamp: int | None = None
    pair: str | None = None  # what the user asked for it as, e.g. "ETH-USDC" (base first); None for a pool given by address alone
    version: int = FORMAT_VERSION
    last_hash: str | None = None  # the hash of block next_block - 1: tells this chain's history from another's (a devnet restarted, a fork)
    fee_pips: int | None = None  # a Uniswap v3 style pool's fee tier (3000 = 0.3%); None for a v2 pool
    start_state: list[int] | None = None  # a v3 pool's [sqrtPriceX96, tick, liquidity] before first_block (None: not initialised yet, or unknown)
    tick_spacing: int | None = None  # a v3 pool's tick spacing (None in caches written before it was kept)
    # A v3 pool's initialised ticks before first_block, [tick, liquidityGross, liquidityNet] each, as read from the
    # tick bitmap words start_words ([first, last]) around its price then. None: not read (the pool was not
    # initialised then, or the cache was written before they were kept).
    start_ticks: list[list[int]] | None = None
    start_words: list[int] | None = None

    @property
    def is_v3(self) -> bool:
        return self.fee_pips is not None

    @property
    def blocks(self) -> int:
        return self.next_block - self.first_block

    def token(self, symbol_or_address: str) -> TokenInfo | None:
        for token in (self.token0, self.token1):
            if symbol_or_address.lower() in (token.address.lower(), token.symbol.lower()):
                return token
        return None

    @classmethod
    def from_json(cls, data: dict) -> PoolMetadata:
        return cls(**{**data, "token0": TokenInfo(**data["token0"]), "token1": TokenInfo(**data["token1"])})


@dataclass
class PoolEvents:
    """Rows read but not yet stored, column by column, amounts as Python ints."""

    sync: dict[str, list] = field(default_factory=lambda: {name: [] for name in SCHEMAS["sync"].names})
    swap: dict[str, list] = field(default_factory=lambda: {name: [] for name in SCHEMAS["swap"].names})
    v3_swap: dict[str, list] = field(default_factory=lambda: {name: [] for name in SCHEMAS["v3_swap"].names})
    v3_range: dict[str, list] = field(default_factory=lambda: {name: [] for name in SCHEMAS["v3_range"].names})

    def add(self, kind: str, *values: int) -> None:
        for column, value in zip(getattr(self, kind).values(), values, strict=True):
            column.append(value)

    def __len__(self) -> int:
        return sum(len(getattr(self, kind)["block"]) for kind in SCHEMAS)


class PoolHistoryStore:
    """The pools under ``cache_path/chain-data``; one writer per pool at a time (the download command)."""

    def __init__(self, cache_path: Path):
        self.root = Path(cache_path) / "chain-data"

    def folder(self, chain_id: int, pool: str) -> Path:
        return self.root / str(chain_id) / pool.lower()

    def load(self, chain_id: int, pool: str) -> PoolMetadata | None:
        path = self.folder(chain_id, pool) / "metadata.json"
        if not path.exists():
            return None
        try:
            data = json.loads(path.read_text())
            metadata = PoolMetadata.from_json(data)
        except (ValueError, TypeError, KeyError) as e:
            raise DataError(f"{path} is not a pool history's metadata ({e}). Delete the folder {path.parent} and download again.") from None
        if metadata.version != FORMAT_VERSION:
            raise DataError(f"{path} is version {metadata.version} of the pool history format; this trade-executor reads {FORMAT_VERSION}. Delete {path.parent} and download again.")
        return metadata

    def pools(self, chain_id: int) -> list[PoolMetadata]:
        folder = self.root / str(chain_id)
        found = (self.load(chain_id, path.name) for path in sorted(folder.iterdir()) if "." not in path.name) if folder.is_dir() else ()  # (set-aside histories have a suffix)
        return [metadata for metadata in found if metadata is not None]

    def set_aside(self, metadata: PoolMetadata, reason: str) -> Path:
        """Move a pool's history out of the way (it is another chain's): renamed, never deleted."""
        with _writing(self.root):
            folder = self.folder(metadata.chain_id, metadata.pool)
            stamp = int(time.time())
            aside = folder.with_name(f"{folder.name}.{reason}-{stamp}")
            suffix = 1
            while aside.exists():
                suffix += 1
                aside = folder.with_name(f"{folder.name}.{reason}-{stamp}-{suffix}")
            folder.rename(aside)
            return aside

    def open(self, metadata: PoolMetadata) -> PoolMetadata:
        """Start writing a pool: its metadata saved if new, parts a killed writer left uncommitted removed."""
        with _writing(self.root):
            saved = self.load(metadata.chain_id, metadata.pool)
            if saved is None:
                _write_atomically(self.folder(metadata.chain_id, metadata.pool) / "metadata.json", _metadata_bytes(metadata))
                saved = metadata
            folder = self.folder(saved.chain_id, saved.pool)
            for kind in SCHEMAS:
                committed = self._parts(saved, kind, committed=True)
                for path, first, last in self._parts(saved, kind, committed=False):
                    if last >= saved.next_block or _contained(first, last, committed):
                        path.unlink()
                for leftover in (folder / kind).glob(".*.tmp"):
                    leftover.unlink()
            for leftover in folder.glob(".*.tmp"):
                leftover.unlink()
            return saved

    def rewrite(self, metadata: PoolMetadata) -> PoolMetadata:
        """Store what ``metadata`` adds about an open pool whose blocks it counts as stored already (its next_block unchanged)."""
        saved = self.load(metadata.chain_id, metadata.pool)
        if saved is None or saved.next_block != metadata.next_block:
            raise DataError(f"The cache of pool {metadata.pool} changed while it was open (another download running?): run the command again.")
        with _writing(self.root):
            _write_atomically(self.folder(metadata.chain_id, metadata.pool) / "metadata.json", _metadata_bytes(metadata))
        return metadata

    def commit(self, metadata: PoolMetadata, events: PoolEvents, next_block: int, last_timestamp: int, last_hash: str | None = None) -> PoolMetadata:
        """Store blocks ``metadata.next_block`` to ``next_block - 1``: their rows first, then the metadata that counts them in."""
        with _writing(self.root):
            first, last = metadata.next_block, next_block - 1
            folder = self.folder(metadata.chain_id, metadata.pool)
            for kind in SCHEMAS:
                columns = getattr(events, kind)
                if columns["block"]:
                    table = pa.table(columns, schema=SCHEMAS[kind])
                    _write_atomically(folder / kind / f"{first:012d}-{last:012d}.parquet", table)
            updated = replace(metadata, next_block=next_block, last_timestamp=last_timestamp, last_hash=last_hash)
            _write_atomically(folder / "metadata.json", _metadata_bytes(updated))
            for kind in SCHEMAS:
                if len(self._parts(updated, kind, committed=True)) > MAX_PARTS:
                    self._merge(updated, kind)
            return updated

    def read(self, metadata: PoolMetadata, kind: str) -> pa.Table:
        """Every committed row of ``kind`` (a key of SCHEMAS), in chain order."""
        tables = [pq.read_table(path, schema=SCHEMAS[kind]) for path, _, _ in self._parts(metadata, kind, committed=True)]
        if not tables:
            return SCHEMAS[kind].empty_table()
        return pa.concat_tables(tables).sort_by([("block", "ascending"), ("log_index", "ascending")])

    def _parts(self, metadata: PoolMetadata, kind: str, *, committed: bool) -> list[tuple[Path, int, int]]:
        """Part files (path, first block, last block); committed ones lie below next_block and inside no bigger part."""
        folder = self.folder(metadata.chain_id, metadata.pool) / kind
        parts = []
        for path in sorted(folder.glob("*.parquet")) if folder.is_dir() else ():
            first, _, last = path.stem.partition("-")
            if first.isdigit() and last.isdigit():
                parts.append((path, int(first), int(last)))
        if not committed:
            return parts
        below = [p for p in parts if p[2] < metadata.next_block]
        return [p for p in below if not _contained(p[1], p[2], below, exclude=p[0])]

    def _merge(self, metadata: PoolMetadata, kind: str) -> None:
        """One part instead of many; the merged file covers the others, so a kill in between double-counts nothing."""
        parts = self._parts(metadata, kind, committed=True)
        table = self.read(metadata, kind)
        first, last = parts[0][1], parts[-1][2]
        _write_atomically(self.folder(metadata.chain_id, metadata.pool) / kind / f"{first:012d}-{last:012d}.parquet", table)
        for path, a, b in parts:
            if (a, b) != (first, last):
                path.unlink()


@contextmanager
def _writing(folder: Path) -> Iterator[None]:
    """An operating-system error while writing the cache as one line naming the folder and the fix."""
    try:
        yield
    except OSError as error:
        what, fix = explain_os_error(error, folder / "metadata.json", setting="CACHE_PATH")
        raise StopError(
            f"Cannot write the chain-data cache {folder}: {what} ({error.strerror or type(error).__name__}). "
            f"What it held before is intact (a later run reads the missing blocks again). Fix: {fix}."
        ) from None


def _contained(first: int, last: int, parts: list[tuple[Path, int, int]], exclude: Path | None = None) -> bool:
    return any(path != exclude and a <= first and last <= b and (a, b) != (first, last) for path, a, b in parts)


def _metadata_bytes(metadata: PoolMetadata) -> bytes:
    """The metadata as JSON, a v3 pool's start ticks one to a line (thousands of them, rewritten at every commit)."""
    data = asdict(metadata)
    ticks = data.pop("start_ticks")
    text = json.dumps(data, indent=1)
    if ticks is not None:
        rows = "".join(f"\n  {json.dumps(row)}," for row in ticks).removesuffix(",")
        text = text[:-2] + ',\n "start_ticks": [' + rows + ("\n ]" if rows else "]") + "\n}"
    return (text + "\n").encode()


def _write_atomically(path: Path, content: bytes | pa.Table) -> None:
    if isinstance(content, pa.Table):
        sink = pa.BufferOutputStream()
        pq.write_table(content, sink, compression="zstd")
        content = sink.getvalue().to_pybytes()
    write_atomically(content, path)
