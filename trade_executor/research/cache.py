"""Finished results on disk, so a rerun is instant and an interrupted search keeps what it did.

One small JSON file per result, written atomically the moment the result arrives. The key is a
hash of everything the result depends on: the strategy's source bytes, the combination, the
backtest window, a fingerprint of the data, and the trade-executor version. Change any of them
and the old file is simply not found; nothing is ever overwritten with a different meaning.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Callable
from functools import cache
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from trade_executor.research.evaluate import Job, Result

CACHE_FORMAT = 1

DataFingerprint = Callable[[str | None, str | None], str]


@cache
def _package_version() -> str:
    try:
        return version("trade-executor")
    except PackageNotFoundError:
        return "unknown"


def canonical_value(value: object) -> list[str]:
    """A value as [type, repr]: 24, 24.0 and True are different combinations."""
    return [type(value).__name__, repr(value)]


def result_key(strategy_source: bytes, job: Job, data_fingerprint: str) -> str:
    identity = {
        "format": CACHE_FORMAT,
        "trade_executor": _package_version(),
        "strategy": hashlib.sha256(strategy_source).hexdigest(),
        "parameters": [[name, *canonical_value(value)] for name, value in job.parameters],
        "start": job.start,
        "end": job.end,
        "data": data_fingerprint,
    }
    return hashlib.sha256(json.dumps(identity, sort_keys=True).encode()).hexdigest()


class ResultCache:
    """``folder/<key>.json`` per result of one strategy."""

    def __init__(self, folder: Path, strategy_source: bytes, data_fingerprint: DataFingerprint):
        self.folder = Path(folder)
        self.strategy_source = strategy_source
        self._data_fingerprint = data_fingerprint
        self._fingerprints: dict[tuple[str | None, str | None], str] = {}

    def key(self, job: Job) -> str:
        window = (job.start, job.end)
        if window not in self._fingerprints:
            self._fingerprints[window] = self._data_fingerprint(*window)
        return result_key(self.strategy_source, job, self._fingerprints[window])

    def path(self, job: Job) -> Path:
        return self.folder / f"{self.key(job)}.json"

    def get(self, job: Job) -> Result | None:
        """The stored result, or None when absent or unreadable (then it simply runs again)."""
        try:
            stored = json.loads(self.path(job).read_text(encoding="utf-8"))
            return Result(job, {name: float(value) for name, value in stored["metrics"].items()}, float(stored["seconds"]))
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def put(self, result: Result) -> Path:
        target = self.path(result.job)
        target.parent.mkdir(parents=True, exist_ok=True)
        document = {
            "parameters": {name: repr(value) for name, value in result.job.parameters},
            "start": result.job.start,
            "end": result.job.end,
            "metrics": result.metrics,
            "seconds": result.seconds,
        }
        handle, temporary = tempfile.mkstemp(prefix=f".{target.stem[:16]}-", suffix=".tmp", dir=target.parent)
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as file:
                json.dump(document, file, indent=1)  # nan and inf as NaN / Infinity, which json reads back
                file.flush()
                os.fsync(file.fileno())
            os.replace(temporary, target)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        return target
