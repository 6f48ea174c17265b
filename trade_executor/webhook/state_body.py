"""/state's body built from what changed: the closed positions' encoding, masked and compressed once, is kept between saves.

The document is ``head + closed positions + tail`` (encoding.py's encode_around_closed). The head and
tail (top-level fields, open and frozen positions, reserves, statistics...) are encoded, masked and
compressed at every save; the closed positions, which the trader never changes, are kept as
segments of at most SEGMENT_SIZE bytes, each masked and raw-deflated once (ended with a sync flush,
so the compressed segments concatenate into one deflate stream). A new closed position goes into
the last segment while it is small (recompressing at most SEGMENT_SIZE bytes) or starts a new one.
The gzip answer is one ordinary gzip member: a header, the head's deflate, the segments' cached
deflate, the tail's final block, and the CRC-32 of it all, combined from the parts' CRCs
(gzip_parts.py). So a request after a save costs what changed, whatever the history.

Secrets are masked in each part (a secret never spans the boundary between two closed positions'
items, ``},"<id>":{``); a newly registered secret makes everything masked again.
"""

from __future__ import annotations

import threading
import zlib
from dataclasses import dataclass, field
from pathlib import Path

from trade_executor.secrets import mask_bytes, secrets_generation
from trade_executor.state.encoding import encode_around_closed, encode_items
from trade_executor.state.follower import StateFollower
from trade_executor.webhook.gzip_parts import Deflated, crc32_combine, deflated, gzip_member

SEGMENT_SIZE = 256 * 1024


@dataclass(frozen=True)
class Body:
    """One save's /state answer: the masked document's parts and their gzip member."""

    parts: tuple[bytes, ...]
    gzipped: bytes

    def plain(self) -> bytes:
        return b"".join(self.parts)


@dataclass
class BodyCounters:
    """The work of the builds, for tests that check it does not grow with history."""

    builds: int = 0
    bytes_encoded: int = 0  # JSON bytes encoded (head, tail, closed positions)
    bytes_compressed: int = 0


@dataclass
class _Segment:
    raw: bytes  # masked JSON: closed positions' items, with the comma before them but in the first segment
    deflated: Deflated


@dataclass
class _Closed:
    """The closed positions' segments, and the CRC and length of all but the last, to combine with it."""

    segments: list[_Segment] = field(default_factory=list)
    crc_before_last: int = 0
    length_before_last: int = 0

    def add(self, items: bytes, counters: BodyCounters) -> None:
        last = self.segments[-1] if self.segments else None
        if last is not None and len(last.raw) < SEGMENT_SIZE:
            self.segments.pop()
            raw = last.raw + b"," + items
        else:
            if last is not None:
                self.crc_before_last = crc32_combine(self.crc_before_last, last.deflated.crc, len(last.raw))
                self.length_before_last += len(last.raw)
            raw = (b"," if self.segments else b"") + items
        counters.bytes_compressed += len(raw)
        self.segments.append(_Segment(raw, deflated(raw)))

    @property
    def crc(self) -> int:
        if not self.segments:
            return 0
        last = self.segments[-1]
        return crc32_combine(self.crc_before_last, last.deflated.crc, len(last.raw))

    @property
    def length(self) -> int:
        return self.length_before_last + (len(self.segments[-1].raw) if self.segments else 0)


class StateBody:
    """Builds /state's body for one state file, following its files (state/follower.py)."""

    def __init__(self, path: Path | str):
        self.path = Path(path)
        self.follower = StateFollower(path)
        self.counters = BodyCounters()
        self._lock = threading.Lock()
        self._closed = _Closed()
        self._generation: int | None = None

    def build(self) -> Body:
        """The state as the files hold it now, masked, as parts and gzip-compressed."""
        with self._lock:
            generation = secrets_generation()
            if generation != self._generation:
                self.follower = StateFollower(self.path)  # everything masked again
                self._generation = generation
            followed = self.follower.update()
            if followed.reset:
                self._closed = _Closed()
            self._add_closed(followed.closed)
            head, tail = encode_around_closed(followed.state)
            head, tail = mask_bytes(head), mask_bytes(tail)
            self.counters.builds += 1
            self.counters.bytes_encoded += len(head) + len(tail)
            self.counters.bytes_compressed += len(head) + len(tail)
            crc = zlib.crc32(tail, crc32_combine(zlib.crc32(head), self._closed.crc, self._closed.length))
            length = len(head) + self._closed.length + len(tail)
            segments = self._closed.segments
            gzipped = gzip_member([deflated(head).data, *(s.deflated.data for s in segments)], tail, crc, length)
            return Body((head, *(s.raw for s in segments), tail), gzipped)

    def _add_closed(self, closed: dict) -> None:
        batch: dict = {}
        size = 0
        for key, position in closed.items():
            item = encode_items({key: position})
            self.counters.bytes_encoded += len(item)
            batch[key] = item
            size += len(item)
            if size >= SEGMENT_SIZE:
                self._closed.add(mask_bytes(b",".join(batch.values())), self.counters)
                batch, size = {}, 0
        if batch:
            self._closed.add(mask_bytes(b",".join(batch.values())), self.counters)
