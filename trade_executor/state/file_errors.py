"""Turn an operating-system error on a state file into one line that names the path and the fix.

A full disk, a read-only volume or a process out of file descriptors is the machine's fault, not
the state's: the operator fixes the machine and starts again. Saves are atomic, so whatever went
wrong, the state file on disk is the last one saved.
"""

from __future__ import annotations

import errno
from pathlib import Path

from trade_executor.errors import StateError

# What is true of the state file after each action failed.
_AFTER = {"save": " The state file was not modified (the last save is intact).", "lock": " Nothing was written.", "read": ""}

# errno -> (what happened, the fix); {path} is the state file, {folder} its folder.
_EXPLANATIONS = {
    errno.ENOSPC: ("the disk is full", "free space on the disk that holds {folder}, then start again"),
    errno.EDQUOT: ("the disk quota is used up", "free space or raise the quota for {folder}, then start again"),
    errno.EFBIG: ("the file would exceed this process's file size limit", "raise the limit (`ulimit -f unlimited`, or the service's LimitFSIZE), then start again"),
    errno.EMFILE: (
        "this process is out of file descriptors",
        "raise the limit (`ulimit -n`, Docker's `--ulimit nofile=`), and look for what holds them (many open connections?), then start again",
    ),
    errno.ENFILE: ("the system is out of file descriptors", "close what holds them or raise fs.file-max, then start again"),
    errno.EROFS: ("{folder} is on a read-only file system", "mount it read-write (a Docker volume without :ro), or point STATE_FILE at a writable folder"),
    errno.EACCES: ("this user may not write in {folder}", "make {folder} writable for the user running trade-executor, or point STATE_FILE at a writable folder"),
    errno.EPERM: ("this user may not write in {folder}", "make {folder} writable for the user running trade-executor, or point STATE_FILE at a writable folder"),
    errno.EISDIR: ("{path} is a directory", "point STATE_FILE (or --state-file) at a file inside it, e.g. {path}/<strategy-id>.json"),
    errno.ENOTDIR: ("a part of the path {path} is a file, not a folder", "point STATE_FILE (or --state-file) at a path inside a folder"),
    errno.ENAMETOOLONG: ("the path is too long", "use a shorter STATE_FILE path"),
}


def state_file_error(error: OSError, path: Path, action: str) -> StateError:
    """A StateError for ``error`` raised while trying to ``action`` ("save", "read", "lock") the state file ``path``."""
    folder = path.parent if str(path.parent) else Path(".")
    what, fix = _EXPLANATIONS.get(error.errno, ("the operating system refused", "fix the cause above, then start again"))
    what, fix = what.format(path=path, folder=folder), fix.format(path=path, folder=folder)
    reason = error.strerror or type(error).__name__
    return StateError(f"Cannot {action} state file {path}: {what} ({reason}).{_AFTER.get(action, '')} Fix: {fix}.")
