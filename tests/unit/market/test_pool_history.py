"""The pool history cache: exact amounts, commits that survive a kill, and candles of the pool's own price."""

from __future__ import annotations

import pandas as pd
import pytest

from trade_executor.errors import DataError, StopError
from trade_executor.market.pool_candles import pool_candles
from trade_executor.market.pool_history import MAX_PARTS, PoolEvents, PoolHistoryStore, PoolMetadata, TokenInfo

WETH = TokenInfo("0x00000000000000000000000000000000000000aa", "WETH", 18)
USDC = TokenInfo("0x00000000000000000000000000000000000000bb", "USDC", 6)
POOL = "0x00000000000000000000000000000000000000Cc"
T0 = 1_704_067_200  # 2024-01-01 00:00 UTC
BIG = 2**112 - 1  # the largest reserve a Uniswap v2 pool holds


def fresh(tmp_path, first_block: int = 100) -> tuple[PoolHistoryStore, PoolMetadata]:
    store = PoolHistoryStore(tmp_path)
    return store, store.open(PoolMetadata(1, POOL, WETH, USDC, first_block, first_block, pair="ETH-USDC"))


def events(*syncs: tuple[int, int, int, int, int], swaps=()) -> PoolEvents:
    batch = PoolEvents()
    for row in syncs:
        batch.add("sync", *row)
    for row in swaps:
        batch.add("swap", *row)
    return batch


def test_reserves_round_trip_exactly_up_to_uint112(tmp_path):
    store, metadata = fresh(tmp_path)
    metadata = store.commit(metadata, events((100, 3, T0, BIG, 1), (101, 0, T0 + 12, 10**30 + 1, BIG - 7), swaps=[(101, 1, T0 + 12, BIG, 0, 0, 5)]), 102, T0 + 12)
    syncs = store.read(metadata, "sync")
    assert [int(v.as_py()) for v in syncs["reserve0"]] == [BIG, 10**30 + 1]
    assert [int(v.as_py()) for v in syncs["reserve1"]] == [1, BIG - 7]
    assert store.read(metadata, "swap")["amount0_in"][0].as_py() == BIG
    assert store.load(1, POOL) == metadata and metadata.next_block == 102 and metadata.last_timestamp == T0 + 12


def test_parts_a_killed_writer_left_beyond_the_commit_are_removed_when_the_pool_is_opened_again(tmp_path):
    store, metadata = fresh(tmp_path)
    metadata = store.commit(metadata, events((100, 0, T0, 10, 20)), 150, T0 + 600)
    # A writer killed between its parts and its metadata: parts for 150-199 written, the metadata still at 150.
    committed = (store.folder(1, POOL) / "metadata.json").read_bytes()
    store.commit(metadata, events((160, 0, T0 + 720, 11, 19)), 200, T0 + 1200)
    (store.folder(1, POOL) / "metadata.json").write_bytes(committed)
    (store.folder(1, POOL) / "sync" / ".000000000200-000000000249.parquet.x.tmp").write_bytes(b"half a file")  # and one killed mid-write
    assert store.read(metadata, "sync")["block"].to_pylist() == [100]  # readers never see the uncommitted part
    reopened = store.open(metadata)
    assert sorted(p.name for p in (store.folder(1, POOL) / "sync").iterdir()) == ["000000000100-000000000149.parquet"]
    # The chunk is read again, maybe in other boundaries: nothing doubles.
    again = store.commit(reopened, events((160, 0, T0 + 720, 11, 19)), 180, T0 + 960)
    assert store.read(again, "sync")["block"].to_pylist() == [100, 160]


def test_many_commits_are_merged_and_a_kill_during_the_merge_doubles_nothing(tmp_path):
    store, metadata = fresh(tmp_path, first_block=0)
    for block in range(MAX_PARTS + 1):
        metadata = store.commit(metadata, events((block, 0, T0 + 12 * block, 10 + block, 20)), block + 1, T0 + 12 * block)
    parts = sorted(p.name for p in (store.folder(1, POOL) / "sync").iterdir())
    assert parts == [f"000000000000-{MAX_PARTS:012d}.parquet"]
    assert store.read(metadata, "sync")["block"].to_pylist() == list(range(MAX_PARTS + 1))
    # As if killed after writing the merged file but before deleting what it merged: an old part comes back.
    merged = store.read(metadata, "sync").slice(3, 1)
    import pyarrow.parquet as pq

    pq.write_table(merged, store.folder(1, POOL) / "sync" / "000000000003-000000000003.parquet")
    assert store.read(metadata, "sync")["block"].to_pylist() == list(range(MAX_PARTS + 1))
    store.open(metadata)
    assert len(list((store.folder(1, POOL) / "sync").iterdir())) == 1


