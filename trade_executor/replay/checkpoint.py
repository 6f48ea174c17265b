"""Replay checkpoints: the chain and the live state saved together, so a killed replay resumes.

A checkpoint is a folder holding the anvil state dump, a copy of the live state file, the
exchanges' addresses (v2, v3 or both) and the next cycle to run. It is written in full, then a ``latest``
pointer is replaced atomically: a kill at any moment leaves the previous checkpoint usable,
and the chain and the live state in it always belong together.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path

from trade_executor.replay.venues import ReplayDeployment


def _write_atomically(path: Path, data: bytes) -> None:
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    with os.fdopen(fd, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(temporary, path)


class Checkpoints:
    def __init__(self, folder: Path, identity: dict):
        self.folder = folder
        self.identity = identity  # strategy file, start, end: a checkpoint of another replay is never used

    def clear(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)

    def save(self, next_cycle: int, chain_dump: str, live_state: Path, deployment: ReplayDeployment) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        target = self.folder / f"cycle-{next_cycle:07d}"
        shutil.rmtree(target, ignore_errors=True)
        target.mkdir()
        (target / "chain.hex").write_text(chain_dump)
        shutil.copyfile(live_state, target / "live-state.json")
        (target / "deployment.json").write_text(json.dumps(deployment.as_dict()))
        (target / "progress.json").write_text(json.dumps({"next_cycle": next_cycle, **self.identity}))
        _write_atomically(self.folder / "latest", target.name.encode())
        for old in self.folder.glob("cycle-*"):
            if old.name != target.name:
                shutil.rmtree(old, ignore_errors=True)

    def load(self) -> tuple[int, str, Path, ReplayDeployment] | None:
        pointer = self.folder / "latest"
        if not pointer.exists():
            return None
        target = self.folder / pointer.read_text().strip()
        progress = json.loads((target / "progress.json").read_text())
        if {k: progress.get(k) for k in self.identity} != self.identity:
            return None
        deployment = ReplayDeployment.from_dict(json.loads((target / "deployment.json").read_text()))
        return progress["next_cycle"], (target / "chain.hex").read_text(), target / "live-state.json", deployment
