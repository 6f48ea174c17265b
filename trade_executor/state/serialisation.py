"""State <-> JSON. Decimals travel as strings, so a round trip is exact."""

from __future__ import annotations

import msgspec

from trade_executor.errors import StateError
from trade_executor.state.state import STATE_SCHEMA_VERSION, State

_encoder = msgspec.json.Encoder(decimal_format="string")
_decoder = msgspec.json.Decoder(State)


def state_to_json(state: State) -> bytes:
    return _encoder.encode(state)


def state_from_json(data: bytes, *, source: str = "state") -> State:
    """Parse a state; every failure is a StateError that names ``source`` and what to do."""
    if not data.strip():
        raise StateError(f"{source} is empty (a truncated write?). It was not modified. Restore it from a backup, or move it aside to start a new state.")
    try:
        version = msgspec.json.decode(data, type=_VersionOnly).schema_version
    except (msgspec.DecodeError, msgspec.ValidationError) as e:
        raise StateError(f"{source} is not valid state JSON ({e}). It was not modified. Restore it from a backup, or move it aside to start a new state.") from e
    if version is None:
        raise StateError(f"{source} is JSON but not a trade-executor state (it has no schema_version). It was not modified. Check the path, or move the file aside to start a new state.")
    if version != STATE_SCHEMA_VERSION:
        raise StateError(f"{source} has state schema version {version}; this trade-executor reads version {STATE_SCHEMA_VERSION}. Use the trade-executor release that wrote it.")
    try:
        return _decoder.decode(data)
    except (msgspec.DecodeError, msgspec.ValidationError) as e:
        raise StateError(f"{source} does not match the state schema: {e}. It was not modified. Restore it from a backup, or move it aside to start a new state.") from e


class _VersionOnly(msgspec.Struct):
    schema_version: int | None = None
