"""The live trader's store: a save appends what changed (its cost does not grow with history), a load
replays the journal over the snapshot, and no kill, torn record or old file loses or doubles a thing."""

from __future__ import annotations

import datetime
import json
import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from trade_executor.errors import StateError
from trade_executor.runner.backtest import BacktestOptions, BacktestRun, build_universe
from trade_executor.state import BalanceUpdateCause, JSONFileStore, LiveInfo, State, TradeStatus
from trade_executor.state import store as store_module
from trade_executor.state.control import ControlRecord, Pause
from trade_executor.state.journaled_store import JournaledStore
from trade_executor.state.serialisation import state_from_json, state_to_json
from trade_executor.strategy.context import ExecutionContext, ExecutionMode
from trade_executor.strategy.module import load_strategy_module

STRATEGY = Path(__file__).resolve().parents[2] / "strategies" / "round_trip_strategy.py"
OLD_LIVE = Path(__file__).parent / "old_files" / "first-live-release-live.json"
T0 = datetime.datetime(2024, 1, 1)


@pytest.fixture(scope="module")
def history() -> State:
    """A backtest's state: closed, open positions, balance updates, plots, messages, statistics."""
    strategy = load_strategy_module(STRATEGY)
    universe = build_universe(strategy, BacktestOptions(), ExecutionContext(ExecutionMode.backtesting, strategy.engine_version))
    return BacktestRun(strategy, universe, BacktestOptions()).run().state


def copy(state: State) -> State:
    return state_from_json(state_to_json(state))


def same(a: State, b: State) -> bool:
    """Equal, to the byte and the order of every dict (NaN included, which == does not compare)."""
    return state_to_json(a) == state_to_json(b)


def live_state(history: State) -> State:
    """A live state holding ``history``'s positions, closed ones renumbered into a long history."""
    state = copy(history)
    state.backtest, state.live = None, LiveInfo(chain_id=31337, hot_wallet="0x" + "ab" * 20)
    return state


def add_closed(state: State, count: int) -> None:
    template = next(iter(state.portfolio.closed_positions.values()))
    for _ in range(count):
        position = state_from_json(state_to_json(State(portfolio=type(state.portfolio)(closed_positions={1: template})))).portfolio.closed_positions[1]
        position.position_id = state.portfolio.allocate_position_id()
        state.portfolio.closed_positions[position.position_id] = position


def journal(path: Path) -> Path:
    return path.with_name(path.name + ".journal")


# --- what a save writes ----------------------------------------------------------------------------


def test_a_save_appends_a_record_whose_size_does_not_grow_with_history(tmp_path, history):
    sizes = {}
    for closed in (10, 2_000):
        path = tmp_path / f"{closed}.json"
        state = live_state(history)
        add_closed(state, closed)
        store = JournaledStore(path)
        store.save(state)  # the first save writes the snapshot
        snapshot = path.stat()
        state.stats.record(T0, 10_000.0, 5_000.0, 1)
        state.cycle += 1
        store.save(state)
        assert path.stat().st_ino == snapshot.st_ino and path.stat().st_mtime_ns == snapshot.st_mtime_ns  # not rewritten
        sizes[closed] = journal(path).stat().st_size
        assert same(JSONFileStore(path).load(), state)
    assert sizes[10] < 8_000 and abs(sizes[2_000] - sizes[10]) < 40, sizes  # only the digits of the counters differ


