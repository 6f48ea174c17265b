"""Write a file so that it is whole or absent after any crash: the state, its backups, the chain-data cache.

Temporary file in the same folder, fsync, rename over the target, fsync the folder (the new name
must survive a power cut too). A failure removes the temporary file and raises as it came.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path


def write_atomically(data: bytes, target: Path, before_rename: Callable[[], None] | None = None) -> None:
    """``before_rename`` runs between the fsync and the rename (a crash point in tests)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        if before_rename is not None:
            before_rename()
        os.replace(tmp_name, target)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
    fsync_folder(target.parent)


def fsync_folder(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
