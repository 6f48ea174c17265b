"""Which kind of run a state file belongs to, so that no command writes over another kind's file.

A live state is the only record of real trades; a backtest or a replay that wrote over it would
lose them. A live command that wrote into a backtest's file would mix simulated trades with real
ones. So a backtest replaces only a backtest's file, a replay only a replay's, and a live command
refuses a backtest's (runner/live.py).
"""

from __future__ import annotations

from pathlib import Path

from trade_executor.errors import ConfigurationError
from trade_executor.state.state import State
from trade_executor.state.store import JSONFileStore

BACKTEST = "backtest"
REPLAY = "replay"
PAPER = "paper"  # live.rehearsal of a paper trading run: the real chain's pools, no transaction


def describe_run(state: State) -> str:
    """What the file holds, in words an operator recognises."""
    live = state.live
    if live is not None and live.rehearsal == PAPER:
        return f"a paper trading run (no real trades; chain {live.chain_id}, {live.cycles_completed} cycles completed)"
    if live is not None and live.rehearsal:
        return f"a {live.rehearsal} on a throwaway chain"
    if live is not None:
        return f"a live run (hot wallet {live.hot_wallet or 'not yet known'}, chain {live.chain_id}, {live.cycles_completed} cycles completed)"
    if state.backtest is not None:
        return f"a backtest of {state.backtest.strategy_file} from {state.backtest.start_at} to {state.backtest.end_at}"
    return "a state of no known run"


def may_replace(state: State, kind: str) -> bool:
    """Whether a run of ``kind`` may write over ``state``: one of its own kind, or a state of no run at all.

    A live state always has ``live`` (the live trader sets it before its first save), so neither
    kind ever replaces one.
    """
    if state.live is None and state.backtest is None:
        return True
    if kind == BACKTEST:
        return state.live is None
    return state.backtest is None and state.live is not None and state.live.rehearsal == kind


def check_replaceable(path: Path, kind: str, fix: str) -> None:
    """Refuse unless ``path`` is missing or ``may_replace`` it, for a run of ``kind`` (``BACKTEST`` or ``REPLAY``).

    A file that cannot be read as a state is refused too (a StateError): it may be a live state
    cut short, and an unreadable state file is never overwritten.
    """
    store = JSONFileStore(path)
    if not store.exists():
        return
    state = store.load()
    if not may_replace(state, kind):
        raise ConfigurationError(f"State file {path} holds {describe_run(state)}; a {kind} never writes over it. Nothing was written. Fix: {fix}.")