class Steps:
    """Changes a live state the way the trader does, one kind of change per step (``save`` saves between two halves of a step)."""

    def __init__(self, history: State, save):
        self.source, self.save = copy(history), save
        self.opened = [copy(history).portfolio.open_positions[k] for k in history.portfolio.open_positions]
        self.state = State(name="live", created_at=T0, live=LiveInfo(chain_id=31337))
        self.portfolio = self.state.portfolio
        self.reserve = next(iter(self.source.portfolio.reserves.values())).asset

    def deposit(self):
        self.portfolio.record_balance_update(BalanceUpdateCause.deposit, self.reserve, Decimal("1000.000001"), T0, block_number=5, tx_hash="0x01")

    def open_position(self):
        position = self.opened[0]
        self.portfolio.open_positions[position.position_id] = position
        self.portfolio.next_position_id = position.position_id + 1

    def trade_settles(self):
        trade = next(iter(self.opened[0].trades.values()))
        trade.status, trade.notes = TradeStatus.success, "settled"

    def cycle_recorded(self):
        state = self.state
        state.cycle += 1
        when = T0 + datetime.timedelta(hours=state.cycle)
        state.stats.record(when, 10_000.5, 5_000.25, len(self.portfolio.open_positions))
        state.visualisation.plot_indicator(when, "sma", float("nan") if state.cycle == 1 else 1.5, "red")
        state.visualisation.add_message(when, f"cycle {state.cycle}")

    def another_message_same_cycle(self):
        self.state.visualisation.add_message(T0 + datetime.timedelta(hours=self.state.cycle), "and more")

    def position_corrected(self):
        self.portfolio.record_position_balance_update(self.opened[0], BalanceUpdateCause.correction, Decimal("-0.000001"), T0, notes="dust")

    def close_position(self):
        self.portfolio.close_position(self.opened[0], T0 + datetime.timedelta(hours=3))

    def unfilled(self):
        trade = next(iter(self.source.portfolio.closed_positions[1].trades.values()))
        trade.trade_id, trade.status = 999, TradeStatus.skipped
        self.portfolio.unfilled_trades[999] = trade

    def freeze_then_close(self):
        position = copy(self.source).portfolio.closed_positions[1]
        position.closed_at = None
        self.portfolio.open_positions[position.position_id] = position
        self.portfolio.freeze_position(position, T0, "unclear")
        self.save()
        del self.portfolio.frozen_positions[position.position_id]
        position.frozen_at, position.closed_at = None, T0
        self.portfolio.closed_positions[position.position_id] = position

    def operator_pauses(self):
        self.state.live.pause = Pause(T0, "alice")
        self.state.live.control_log.append(ControlRecord("c1", "pause", "alice", T0, T0, "done", "Paused"))

    def operator_resumes(self):
        self.state.live.pause = None
        self.state.live.control_log.append(ControlRecord("c2", "resume", "alice", T0, T0, "done"))
        self.state.visualisation.plots["sma"].colour = "blue"


STEPS = ["deposit", "open_position", "trade_settles", "cycle_recorded", "another_message_same_cycle", "cycle_recorded", "position_corrected",
         "close_position", "unfilled", "cycle_recorded", "freeze_then_close", "operator_pauses", "operator_resumes", "cycle_recorded"]


def test_every_kind_of_change_survives_a_load(tmp_path, history):
    """After each step's save a fresh reader loads exactly the trader's state; a restarted writer appends after it."""
    path = tmp_path / "state.json"
    store = JournaledStore(path)
    steps = Steps(history, lambda: store.save(steps.state))
    for step in STEPS:
        getattr(steps, step)()
        store.save(steps.state)
        assert same(JSONFileStore(path).load(), steps.state), step
    assert journal(path).exists()
    reloaded = JournaledStore(path)
    assert same(reloaded.load(), steps.state)
    steps.cycle_recorded()
    reloaded.save(steps.state)
    assert same(JSONFileStore(path).load(), steps.state)


def test_a_history_that_changed_shape_is_written_as_a_whole_snapshot(tmp_path, history):
    path = tmp_path / "state.json"
    state = live_state(history)
    store = JournaledStore(path)
    store.save(state)
    state.stats.record(T0, 1.0, 1.0, 0)
    store.save(state)
    assert journal(path).exists()
    del state.portfolio.closed_positions[next(iter(state.portfolio.closed_positions))]  # never done by the trader
    store.save(state)
    assert not journal(path).exists()
    assert same(JSONFileStore(path).load(), state)


