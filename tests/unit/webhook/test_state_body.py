"""/state after a save costs what changed, not the history: the closed positions' encoding is kept
between saves, the snapshot is read once, and the answer is still the document export-state writes."""

from __future__ import annotations

import gzip

from trade_executor import secrets
from trade_executor.state import JSONFileStore
from trade_executor.state.journaled_store import JournaledStore
from trade_executor.state.serialisation import state_to_json
from trade_executor.webhook import StatusTracker
from trade_executor.webhook.state_body import SEGMENT_SIZE

from .conftest import _position, _trade, at, make_state

SECRET = "0xfeedface0123456789abcdef"


def close_one(state, hour: float, reason: str | None = None) -> None:
    position = _position(state, at(hour), "1500")
    _trade(state, position, at(hour), "1", "1500")
    _trade(state, position, at(hour), "-1", "1500", fail=reason) if reason else None
    _trade(state, position, at(hour), "-1", "1510")
    state.portfolio.close_position(position, at(hour + 0.5))


def served(tracker) -> tuple[bytes, bytes]:
    document = tracker.state_document
    return document.body(), gzip.decompress(document.gzipped())


def work_per_request(tmp_path, history: int, saves: int = 6) -> list[tuple[int, int, int]]:
    """(JSON bytes encoded, bytes compressed, snapshot bytes read) of each /state after a save that closed one position."""
    tracker = StatusTracker()
    state = make_state()
    for i in range(history):
        close_one(state, 10 + i * 0.01, reason=f"reverted, key {SECRET}" if i % 50 == 0 else None)
    store = JournaledStore(tmp_path / f"state-{history}.json", on_saved=tracker.state_saved)
    store.save(state)  # the snapshot with the history
    assert served(tracker) == (secrets.mask_bytes(state_to_json(state)),) * 2  # the first request reads it all
    body = tracker.state_body
    work = []
    for i in range(saves):
        close_one(state, 100 + i, reason=f"reverted, key {SECRET}" if i == 2 else None)
        state.cycle += 1
        state.stats.record(at(100 + i), 10_000.0, 7_150.0, 1)
        store.save(state)  # a journal record
        before = (body.counters.bytes_encoded, body.counters.bytes_compressed, body.follower.counters.snapshot_bytes)
        expected = secrets.mask_bytes(state_to_json(state))
        assert served(tracker) == (expected, expected)  # never older than the last save, masked as a whole document is
        assert expected == secrets.mask_bytes(JSONFileStore(store.path).document())  # what export-state writes
        after = (body.counters.bytes_encoded, body.counters.bytes_compressed, body.follower.counters.snapshot_bytes)
        work.append(tuple(b - a for a, b in zip(before, after, strict=True)))
    assert SECRET.encode() not in expected and b"***" in expected
    return work


def test_the_work_of_a_state_request_after_a_save_does_not_grow_with_history(tmp_path):
    secrets.register_secret(SECRET)
    small = work_per_request(tmp_path, 20)
    large = work_per_request(tmp_path, 2_000)  # ~100 times the closed positions, some MB of JSON
    assert all(read == 0 for _, _, read in small + large)  # the snapshot is read once, then only the journal
    encoded_small, encoded_large = max(w[0] for w in small), max(w[0] for w in large)
    assert encoded_large <= encoded_small + 512, (small, large)  # the new position, the head and the tail: not the history
    assert all(compressed <= SEGMENT_SIZE + 4 * encoded_large for _, compressed, _ in large), large  # at most one segment again


def test_a_compaction_or_a_plain_save_between_requests_is_read_whole(tmp_path):
    tracker = StatusTracker()
    state = make_state()
    for i in range(30):
        close_one(state, 10 + i)
    store = JournaledStore(tmp_path / "state.json", on_saved=tracker.state_saved)
    store.save(state)
    served(tracker)
    close_one(state, 50)
    store.save(state)
    assert served(tracker)[0] == state_to_json(state)
    close_one(state, 51)
    store.compact(state)  # a new snapshot: the journal it replaced is gone
    assert served(tracker) == (state_to_json(state),) * 2
    close_one(state, 52)
    store.save(state)
    assert served(tracker) == (state_to_json(state),) * 2
    assert tracker.state_body.follower.counters.snapshot_reads == 2
    del state.portfolio.closed_positions[next(iter(state.portfolio.closed_positions))]  # history changed shape: a whole snapshot
    store.save(state)
    assert served(tracker) == (state_to_json(state),) * 2


def test_a_newly_registered_secret_is_masked_in_the_kept_history(tmp_path):
    tracker = StatusTracker()
    state = make_state()
    close_one(state, 10, reason=f"reverted, key {SECRET}")
    store = JournaledStore(tmp_path / "state.json", on_saved=tracker.state_saved)
    store.save(state)
    assert SECRET.encode() in served(tracker)[1]
    secrets.register_secret(SECRET)
    close_one(state, 11)
    store.save(state)
    body, unzipped = served(tracker)
    assert body == unzipped == secrets.mask_bytes(state_to_json(state)) and SECRET.encode() not in body
