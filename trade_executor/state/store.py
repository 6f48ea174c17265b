"""The state file on disk: atomic saves, and loads that never destroy what they cannot read."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from trade_executor.errors import StateError
from trade_executor.state.serialisation import state_from_json, state_to_json
from trade_executor.state.state import State


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
        return state_from_json(data, source=f"State file {self.path}")

    def save(self, state: State) -> None:
        """Write to a temporary file beside the target, fsync, then rename over it.

        A crash at any point leaves either the old file or the new one, never half of one.
        """
        self.path.parent.mkdir(parents=True, exist_ok=True)
        data = state_to_json(state)
        fd, tmp_name = tempfile.mkstemp(prefix=f".{self.path.name}.", suffix=".tmp", dir=self.path.parent)
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp_name, self.path)
        except BaseException:
            Path(tmp_name).unlink(missing_ok=True)
            raise
        dir_fd = os.open(self.path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
        if self.on_saved is not None:
            self.on_saved(data)

    def __repr__(self) -> str:
        return f"<JSONFileStore {self.path}>"
