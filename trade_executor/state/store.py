"""The state file on disk: a snapshot, and beside it the journal of the saves since (journaled_store.py).

Loading reads both, so every reader (show-positions, report, the webhook of another process)
sees the state as last saved. A plain ``save`` writes the whole state as a new snapshot, atomically,
and drops the journal: what a backtest, the console or a tool does. Loads never destroy what they
cannot read.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import msgspec

from trade_executor.atomic_files import write_atomically
from trade_executor.errors import StateError
from trade_executor.state.changes import Record, apply_record
from trade_executor.state.file_errors import state_file_error
from trade_executor.state.journal import journal_path, read_journal
from trade_executor.state.serialisation import snapshot_from_json, state_to_json
from trade_executor.state.state import State

STATE_FOLDER = Path("state")
READ_ATTEMPTS = 5  # a writer may replace the snapshot while a reader reads it and the journal; read again
_record_decoder = msgspec.json.Decoder(Record)


def default_state_file(strategy_id: str, kind: str = "") -> Path:
    """``state/<strategy-id>.json`` for the live run; ``kind`` ("backtest", "replay") for the others' own files."""
    return STATE_FOLDER / (f"{strategy_id}-{kind}.json" if kind else f"{strategy_id}.json")


def remove_leftover_temporaries(path: Path) -> list[Path]:
    """Delete the temporary files of saves that were killed before their rename (``.<name>.*.tmp``).

    Only the holder of the state file's writer lock may call this: no save can then be running.
    """
    removed = []
    target = Path(path).resolve()
    for leftover in target.parent.glob(f".{target.name}.*.tmp"):
        leftover.unlink(missing_ok=True)
        removed.append(leftover)
    return removed


def remove_state_file(path: Path) -> None:
    """Delete a state file and its journal (a replay starting afresh or going back to a checkpoint)."""
    path = Path(path)
    journal_path(path.resolve()).unlink(missing_ok=True)
    path.unlink(missing_ok=True)


@dataclass(frozen=True)
class SavedState:
    """What observers hear of a save: ``generation`` counts saves; ``document()`` gives the whole state as JSON.

    Handing it over costs nothing whatever the history; the document is built only when asked for,
    from the files (so a reader on another thread never touches the trader's State).
    """

    generation: int
    document: Callable[[], bytes]
    path: Path | None = None  # the state file, when the document is read from the files (the webhook follows them: state/follower.py)

    @classmethod
    def of(cls, data: bytes, generation: int = 0) -> SavedState:
        return cls(generation, lambda: data)


@dataclass(frozen=True)
class Loaded:
    state: State
    journal_id: str  # the snapshot's: the journal records that extend it carry it
    version: int  # the snapshot's schema version
    snapshot_size: int
    journal_size: int  # bytes of whole records in the journal
    seq: int  # the last journal record applied
    torn: bool  # the journal ends with a record a kill cut short
    identity: tuple = ()  # the snapshot file's (inode, size, mtime) as read: a reader following the files knows it is the same one


class JSONFileStore:
    def __init__(self, path: Path | str, on_saved: Callable[[SavedState], None] | None = None):
        """``on_saved`` hears of each successful save (the webhook serves the document)."""
        self.path = Path(path)
        self.on_saved = on_saved
        self.generation = 0

    def exists(self) -> bool:
        return self.path.exists()

    def journal_file(self) -> Path:
        """``<state file>.journal`` beside the file the path names (a symlink's target: other spellings meet it too)."""
        return journal_path(self.path.resolve())

    def load(self) -> State:
        return self.read().state

    def document(self) -> bytes:
        """The whole state as one JSON document, read from the files (export-state, the webhook's /state)."""
        return state_to_json(self.read().state)

    def read(self) -> Loaded:
        """The snapshot with the journal's records for it applied; a torn last record is left out."""
        for _ in range(READ_ATTEMPTS):
            try:
                with open(self.path, "rb") as f:
                    identity = file_identity(os.fstat(f.fileno()))
                    data = f.read()
                loaded = self._with_journal(data)
                if file_identity(os.stat(self.path)) == identity:
                    return replace(loaded, identity=identity)
            except FileNotFoundError:
                raise StateError(f"State file {self.path} does not exist.") from None
            except OSError as e:
                raise state_file_error(e, self.path, "read") from e
        raise StateError(f"State file {self.path} was replaced {READ_ATTEMPTS} times while it was read: is something rewriting it in a loop? Try again.")

    def _with_journal(self, data: bytes) -> Loaded:
        state, journal_id, version = snapshot_from_json(data, source=f"State file {self.path}")
        journal = read_journal(self.journal_file(), self.path)
        seq = 0
        for at, payload in enumerate(journal.records):
            try:
                record = _record_decoder.decode(payload)
            except (msgspec.DecodeError, msgspec.ValidationError) as e:
                raise StateError(f"The journal {self.journal_file()} of state file {self.path} holds a record (number {at + 1}) this release cannot read ({e}). Neither file was modified.") from e
            if not journal_id or record.snapshot != journal_id:
                continue  # a record of an older snapshot: a compaction was cut short before it removed the journal
            if record.seq != seq + 1:
                raise StateError(f"The journal {self.journal_file()} of state file {self.path} skips from record {seq} to {record.seq}. Neither file was modified. Restore both from a backup.")
            apply_record(state, record)
            seq = record.seq
        return Loaded(state, journal_id, version, len(data), journal.size, seq, journal.torn)

    def save(self, state: State) -> None:
        """Write the whole state as the new snapshot (atomically, see write_snapshot); the journal goes."""
        data = state_to_json(state)
        self.write_snapshot(data)
        self.journal_file().unlink(missing_ok=True)  # its records extend another snapshot: ignored even if this is lost
        self._saved(lambda: data)

    def write_snapshot(self, data: bytes, before_rename: Callable[[], None] | None = None) -> None:
        """Write to a temporary file beside the target, fsync, then rename over it.

        A crash at any point leaves either the old file or the new one, never half of one. A
        symlinked state file stays a link: the file it points to is the one replaced. A full disk,
        a read-only folder or no file descriptor left is a StateError naming the path and the fix.
        """
        try:
            write_atomically(data, self.path.resolve(), before_rename)
        except OSError as e:
            raise state_file_error(e, self.path, "save") from e

    def _saved(self, document: Callable[[], bytes]) -> None:
        self.generation += 1
        if self.on_saved is not None:
            self.on_saved(SavedState(self.generation, document, self.path if document == self.document else None))

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.path}>"


def decode_record(payload: bytes) -> Record | None:
    """A journal record, or None when this release cannot read it."""
    try:
        return _record_decoder.decode(payload)
    except (msgspec.DecodeError, msgspec.ValidationError):
        return None


def file_identity(stat: os.stat_result) -> tuple[int, int, int]:
    return stat.st_ino, stat.st_size, stat.st_mtime_ns


