"""What one save appends to the journal: what changed since the save before, never the history.

A record is a partial state document (encoding.py's version 2) and where its appended parts go:

- written whole at every save: every field but those below, so the top-level scalars, the live
  info, the portfolio's counters and reserves, and its open and frozen positions (few; a field
  added to a state class later is written whole too, which is always correct);
- appended: the closed positions and unfilled trades added since (by key), the balance updates,
  statistics points and control commands added since (by index), the points added to each plot,
  and the messages of timestamps added since (with the last timestamp's list again, as the
  strategy may have added to it).

So a save costs O(open positions + new items). The one rule the appended collections keep is
the one the trader keeps: what is there is never changed or removed (a closed position stays as
it closed). ``Marks`` remember how much of each was written; when a collection is found shorter,
or its last written key gone, ``record_of`` returns None and the store writes a whole snapshot.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from itertools import islice

from trade_executor.state.encoding import StoredState, state_of, stored_state
from trade_executor.state.portfolio import Portfolio
from trade_executor.state.state import State
from trade_executor.state.statistics import PER_CYCLE_COLUMNS, Statistics
from trade_executor.state.visualisation import Plot, Visualisation

APPENDED_BY_KEY = ("closed_positions", "unfilled_trades")
APPENDED_BY_INDEX = ("balance_updates",)
_STATE_FIELDS = tuple(f.name for f in dataclasses.fields(State))
_PORTFOLIO_FIELDS = tuple(f.name for f in dataclasses.fields(Portfolio))
_STATISTICS_FIELDS = PER_CYCLE_COLUMNS  # a live run's; a backtest's segments are never journaled


@dataclass(slots=True)
class Starts:
    """Where a record's appended lists begin in the state's lists."""

    balance_updates: int = 0
    control_log: int = 0
    stats: int = 0
    plots: dict[str, int] = field(default_factory=dict)


@dataclass(slots=True)
class Record:
    snapshot: str  # the journal id of the snapshot this record extends
    seq: int  # 1, 2, 3... after that snapshot
    starts: Starts
    state: StoredState


@dataclass(slots=True)
class Marks:
    """How much of each appended collection the snapshot and journal hold."""

    keys: dict[str, tuple[int, object]]  # portfolio dict -> (items written, the last key written)
    balance_updates: int
    control_log: int
    stats: int
    messages: tuple[int, str | None, int]  # (timestamps written, the last one, its messages written)
    plots: dict[str, tuple[int, str]]  # name -> (points written, colour)


def marks_of(state: State) -> Marks:
    """Everything in ``state`` counts as written (after a load or a snapshot)."""
    portfolio, messages = state.portfolio, state.visualisation.messages
    last = next(reversed(messages), None)
    return Marks(
        {name: (len(d), next(reversed(d), None)) for name in APPENDED_BY_KEY for d in [getattr(portfolio, name)]},
        len(portfolio.balance_updates),
        len(state.live.control_log) if state.live else 0,
        len(state.stats),
        (len(messages), last, len(messages[last]) if last is not None else 0),
        {name: (len(plot.values), plot.colour) for name, plot in state.visualisation.plots.items()},
    )


def _added(items: dict, mark: tuple[int, object]) -> dict | None:
    """The items added after the ``mark[0]`` written ones; None when those are no longer the dict's first items."""
    written, last_key = mark
    new = len(items) - written
    if new < 0:
        return None
    tail = list(islice(reversed(items.items()), new + (1 if written else 0)))
    if written and tail[-1][0] != last_key:
        return None
    return dict(reversed(tail[:new]))


def record_of(state: State, marks: Marks, snapshot: str, seq: int) -> tuple[Record, Marks] | None:
    """The record of what changed since ``marks``, and the marks after it; None when history changed shape."""
    portfolio = state.portfolio
    added = {name: _added(getattr(portfolio, name), marks.keys[name]) for name in APPENDED_BY_KEY}
    log = state.live.control_log if state.live else []
    stats_end = len(state.stats)
    if None in added.values() or len(portfolio.balance_updates) < marks.balance_updates or len(log) < marks.control_log or stats_end < marks.stats:
        return None
    visualisation = _visualisation_changes(state.visualisation, marks)
    if visualisation is None:
        return None
    changes, plot_starts = visualisation
    partial = dataclasses.replace(
        state,
        portfolio=dataclasses.replace(portfolio, **added, balance_updates=portfolio.balance_updates[marks.balance_updates :]),
        live=dataclasses.replace(state.live, control_log=log[marks.control_log :]) if state.live else None,
        stats=Statistics(**{name: getattr(state.stats, name)[marks.stats :] for name in _STATISTICS_FIELDS}),
        visualisation=changes,
    )
    starts = Starts(marks.balance_updates, marks.control_log, marks.stats, plot_starts)
    return Record(snapshot, seq, starts, stored_state(partial)), marks_of(state)


def _visualisation_changes(visualisation: Visualisation, marks: Marks) -> tuple[Visualisation, dict[str, int]] | None:
    """The messages and plot points added since ``marks``, and where each plot's new points start."""
    messages, plots = visualisation.messages, visualisation.plots
    written, last, count = marks.messages
    if len(messages) < written or len(plots) < len(marks.plots):
        return None
    changed = {}
    if len(messages) > written or (last is not None and len(messages[last]) != count):
        tail = list(islice(reversed(messages.items()), len(messages) - written + (1 if written else 0)))
        if written and tail[-1][0] != last:
            return None
        changed = dict(reversed(tail))
    new_plots, starts = {}, {}
    for name, plot in plots.items():
        points, colour = marks.plots.get(name, (0, None))
        if len(plot.values) < points or len(plot.timestamps) < points:
            return None
        if len(plot.values) > points or plot.colour != colour:
            new_plots[name] = Plot(name, plot.colour, plot.timestamps[points:], plot.values[points:])
            starts[name] = points
    return Visualisation(changed, new_plots), starts


def apply_record(state: State, record: Record) -> None:
    """Put what ``record`` holds into ``state`` (a load replaying the journal)."""
    partial, starts = state_of(record.state), record.starts
    for name in _STATE_FIELDS:
        if name not in ("portfolio", "stats", "visualisation", "live"):
            setattr(state, name, getattr(partial, name))
    portfolio = state.portfolio
    for name in _PORTFOLIO_FIELDS:
        value = getattr(partial.portfolio, name)
        if name in APPENDED_BY_KEY:
            getattr(portfolio, name).update(value)
        elif name in APPENDED_BY_INDEX:
            _put(getattr(portfolio, name), starts.balance_updates, value)
        else:
            setattr(portfolio, name, value)
    for name in _STATISTICS_FIELDS:
        _put(getattr(state.stats, name), starts.stats, getattr(partial.stats, name))
    state.visualisation.messages.update(partial.visualisation.messages)
    for name, plot in partial.visualisation.plots.items():
        existing = state.visualisation.plots.setdefault(name, Plot(name))
        existing.colour = plot.colour
        _put(existing.timestamps, starts.plots[name], plot.timestamps)
        _put(existing.values, starts.plots[name], plot.values)
    if partial.live is not None:
        earlier = state.live.control_log[: starts.control_log] if state.live else []
        partial.live.control_log = earlier + partial.live.control_log
    state.live = partial.live


def _put(items: list, start: int, new: list) -> None:
    del items[start:]
    items.extend(new)
