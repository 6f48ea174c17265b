"""The state file on disk: atomic saves, and loads that never destroy what they cannot read."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from trade_executor.errors import StateError
from trade_executor.state.file_errors import state_file_error
from trade_executor.state.serialisation import state_from_json, state_to_json
from trade_executor.state.state import State

STATE_FOLDER = Path("state")


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


class JSONFileStore:
    def __init__(self, path: Path | str, on_saved=None):
        """``on_saved(data)`` receives the exact bytes of each successful save (the webhook serves them)."""
        self.path = Path(path)
        self.on_saved = on_saved

    def exists(self) -> bool:
        return self.path.exists()

    def load(self) -> State:
        try:
            data = self.path.read_bytes()
        except FileNotFoundError:
            raise StateError(f"State file {self.path} does not exist.") from None
        except OSError as e:
            raise state_file_error(e, self.path, "read") from e
        return state_from_json(data, source=f"State file {self.path}")

    def save(self, state: State) -> None:
        """Write to a temporary file beside the target, fsync, then rename over it.

        A crash at any point leaves either the old file or the new one, never half of one. A
        symlinked state file stays a link: the file it points to is the one replaced. A full disk,
        a read-only folder or no file descriptor left is a StateError naming the path and the fix.
        """
        data = state_to_json(state)
        try:
            self._write(data, self.path.resolve())
        except OSError as e:
            raise state_file_error(e, self.path, "save") from e
        if self.on_saved is not None:
            self.on_saved(data)

    @staticmethod
    def _write(data: bytes, target: Path) -> None:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp_name, target)
        except BaseException:
            Path(tmp_name).unlink(missing_ok=True)
            raise
        dir_fd = os.open(target.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)

    def __repr__(self) -> str:
        return f"<JSONFileStore {self.path}>"