def test_at_a_safe_point_a_small_snapshot_is_rewritten_and_a_large_one_only_once_its_journal_outgrows_it(tmp_path, history):
    path = tmp_path / "state.json"
    state = live_state(history)
    store = JournaledStore(path)
    store.save(state)
    state.cycle += 1
    store.save(state, safe_point=True)
    assert not journal(path).exists()  # a small state: one file between cycles
    add_closed(state, 400)  # now well past SMALL_SNAPSHOT
    store.save(state, safe_point=True)
    big = path.stat().st_size
    assert big > 256 * 1024
    while journal(path).exists() or path.stat().st_size == big:
        state.cycle += 1
        state.live.control_log.append(ControlRecord(f"c{state.cycle}", "pause", "x" * 5_000, T0, T0, "done"))
        store.save(state, safe_point=True)
        if journal(path).exists():
            assert journal(path).stat().st_size <= big + 10_000
    assert same(JSONFileStore(path).load(), state)


# --- crashes and damage ------------------------------------------------------------------------------


def saved_three_times(path: Path, history: State) -> list[bytes]:
    """The state's document after each of three appended saves."""
    state = live_state(history)
    store = JournaledStore(path)
    store.save(state)
    documents = []
    for i in range(3):
        state.stats.record(T0 + datetime.timedelta(hours=i), float(i), 1.0, 0)
        store.save(state)
        documents.append(state_to_json(state))
    return documents


@pytest.mark.parametrize("tear", ["newline missing", "cut in the payload", "cut in the header", "checksum fails", "zeros after it"])
def test_a_torn_last_record_is_ignored_and_the_next_writer_starts_afresh(tmp_path, history, tear):
    path = tmp_path / "state.json"
    documents = saved_three_times(path, history)
    data = journal(path).read_bytes()
    last = data.rfind(b"\n", 0, len(data) - 1) + 1
    torn = {
        "newline missing": data[:-1],
        "cut in the payload": data[: len(data) - 40],
        "cut in the header": data[: last + 3],
        "checksum fails": data[:-20] + bytes([data[-20] ^ 1]) + data[-19:],
        "zeros after it": data + b"\0" * 4096,
    }[tear]
    journal(path).write_bytes(torn)
    expected = documents[-1] if tear == "zeros after it" else documents[-2]
    assert state_to_json(JSONFileStore(path).load()) == expected
    assert journal(path).read_bytes() == torn  # a reader changes nothing

    writer = JournaledStore(path)
    state = writer.load()
    state.cycle += 1
    writer.save(state)  # after a torn record: a whole snapshot, the journal goes
    assert not journal(path).exists()
    assert same(JSONFileStore(path).load(), state)


def test_a_damaged_record_with_good_ones_after_it_is_an_error_and_nothing_is_modified(tmp_path, history):
    path = tmp_path / "state.json"
    saved_three_times(path, history)
    data = bytearray(journal(path).read_bytes())
    data[40] ^= 1
    journal(path).write_bytes(bytes(data))
    snapshot = path.read_bytes()
    for store in (JSONFileStore(path), JournaledStore(path)):
        with pytest.raises(StateError, match=r"damaged at byte 0 .* Neither file was modified") as info:
            store.load()
        assert str(path) in str(info.value)
    assert journal(path).read_bytes() == bytes(data) and path.read_bytes() == snapshot


KILLED_COMPACTION = """
import datetime, sys
from pathlib import Path
from trade_executor.state import LiveInfo, State
from trade_executor.state.journaled_store import JournaledStore
state = State(name="x", live=LiveInfo())
store = JournaledStore(Path(sys.argv[1]))
store.save(state)
for i in range(5):
    state.stats.record(datetime.datetime(2024, 1, 1, i), float(i), 1.0, 0)
    state.portfolio.next_trade_id += 1
    store.save(state)
sys.stdout.write("saved\\n"); sys.stdout.flush()
store.save(state, safe_point=True)
"""


