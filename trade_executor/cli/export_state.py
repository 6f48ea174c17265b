"""export-state: the whole state as one JSON document, on stdout or in a file.

A live state is a snapshot and the journal of the saves since (state/journaled_store.py); tools
and backups want one document. This reads both as every reader does, without the writer lock, so
it runs beside a live executor and gives the state as last saved. The document is a state file in
its own right (schema version 2, no journal): any command's --state-file can read it.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from trade_executor.cli.common import reports_errors
from trade_executor.cli.options import StateFile

Output = Annotated[
    Path | None,
    typer.Option("--output", envvar="EXPORT_STATE_OUTPUT", show_envvar=True, help="Write the document to this file (atomically) instead of stdout."),
]
OptionalStrategyFile = Annotated[
    Path | None,
    typer.Option("--strategy-file", envvar="STRATEGY_FILE", show_envvar=True, help="The strategy module: its live state file, state/<strategy-id>.json, unless --state-file is given."),
]


@reports_errors
def export_state(strategy_file: OptionalStrategyFile = None, state_file: StateFile = None, output: Output = None) -> None:
    """Write the whole state (the state file with its journal) as one JSON document; read-only, safe beside a running executor."""
    from trade_executor.errors import ConfigurationError
    from trade_executor.state.lock import raise_if_locked
    from trade_executor.state.store import JSONFileStore, default_state_file, write_atomically
    from trade_executor.strategy.module import strategy_id_of

    if state_file is None and strategy_file is None:
        raise ConfigurationError("Which state? Give --state-file=PATH (STATE_FILE), or --strategy-file (STRATEGY_FILE) for its live state file.")
    store = JSONFileStore(state_file or default_state_file(strategy_id_of(strategy_file)))
    document = store.document()
    if output is None:
        sys.stdout.buffer.write(document)
        sys.stdout.buffer.flush()
        return
    if output.resolve() == store.path.resolve():
        raise ConfigurationError(f"--output {output} is the state file being exported. Nothing was written. Fix: choose another file.")
    if JSONFileStore(output).journal_file().exists():
        raise ConfigurationError(f"--output {output} is a live state file (it has a journal beside it); an export never writes over one. Nothing was written. Fix: choose another file.")
    raise_if_locked(output)  # nor over a file a command is writing
    try:
        write_atomically(document, output.resolve())
    except OSError as e:
        from trade_executor.state.file_errors import state_file_error

        raise state_file_error(e, output, "save") from e
    typer.echo(f"Wrote the state of {store.path} to {output} ({len(document):,} bytes).", err=True)
