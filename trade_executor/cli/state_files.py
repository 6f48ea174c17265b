"""Which state file a command writes, and the writer lock it holds while it runs.

STATE_FILE belongs to the deployment its environment describes. In an environment that trades
live (EXECUTION_TYPE=uniswap_v2_hot_wallet, as env/devnet-eth-usdc.env sets) it is the live
executor's file, so a backtest, or a paper run (EXECUTION_TYPE=paper set over such a file), run
with the same env files writes its own file instead and says so. A replay never takes
STATE_FILE from the environment: no deployment's file is a replay's.
Whatever the path, a backtest or a replay refuses a file that holds another kind of run
(state/ownership.py) and a file another process is writing (state/lock.py).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import typer

from trade_executor.state import State
from trade_executor.state.lock import StateFileLock, lock_state_file, raise_if_locked
from trade_executor.state.ownership import BACKTEST, PAPER, REPLAY, check_replaceable
from trade_executor.state.store import JSONFileStore, default_state_file
from trade_executor.strategy.module import strategy_id_of


def hold_writer_lock(path: Path, command: str, context: typer.Context | None = None) -> StateFileLock:
    """Take the writer lock of ``path`` for ``trade-executor <command>``; call it before reading the state.

    With the command's ``context`` the lock goes when the command ends (in-process runs too);
    without, when the process exits.
    """
    lock = lock_state_file(path, f"trade-executor {command}")
    if context is not None:
        context.call_on_close(lock.release)
    return lock


def live_state_file(state_file: Path | None, strategy_file: Path, kind: str = "", context: typer.Context | None = None) -> Path:
    """The live run's file: STATE_FILE / --state-file, else state/<strategy-id>.json (a paper run's: state/<strategy-id>-paper.json).

    With ``context``, a paper run does not take STATE_FILE from an environment that trades live (a live deployment's env file
    with EXECUTION_TYPE=paper set over it, as the README's forward test does): that is the live executor's file, and a paper
    run written there would make the live start refuse it. It writes its own file and says so, as a backtest does.
    A paper run given the live run's file otherwise refuses it when it reads it (runner/paper_venue.py), and the reverse.
    """
    default = default_state_file(strategy_id_of(strategy_file), kind)
    if kind == PAPER and state_file is not None and _from_environment(context):
        deployment = _deployment_execution_type()
        if deployment not in ("", PAPER, "dummy", BACKTEST):
            typer.echo(
                f"Note: STATE_FILE={state_file} ({_origin()}) is the live executor's file (EXECUTION_TYPE={deployment} there); "
                f"this paper run writes {default}. Give --state-file to choose another.",
                err=True,
            )
            return default
    return state_file or default


def _deployment_execution_type() -> str:
    """The EXECUTION_TYPE of the environment STATE_FILE came from, before a shell or option set another over it.

    STATE_FILE from an env file: the files' EXECUTION_TYPE; from the shell: the shell's (else the files')."""
    from trade_executor.cli import env_files

    loaded = env_files.current
    if loaded.origin_of("STATE_FILE").kind == "shell" and "EXECUTION_TYPE" in loaded.shell_names:
        return os.environ.get("EXECUTION_TYPE", "").strip().lower()
    entry = next((e for e in reversed(loaded.entries) if e.name == "EXECUTION_TYPE"), None)
    return entry.value.strip().lower() if entry is not None else ""


@dataclass(frozen=True)
class BacktestStateFile:
    """Where a backtest writes: checked before it runs, and again under the writer lock when it saves.

    A backtest holds the lock only to save, so a backtest that fails leaves nothing behind.
    """

    path: Path
    fix: str  # what to do when the file turns out to be another kind of run's
    command: str

    def save(self, state: State) -> None:
        with lock_state_file(self.path, self.command):
            check_replaceable(self.path, BACKTEST, self.fix)  # a live run may have started there meanwhile
            JSONFileStore(self.path).save(state)


def claim_backtest_state_file(state_file: Path | None, strategy_file: Path, context: typer.Context | None) -> BacktestStateFile:
    """Choose the backtest's file, and refuse one another process writes, or that holds a live run or a replay, before the backtest runs."""
    default = default_state_file(strategy_id_of(strategy_file), BACKTEST)
    path = state_file or default
    fix = f"give --state-file=PATH for the backtest (without it the backtest writes {default})"
    if state_file is not None and _from_environment(context):
        execution_type = os.environ.get("EXECUTION_TYPE", "").strip().lower()
        if execution_type not in ("", BACKTEST):
            typer.echo(
                f"Note: STATE_FILE={state_file} ({_origin()}) is the live executor's file (EXECUTION_TYPE={execution_type}); "
                f"this backtest writes {default}. Give --state-file to choose another.",
                err=True,
            )
            path = default
        else:
            fix = f"unset STATE_FILE ({_origin()}) for backtests, or give --state-file=PATH (without either the backtest writes {default})"
    raise_if_locked(path)
    check_replaceable(path, BACKTEST, fix)
    return BacktestStateFile(path, fix, f"trade-executor {context.info_name if context is not None else BACKTEST}")


def replay_state_file(state_file: Path | None, strategy_file: Path, context: typer.Context | None) -> Path:
    """The replay's own file: --state-file, else state/<strategy-id>-replay.json; STATE_FILE from the environment is ignored."""
    default = default_state_file(strategy_id_of(strategy_file), REPLAY)
    if state_file is not None and _from_environment(context):
        typer.echo(f"Note: STATE_FILE={state_file} ({_origin()}) is not a replay's file; the replay writes {default}. Give --state-file to choose another.", err=True)
        state_file = None
    return state_file or default


def _from_environment(context: typer.Context | None) -> bool:
    """Whether STATE_FILE came from the environment (or an env file) rather than --state-file."""
    source = context.get_parameter_source("state_file") if context is not None else None
    return source is not None and source.name == "ENVIRONMENT"


def _origin() -> str:
    from trade_executor.cli import env_files

    return env_files.current.origin_of("STATE_FILE").describe()