@pytest.mark.parametrize("crash_at", ["compaction_before_rename", "compaction_after_rename"])
def test_a_kill_during_compaction_loses_nothing_and_applies_nothing_twice(tmp_path, crash_at):
    path = tmp_path / "state.json"
    env = {**os.environ, "TRADE_EXECUTOR_CRASH_AT": crash_at}
    killed = subprocess.run([sys.executable, "-c", KILLED_COMPACTION, str(path)], env=env, capture_output=True, text=True, timeout=60)
    assert killed.returncode == -9 and killed.stdout == "saved\n", killed.stderr
    assert journal(path).exists()  # killed before the journal went
    state = JSONFileStore(path).load()
    assert len(state.stats) == 5 and state.stats.total_equity == [0.0, 1.0, 2.0, 3.0, 4.0] and state.portfolio.next_trade_id == 6
    writer = JournaledStore(path)
    assert same(writer.load(), state)
    state.stats.record(datetime.datetime(2024, 1, 2), 9.0, 1.0, 0)
    writer.save(state)
    assert len(JSONFileStore(path).load().stats) == 6


def test_a_reader_racing_a_compaction_reads_again(tmp_path, history, monkeypatch):
    """The snapshot replaced between reading it and its journal: the reader starts over, never mixing the two."""
    path = tmp_path / "state.json"
    documents = saved_three_times(path, history)
    writer = JournaledStore(path)
    state = writer.load()
    state.cycle += 1
    reads = []
    real = store_module.read_journal

    def compact_once_then_read(*args):
        if not reads:
            writer.compact(state)
        reads.append(1)
        return real(*args)

    monkeypatch.setattr(store_module, "read_journal", compact_once_then_read)
    assert same(JSONFileStore(path).load(), state) and len(reads) == 2
    assert state_to_json(state) != documents[-1]


def test_a_plain_save_replaces_the_journal_and_an_old_journal_put_back_is_ignored(tmp_path, history):
    path = tmp_path / "state.json"
    saved_three_times(path, history)
    old_journal = journal(path).read_bytes()
    state = JSONFileStore(path).load()
    state.cycle = 77
    JSONFileStore(path).save(state)  # what the console's store.save or a tool does
    assert not journal(path).exists()
    journal(path).write_bytes(old_journal)  # e.g. a backup restored over a newer file
    assert same(JSONFileStore(path).load(), state)


# --- old and new versions ----------------------------------------------------------------------------


def test_a_schema_1_file_is_read_as_is_and_migrated_by_the_first_live_save_keeping_a_backup(tmp_path):
    path = tmp_path / "live.json"
    original = OLD_LIVE.read_bytes()
    path.write_bytes(original)
    state = JSONFileStore(path).load()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["live.json"] and path.read_bytes() == original  # reading writes nothing

    writer = JournaledStore(path)
    state = writer.load()
    writer.save(state)
    assert (tmp_path / "live.json.v1.bak").read_bytes() == original
    assert json.loads(path.read_bytes())["schema_version"] == 2
    assert same(JSONFileStore(path).load(), state)
    assert JSONFileStore(path).load().portfolio.open_positions[1].trades[1].blockchain_transactions[0].gas_used == 110_000


def test_a_file_of_a_newer_schema_is_refused_by_name_and_left_alone(tmp_path, history):
    path = tmp_path / "state.json"
    document = json.loads(state_to_json(live_state(history)))
    document["schema_version"] = 3
    path.write_bytes(json.dumps(document).encode())
    before = path.read_bytes()
    with pytest.raises(StateError) as info:
        JournaledStore(path).load()
    message = str(info.value)
    assert f"State file {path} has state schema version 3" in message and "reads version 2" in message and "was not modified" in message
    assert sorted(p.name for p in tmp_path.iterdir()) == ["state.json"] and path.read_bytes() == before
