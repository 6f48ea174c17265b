"""One writer per state file: an exclusive OS lock beside it, ``<state file>.lock``.

Two processes writing one state file lose trades: each saves its own view and the last save
wins. So every command that can write a state file takes this lock (``flock``, exclusive, not
waiting) before it reads the state, and holds it until it ends. The kernel releases the lock when
the process dies, however it dies: a SIGKILL never leaves a stale lock (only the file, which the
next holder takes over). A holder deletes the file when it is done, while still holding it; so a
taker checks, once locked, that the path still names the file it locked, and else tries again.
The lock is taken on the resolved path, so another spelling of the path, or a symlink to the
file, meets the same lock. Readers (show-positions, report, a webhook) never take it.
"""

from __future__ import annotations

import datetime
import errno
import fcntl
import json
import logging
import os
import tempfile
import time
from pathlib import Path

from trade_executor.errors import StateFileLocked
from trade_executor.state.file_errors import state_file_error
from trade_executor.state.store import remove_leftover_temporaries

logger = logging.getLogger(__name__)

READ_ONLY_COMMANDS = "show-positions, report"
_HOLDER_WAIT_SECONDS = 0.5  # a holder writes its PID just after it takes the lock

_held: dict[Path, StateFileLock] = {}


class StateFileLock:
    """The held lock; ``release()`` (or leaving a ``with`` block) lets the next writer in."""

    def __init__(self, path: Path, lock_path: Path, fd: int):
        self.path = path
        self.lock_path = lock_path
        self._fd = fd
        self._users = 1

    def release(self) -> None:
        self._users -= 1
        if self._users > 0 or self._fd < 0:
            return
        _held.pop(self.lock_path, None)
        try:
            if _same_file(self._fd, self.lock_path):
                self.lock_path.unlink()  # still held: no one can have locked this file meanwhile
        except OSError:
            pass  # a read-only folder: the file stays, harmless
        os.close(self._fd)  # closing the descriptor releases the flock
        self._fd = -1

    def __enter__(self) -> StateFileLock:
        return self

    def __exit__(self, *exc) -> None:
        self.release()


def lock_state_file(path: Path | str, command: str) -> StateFileLock:
    """Take the writer lock of the state file ``path`` for ``command`` (e.g. "trade-executor start").

    Raises StateFileLocked (exit 2) naming the holder when another process has it, and a
    StateError naming the path and the fix when the folder cannot hold a state file (read-only,
    full, a directory at the path). Taking a lock this process already holds returns it again
    (release it once more). Once held, temporary files of killed saves are removed.
    """
    path = Path(path)
    target = path.resolve()
    lock_path = target.with_name(target.name + ".lock")
    held = _held.get(lock_path)
    if held is not None:
        held._users += 1
        return held
    if target.is_dir():
        raise state_file_error(IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR)), path, "lock")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd = _open_locked(path, lock_path)
    except OSError as e:
        raise state_file_error(e, path, "lock") from e
    lock = StateFileLock(path, lock_path, fd)
    try:
        _record_holder(fd, command)
        _check_writable(target)
        removed = remove_leftover_temporaries(target)
    except OSError as e:
        lock.release()
        raise state_file_error(e, path, "lock") from e
    except BaseException:
        lock.release()
        raise
    _held[lock_path] = lock
    if removed:
        logger.warning("Removed %d temporary file(s) of saves killed half-way beside %s: %s", len(removed), path, ", ".join(p.name for p in removed))
    return lock


def raise_if_locked(path: Path | str) -> None:
    """Raise StateFileLocked when another process holds the lock of ``path``; creates nothing.

    For a command that writes only at its end (a backtest): it is told at once, before it runs.
    """
    path = Path(path)
    lock_path = path.resolve().with_name(path.resolve().name + ".lock")
    if lock_path in _held:
        return
    try:
        fd = os.open(lock_path, os.O_RDONLY | os.O_CLOEXEC)
    except OSError:
        return  # no lock file: no holder (taking the lock later says why if the folder is unusable)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        raise _in_use(path, lock_path) from None
    except OSError:
        pass  # no locks on this file system: taking the lock says so
    finally:
        os.close(fd)


def _open_locked(path: Path, lock_path: Path) -> int:
    """Open (or create) the lock file and flock it, until the file locked is the one the path names."""
    while True:
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise _in_use(path, lock_path) from None
        except BaseException:
            os.close(fd)
            raise
        if _same_file(fd, lock_path):
            return fd
        os.close(fd)  # its holder deleted it as we opened it: the path names a new file now


def _same_file(fd: int, path: Path) -> bool:
    try:
        here, there = os.fstat(fd), os.stat(path)
    except FileNotFoundError:
        return False
    return (here.st_dev, here.st_ino) == (there.st_dev, there.st_ino)


def _record_holder(fd: int, command: str) -> None:
    record = {"pid": os.getpid(), "command": command, "since": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")}
    os.ftruncate(fd, 0)
    os.pwrite(fd, json.dumps(record).encode(), 0)


def _check_writable(target: Path) -> None:
    """Create and delete a file beside the state file: a folder a save cannot write in fails now, before anything trades."""
    fd, probe = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    os.unlink(probe)


def _in_use(path: Path, lock_path: Path) -> StateFileLocked:
    holder = _read_holder(lock_path)
    pid, command = holder.get("pid"), holder.get("command")
    who = f"{command or 'another process'} (PID {pid})" if pid else "another process"
    return StateFileLocked(
        f"State file {path} is in use by {who}; a second writer would lose trades. "
        f"Stop that process first, or use read-only commands ({READ_ONLY_COMMANDS}).",
        path=str(path), pid=pid, command=command,
    )


def _read_holder(lock_path: Path) -> dict:
    deadline = time.monotonic() + _HOLDER_WAIT_SECONDS
    while True:
        try:
            record = json.loads(lock_path.read_bytes() or b"null")
        except (OSError, ValueError):
            record = None
        if isinstance(record, dict) or time.monotonic() > deadline:
            return record if isinstance(record, dict) else {}
        time.sleep(0.02)
