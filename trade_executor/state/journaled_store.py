"""The live trader's store: a save appends what changed to the journal; a compaction rewrites the snapshot.

A live cycle with one swap saves four times (signed, broadcast, confirmed, cycle done). Rewriting
the whole file each time cost ~2 s a cycle at 50,000 past trades; appending one fsync'd record of
what changed (changes.py) costs the same at any size, and is as durable: the signed transaction
is on disk before it is broadcast.

A compaction writes the whole state as a new snapshot with a new journal id, then removes the
journal. Records name the snapshot they extend, so a kill at any point loses nothing and applies
nothing twice: before the rename the old snapshot and its journal stand; after it the new
snapshot holds everything and the old journal's records, naming the old id, are skipped. The
trader compacts at a safe point (the end of a cycle) when the snapshot is small enough to rewrite
cheaply or the journal has grown past it (so the rewrites cost, spread over the saves, what the
saves appended), and at a clean exit. The first save after a load compacts too when the snapshot
has no journal id yet (a plain save wrote it), is of schema version 1 (migrated: the old file is
kept beside it as ``<name>.v1.bak``), or the journal ends with a record a kill cut short.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from trade_executor.failpoints import crash_point
from trade_executor.state.changes import Marks, marks_of, record_of
from trade_executor.state.encoding import encoder
from trade_executor.state.file_errors import state_file_error
from trade_executor.state.journal import append_record
from trade_executor.state.serialisation import state_to_json
from trade_executor.state.state import STATE_SCHEMA_VERSION, State
from trade_executor.state.store import JSONFileStore, write_atomically

logger = logging.getLogger(__name__)

SMALL_SNAPSHOT = 256 * 1024  # rewritten in about a millisecond: compacted at every safe point


class JournaledStore(JSONFileStore):
    def __init__(self, path: Path | str, on_saved=None):
        super().__init__(path, on_saved)
        self._marks: Marks | None = None  # None: the next save writes a snapshot
        self._journal_id = ""
        self._seq = 0
        self._version = STATE_SCHEMA_VERSION
        self._snapshot_size = 0
        self._journal_size = 0

    def load(self) -> State:
        loaded = self.read()
        self._journal_id, self._seq, self._version = loaded.journal_id, loaded.seq, loaded.version
        self._snapshot_size, self._journal_size = loaded.snapshot_size, loaded.journal_size
        appendable = loaded.journal_id and loaded.version == STATE_SCHEMA_VERSION and not loaded.torn
        self._marks = marks_of(loaded.state) if appendable else None
        return loaded.state

    def save(self, state: State, *, safe_point: bool = False) -> None:
        """Append what changed since the last save, fsync'd; at a ``safe_point`` compact instead when it is due."""
        if self._marks is None or (safe_point and self._compaction_due()):
            self.compact(state)
            return
        found = record_of(state, self._marks, self._journal_id, self._seq + 1)
        if found is None:  # history changed shape: only a whole snapshot says it right
            self.compact(state)
            return
        record, marks = found
        payload = encoder.encode(record)
        try:
            self._journal_size = append_record(self.journal_file(), payload)
        except OSError as e:
            self._marks = None  # whatever the failed append left, the next save starts afresh
            raise state_file_error(e, self.path, "save") from e
        self._marks, self._seq = marks, self._seq + 1
        self._saved(self.document)

    def finish(self, state: State) -> None:
        """At a clean exit: fold the journal into the snapshot, so the state file alone holds everything."""
        if self._journal_size:
            self.compact(state)

    def compact(self, state: State) -> None:
        """Write ``state`` whole as the new snapshot, then drop the journal."""
        if self._version != STATE_SCHEMA_VERSION and self.exists():
            self._back_up_old_version()
        journal_id = os.urandom(8).hex()
        data = state_to_json(state, journal_id=journal_id)
        replacing = self._journal_size > 0  # the fail points are for a compaction of records, not of a first save
        self.write_snapshot(data, before_rename=lambda: crash_point("compaction_before_rename") if replacing else None)
        if replacing:
            crash_point("compaction_after_rename")
        try:
            self.journal_file().unlink(missing_ok=True)
        except OSError:
            pass  # its records name the old snapshot: skipped at load, and the next compaction tries again
        self._journal_id, self._seq, self._version, self._marks = journal_id, 0, STATE_SCHEMA_VERSION, marks_of(state)
        self._snapshot_size, self._journal_size = len(data), 0
        self._saved(self.document)

    def _compaction_due(self) -> bool:
        return self._snapshot_size < SMALL_SNAPSHOT or self._journal_size > self._snapshot_size

    def _back_up_old_version(self) -> None:
        """Keep the file as an older release wrote it (``<name>.v<version>.bak``) before it is rewritten in the current version."""
        try:
            original = self.path.read_bytes()
            backup = self.path.with_name(f"{self.path.name}.v{self._version}.bak")
            number = 1
            while backup.exists() and backup.read_bytes() != original:
                number += 1
                backup = self.path.with_name(f"{self.path.name}.v{self._version}.{number}.bak")
            if not backup.exists():
                write_atomically(original, backup.resolve())
        except OSError as e:
            raise state_file_error(e, self.path, "save") from e
        logger.warning(
            "State file %s was written by an older release (state schema version %d); it is now version %d. The old file is kept as %s.",
            self.path, self._version, STATE_SCHEMA_VERSION, backup,
        )
