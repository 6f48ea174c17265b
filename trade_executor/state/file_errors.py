"""Turn an operating-system error on a state file into one line that names the path and the fix.

A full disk, a read-only volume or a process out of file descriptors is the machine's fault, not
the state's: the operator fixes the machine and starts again. Saves are atomic, so whatever went
wrong, the state file on disk is the last one saved.
"""

from __future__ import annotations

from pathlib import Path

from trade_executor.errors import StateError
from trade_executor.file_errors import explain_os_error

# What is true of the state file after each action failed.
_AFTER = {"save": " The state file was not modified (the last save is intact).", "lock": " Nothing was written.", "read": ""}


def state_file_error(error: OSError, path: Path, action: str) -> StateError:
    """A StateError for ``error`` raised while trying to ``action`` ("save", "read", "lock") the state file ``path``."""
    what, fix = explain_os_error(error, path, setting="STATE_FILE", flag=" (or --state-file)")
    reason = error.strerror or type(error).__name__
    return StateError(f"Cannot {action} state file {path}: {what} ({reason}).{_AFTER.get(action, '')} Fix: {fix}.")