def test_metadata_of_another_format_is_refused_with_the_fix(tmp_path):
    store, metadata = fresh(tmp_path)
    path = store.folder(1, POOL) / "metadata.json"
    path.write_text(path.read_text().replace('"version": 1', '"version": 99'))
    with pytest.raises(DataError, match="version 99 .* Delete"):
        store.load(1, POOL)


def test_candles_open_at_the_standing_price_hours_without_swaps_are_flat_and_run_to_the_covered_end(tmp_path):
    store, metadata = fresh(tmp_path)
    e = 10**18
    rows = [
        (100, 0, T0 + 60, 1 * e, 2_000 * 10**6),  # 2,000
        (100, 5, T0 + 60, 1 * e, 2_100 * 10**6),  # the block's last Sync counts: 2,100
        (101, 0, T0 + 1_800, 1 * e, 1_900 * 10**6),  # 1,900
        (400, 2, T0 + 3 * 3600 + 10, 2 * e, 4_400 * 10**6),  # two hours later: 2,200, liquidity doubled
    ]
    swaps = [(100, 1, T0 + 60, 0, 100 * 10**6, e // 20, 0), (101, 1, T0 + 1_800, e // 10, 0, 0, 250 * 10**6)]
    metadata = store.commit(metadata, events(*rows, swaps=swaps), 1_000, T0 + 5 * 3600 + 5)
    candles = pool_candles(metadata, store.read(metadata, "sync"), store.read(metadata, "swap"), WETH.address, pd.Timedelta("1h"))
    hours = pd.date_range("2024-01-01", periods=6, freq="1h")
    expected = pd.DataFrame(
        {
            "open": [2_100, 1_900, 1_900, 1_900, 2_200, 2_200],
            "high": [2_100, 1_900, 1_900, 2_200, 2_200, 2_200],
            "low": [1_900, 1_900, 1_900, 1_900, 2_200, 2_200],
            "close": [1_900, 1_900, 1_900, 2_200, 2_200, 2_200],
            "volume": [350, 0, 0, 0, 0, 0],
            "liquidity": [1_900, 1_900, 1_900, 4_400, 4_400, 4_400],
        },
        index=pd.DatetimeIndex(hours, name="timestamp").as_unit("ns"),
        dtype="float64",
    )
    pd.testing.assert_frame_equal(candles, expected, check_freq=False)


def test_the_quote_may_be_token0(tmp_path):
    store = PoolHistoryStore(tmp_path)
    metadata = store.open(PoolMetadata(1, POOL, USDC, WETH, 0, 0))
    metadata = store.commit(metadata, events((5, 0, T0, 3_000 * 10**6, 10**18)), 6, T0)
    candles = pool_candles(metadata, store.read(metadata, "sync"), store.read(metadata, "swap"), WETH.address, pd.Timedelta(days=1))
    assert candles["close"].tolist() == [3_000.0] and candles["liquidity"].tolist() == [3_000.0]


def test_a_cache_that_cannot_be_written_is_one_line_naming_the_folder_and_the_fix(tmp_path):
    """Found when a full disk met the cycle's cache commit before the state's save: a traceback. Now one line, as for the state file."""
    in_the_way = tmp_path / "a-file"
    in_the_way.write_text("not a folder")
    store = PoolHistoryStore(in_the_way / "cache")
    with pytest.raises(StopError) as raised:
        store.open(PoolMetadata(1, POOL, WETH, USDC, 100, 100))
    assert str(raised.value) == (
        f"Cannot write the chain-data cache {in_the_way / 'cache' / 'chain-data'}: a part of the path {in_the_way / 'cache' / 'chain-data' / 'metadata.json'} "
        "is a file, not a folder (Not a directory). What it held before is intact (a later run reads the missing blocks again). "
        "Fix: point CACHE_PATH at a path inside a folder."
    )


def test_histories_set_aside_are_not_listed_as_pools(tmp_path):
    store, metadata = fresh(tmp_path)
    store.commit(metadata, events((100, 0, T0, 10, 20)), 101, T0)
    aside = store.set_aside(metadata, "other-chain")
    assert aside.name.startswith(POOL.lower() + ".other-chain-") and store.pools(1) == [] and store.load(1, POOL) is None
    store2, again = fresh(tmp_path)
    store2.commit(again, events((100, 0, T0, 10, 20)), 101, T0)
    assert store2.set_aside(again, "other-chain") != aside  # a second one in the same second gets its own name
