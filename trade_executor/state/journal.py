"""The journal beside a state file: one framed record per save, appended and fsync'd.

``<state file>.journal`` holds what changed since the snapshot (the state file itself), so a
save costs what changed, not the whole history. Each record is one line::

    <length> <crc32 as 8 hex digits> <JSON payload>\\n

The JSON holds no raw newline, so a kill in the middle of an append leaves a last line that is
short, lacks its newline or fails its checksum: a torn record, which loading ignores (the save it
belonged to never returned, so nothing was built on it). A bad record with good ones after it is
not a torn write but damage, and is an error that names the offset; the files are not modified.
"""

from __future__ import annotations

import os
import zlib
from dataclasses import dataclass
from pathlib import Path

from trade_executor.atomic_files import fsync_folder
from trade_executor.errors import StateError

SUFFIX = ".journal"


def journal_path(state_file: Path) -> Path:
    return state_file.with_name(state_file.name + SUFFIX)


def frame(payload: bytes) -> bytes:
    return b"%d %08x " % (len(payload), zlib.crc32(payload)) + payload + b"\n"


@dataclass(frozen=True)
class JournalContents:
    records: list[bytes]
    size: int  # bytes of whole records; a torn record after them is not counted
    torn: bool  # the last record was cut short by a kill


def _record_at(data: bytes, at: int) -> tuple[bytes, int] | None:
    """The payload of the record at offset ``at`` and the offset after it; None if it is not a whole, intact record."""
    first = data.find(b" ", at, at + 21)
    second = data.find(b" ", first + 1, first + 10) if first > at else -1
    if second != first + 9 or not data[at:first].isdigit():
        return None
    start = second + 1
    end = start + int(data[at:first])
    if data[end : end + 1] != b"\n":
        return None
    payload = data[start:end]
    try:
        crc = int(data[first + 1 : second], 16)
    except ValueError:
        return None
    return (payload, end + 1) if zlib.crc32(payload) == crc else None


def read_journal(path: Path, state_file: Path) -> JournalContents:
    """Every whole record of the journal at ``path`` (none when there is no journal)."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return JournalContents([], 0, False)
    return parse_records(data, path, state_file)


def parse_records(data: bytes, path: Path, state_file: Path, base: int = 0) -> JournalContents:
    """The whole records in ``data``, the journal's bytes from offset ``base`` (a reader following it reads only what was appended)."""
    records, at = [], 0
    while at < len(data):
        found = _record_at(data, at)
        if found is None:
            if b"\n" in data[at:-1]:  # more records follow: damage, not a torn append
                raise StateError(
                    f"The journal {path} of state file {state_file} is damaged at byte {base + at} (a record with good ones after it fails its check). "
                    "Neither file was modified. Restore both from a backup (or `trade-executor export-state` output)."
                )
            return JournalContents(records, at, True)
        payload, at = found
        records.append(payload)
    return JournalContents(records, at, False)


def append_record(path: Path, payload: bytes) -> int:
    """Append one record and fsync it; return the journal's new size.

    A write that fails part way is cut off again (a new journal is removed), so the journal ends
    with a whole record, as before the call, and the OSError goes to the caller.
    """
    data = frame(payload)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    size = os.fstat(fd).st_size
    try:
        written = 0
        while written < len(data):
            written += os.write(fd, data[written:])
        os.fdatasync(fd)
        if size == 0:
            fsync_folder(path.parent)  # the new file's name must survive a power cut too
    except BaseException:
        _cut_back(fd, path, size)
        raise
    finally:
        os.close(fd)
    return size + len(data)


def _cut_back(fd: int, path: Path, size: int) -> None:
    try:
        if size == 0:
            path.unlink(missing_ok=True)
        else:
            os.ftruncate(fd, size)
    except OSError:
        pass  # the caller reports the first error; a torn tail left here is ignored at load
