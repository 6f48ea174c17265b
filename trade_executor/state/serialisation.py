"""State <-> JSON. Decimals travel as strings, so a round trip is exact; the encoding itself is in encoding.py."""

from __future__ import annotations

import msgspec

from trade_executor.errors import StateError
from trade_executor.state.encoding import decode_state, encode_state
from trade_executor.state.state import STATE_SCHEMA_VERSION, State
from trade_executor.state.validation import first_missing_field

READABLE_VERSIONS = (1, STATE_SCHEMA_VERSION)  # version 1 is migrated: it loads as the current version


def state_to_json(state: State, *, journal_id: str = "") -> bytes:
    return encode_state(state, journal_id)


def state_from_json(data: bytes, *, source: str = "state") -> State:
    """Parse a state; every failure is a StateError that names ``source``, the first bad field and what to do."""
    return snapshot_from_json(data, source=source)[0]


def snapshot_from_json(data: bytes, *, source: str = "state") -> tuple[State, str, int]:
    """The state, the journal id and the schema version of a state document (see state_from_json).

    The document is checked whole before it is decoded: a field missing from it is an error,
    never a default (see validation.py).
    """
    if not data.strip():
        raise StateError(f"{source} is empty (a truncated write?). {_NOT_MODIFIED}")
    try:
        document = msgspec.json.decode(data)
    except msgspec.DecodeError as e:
        raise StateError(f"{source} is not valid state JSON ({e}). {_NOT_MODIFIED}") from e
    version = document.get("schema_version") if isinstance(document, dict) else None
    if version is None:
        raise StateError(f"{source} is JSON but not a trade-executor state (it has no schema_version). It was not modified. Check the path, or move the file aside to start a new state.")
    if version not in READABLE_VERSIONS:
        raise StateError(
            f"{source} has state schema version {version}; this trade-executor reads version {STATE_SCHEMA_VERSION} (and migrates version 1). "
            "It was not modified. Use the trade-executor release that wrote it, or a newer one."
        )
    missing = first_missing_field(document, State)
    if missing is not None:
        field, where = missing
        place = f"in `{where}`" if where else "at the top level"
        raise StateError(f"{source} is missing `{field}` ({place}): it is incomplete, not a new state. {_NOT_MODIFIED}")
    try:
        state, journal_id = decode_state(data, version)
    except (msgspec.DecodeError, msgspec.ValidationError) as e:
        raise StateError(f"{source} does not match the state schema: {_plain_path(e)}. {_NOT_MODIFIED}") from e
    except (ValueError, IndexError, TypeError) as e:  # a column of statistics or plots that does not add up (columns.py)
        raise StateError(f"{source} has a time series that cannot be read ({e}). {_NOT_MODIFIED}") from e
    return state, journal_id, version


_NOT_MODIFIED = "It was not modified. Restore it from a backup; move it aside only to start a new, empty state."


def _plain_path(error: Exception) -> str:
    """msgspec's ``Expected `int`, got `str` - at `$.portfolio.next_trade_id``` without the ``$.``."""
    return str(error).replace("`$.", "`").replace("`$`", "the top level")
