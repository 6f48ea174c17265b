"""One line for an operating-system error on one of our files: what happened, to which path, and the fix.

A full disk, a read-only volume or a process out of file descriptors is the machine's fault, not
the file's: the operator fixes the machine and starts again. Used for the state file and the
chain-data cache; ``setting`` names the option that points at the file (STATE_FILE, CACHE_PATH).
"""

from __future__ import annotations

import errno
from pathlib import Path

# errno -> (what happened, the fix); {path} is the file, {folder} its folder, {setting} the option naming it ({flag} its flag).
_EXPLANATIONS = {
    errno.ENOSPC: ("the disk is full", "free space on the disk that holds {folder}, then start again"),
    errno.EDQUOT: ("the disk quota is used up", "free space or raise the quota for {folder}, then start again"),
    errno.EFBIG: ("the file would exceed this process's file size limit", "raise the limit (`ulimit -f unlimited`, or the service's LimitFSIZE), then start again"),
    errno.EMFILE: (
        "this process is out of file descriptors",
        "raise the limit (`ulimit -n`, Docker's `--ulimit nofile=`), and look for what holds them (many open connections?), then start again",
    ),
    errno.ENFILE: ("the system is out of file descriptors", "close what holds them or raise fs.file-max, then start again"),
    errno.EROFS: ("{folder} is on a read-only file system", "mount it read-write (a Docker volume without :ro), or point {setting} at a writable folder"),
    errno.EACCES: ("this user may not write in {folder}", "make {folder} writable for the user running trade-executor, or point {setting} at a writable folder"),
    errno.EPERM: ("this user may not write in {folder}", "make {folder} writable for the user running trade-executor, or point {setting} at a writable folder"),
    errno.EISDIR: ("{path} is a directory", "point {setting}{flag} at a file inside it, e.g. {path}/<strategy-id>.json"),
    errno.ENOTDIR: ("a part of the path {path} is a file, not a folder", "point {setting} at a path inside a folder"),
    errno.ENAMETOOLONG: ("the path is too long", "use a shorter {setting} path"),
}


def explain_os_error(error: OSError, path: Path, *, setting: str, flag: str = "") -> tuple[str, str]:
    """(what happened, the fix) for ``error`` on ``path``; ``flag`` e.g. " (or --state-file)"."""
    folder = path.parent if str(path.parent) else Path(".")
    what, fix = _EXPLANATIONS.get(error.errno, ("the operating system refused", "fix the cause above, then start again"))
    names = {"path": path, "folder": folder, "setting": setting, "flag": flag}
    return what.format(**names), fix.format(**names)
