"""The state document's two versions: 1 wrote State as msgspec encodes it; 2 stores its time series by column.

Version 2 is version 1 but for statistics and plots, whose lists of timestamps and numbers are
written as runs (columns.py), and ``journal_id``: which snapshot the journal's records extend
(journal.py; empty when no journal does). The stored classes are derived from the state
classes field by field, so a field added to State, Statistics or Plot is stored without a change
here. Decimals travel as strings, so a round trip is exact.
"""

from __future__ import annotations

import dataclasses
import datetime
import os
import typing

import msgspec

from trade_executor.state.columns import NumberColumn, TimeColumn, decode_numbers, decode_times, encode_numbers, encode_times
from trade_executor.state.state import STATE_SCHEMA_VERSION, State
from trade_executor.state.statistics import Statistics
from trade_executor.state.visualisation import Plot, Visualisation

encoder = msgspec.json.Encoder(decimal_format="string")


def derive(cls: type, name: str, replaced: dict[str, object], extra: tuple = ()) -> type:
    """A dataclass with ``cls``'s fields, defaults and order, but the types in ``replaced`` (and ``extra`` fields at the end)."""
    hints = typing.get_type_hints(cls)
    spec = []
    for f in dataclasses.fields(cls):
        kind = replaced.get(f.name, hints[f.name])
        if f.default is not dataclasses.MISSING:
            default = dataclasses.field(default=f.default)
        elif f.default_factory is not dataclasses.MISSING:
            default = dataclasses.field(default_factory=typing.get_origin(kind) or kind if f.name in replaced else f.default_factory)
        else:
            default = dataclasses.field()
        spec.append((f.name, kind, default))
    return dataclasses.make_dataclass(name, spec + list(extra), slots=True)


class Columnar:
    """``cls`` with its lists of timestamps, floats and ints stored as columns, and the conversions both ways."""

    def __init__(self, cls: type):
        self.cls = cls
        self.kinds: dict[str, type] = {}
        for name, hint in typing.get_type_hints(cls).items():
            item = typing.get_args(hint)[0] if typing.get_origin(hint) is list else None
            if item in (datetime.datetime, float, int):
                self.kinds[name] = item
        columns = {name: TimeColumn if kind is datetime.datetime else NumberColumn for name, kind in self.kinds.items()}
        self.stored = derive(cls, f"Stored{cls.__name__}", columns)

    def to_stored(self, value):
        return self.stored(**{f.name: self._encode(f.name, getattr(value, f.name)) for f in dataclasses.fields(self.cls)})

    def from_stored(self, stored):
        return self.cls(**{f.name: self._decode(f.name, getattr(stored, f.name)) for f in dataclasses.fields(self.cls)})

    def _encode(self, name: str, value):
        kind = self.kinds.get(name)
        if kind is None:
            return value
        return encode_times(value) if kind is datetime.datetime else encode_numbers(value, kind)

    def _decode(self, name: str, value):
        kind = self.kinds.get(name)
        if kind is None:
            return value
        return decode_times(value) if kind is datetime.datetime else decode_numbers(value, kind)


STATISTICS = Columnar(Statistics)
PLOT = Columnar(Plot)
StoredVisualisation = derive(Visualisation, "StoredVisualisation", {"plots": dict[str, PLOT.stored]})
StoredState = derive(State, "StoredState", {"stats": STATISTICS.stored, "visualisation": StoredVisualisation}, (("journal_id", str, dataclasses.field(default="")),))
_STATE_FIELDS = tuple(f.name for f in dataclasses.fields(State))
_v1_decoder = msgspec.json.Decoder(State)
_v2_decoder = msgspec.json.Decoder(StoredState)


def stored_visualisation(visualisation: Visualisation):
    return StoredVisualisation(visualisation.messages, {name: PLOT.to_stored(plot) for name, plot in visualisation.plots.items()})


def visualisation_of(stored) -> Visualisation:
    return Visualisation(stored.messages, {name: PLOT.from_stored(plot) for name, plot in stored.plots.items()})


def stored_state(state: State, journal_id: str = ""):
    """The version 2 document of ``state`` as an object (shallow: it shares everything but the columns with ``state``)."""
    values = {name: getattr(state, name) for name in _STATE_FIELDS}
    values.update(schema_version=STATE_SCHEMA_VERSION, stats=STATISTICS.to_stored(_stored_statistics(state.stats)), visualisation=stored_visualisation(state.visualisation))
    return StoredState(**values, journal_id=journal_id)


def _stored_statistics(stats: Statistics) -> Statistics:
    """A backtest's curve is stored as its segments: the per-cycle columns are rebuilt from candles."""
    return stats if stats.segments is None else Statistics(segments=stats.segments)


def state_of(stored) -> State:
    values = {name: getattr(stored, name) for name in _STATE_FIELDS}
    values.update(stats=STATISTICS.from_stored(stored.stats), visualisation=visualisation_of(stored.visualisation))
    return State(**values)


def encode_state(state: State, journal_id: str = "") -> bytes:
    return encoder.encode(stored_state(state, journal_id))


def decode_state(data: bytes, version: int) -> tuple[State, str]:
    """The State in a document of ``version`` (1 or 2, checked by the caller), and the snapshot's journal id.

    A version 1 state comes out as the current version: saving it writes version 2.
    """
    if version == 1:
        state = _v1_decoder.decode(data)
        state.schema_version = STATE_SCHEMA_VERSION
        return state, ""
    stored = _v2_decoder.decode(data)
    return state_of(stored), stored.journal_id


def encode_around_closed(state: State) -> tuple[bytes, bytes]:
    """``encode_state(state)`` cut where the closed positions' items go: the head ends with ``{``, the tail starts with ``}``.

    ``state``'s own closed positions are left out: with ``encode_items`` of them between the two,
    the bytes are encode_state's (the webhook keeps the items' encoding, which never changes).
    """
    token = b'"closed-positions-%s"' % os.urandom(12).hex().encode()
    portfolio = dataclasses.replace(state.portfolio, closed_positions=msgspec.Raw(token))
    document = encode_state(dataclasses.replace(state, portfolio=portfolio))
    at = document.index(token)
    return document[:at] + b"{", b"}" + document[at + len(token) :]


def encode_items(items: dict) -> bytes:
    """The items of a dict as encode_state writes them inside its braces (``"1":{...},"2":{...}``)."""
    return encoder.encode(items)[1:-1]
