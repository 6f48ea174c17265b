"""`compare`: a paper run (or a live run) beside a backtest of the same period, trade by trade, as `replay` prints it.

The forward test is the evidence before going live: the same decisions at the same cycles, and
how far the fills on the real pools were from the backtest's. Only the backtest's trades opened
within the paper run's span (its first to its last cycle) are set beside it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from trade_executor.cli.common import reports_errors, setup_logging
from trade_executor.cli.options import LogLevel, LogLevelOption
from trade_executor.errors import ConfigurationError

PaperStateFile = Annotated[
    Path, typer.Option("--state-file", envvar="STATE_FILE", show_envvar=True, help="The paper run's state file, e.g. state/eth-usd-sma-paper.json.")
]
BacktestStateFile = Annotated[
    Path,
    typer.Option(
        "--backtest-state-file", envvar="BACKTEST_STATE_FILE", show_envvar=True,
        help="A backtest of the same period, e.g. from `backtest --backtest-start=... --backtest-end=...` (state/eth-usd-sma-backtest.json).",
    ),
]  # fmt: skip


def _load(path: Path, what: str, fix: str):
    from trade_executor.state import JSONFileStore

    if not path.exists():
        raise ConfigurationError(f"State file {path} ({what}) does not exist. Fix: {fix}.")
    return JSONFileStore(path).load()


@reports_errors
def compare(state_file: PaperStateFile, backtest_state_file: BacktestStateFile, log_level: LogLevelOption = LogLevel.warning) -> None:
    """Set a paper run beside a backtest of the same period, trade by trade."""
    setup_logging(log_level.value)
    from trade_executor.cli.replay import comparison_lines
    from trade_executor.replay.driver import compare as compare_states
    from trade_executor.state.ownership import PAPER, describe_run

    paper = _load(state_file, "the paper run", "run `start` with EXECUTION_TYPE=paper first (it writes state/<strategy-id>-paper.json), or give --state-file=PATH")
    if paper.live is None:
        raise ConfigurationError(f"State file {state_file} holds {describe_run(paper)}, not a paper (or live) run. Fix: give the paper run's file as --state-file.")
    backtest = _load(backtest_state_file, "the backtest", "run the backtest of the paper run's period first, or give --backtest-state-file=PATH")
    if backtest.backtest is None:
        raise ConfigurationError(f"State file {backtest_state_file} holds {describe_run(backtest)}, not a backtest. Fix: give a backtest's state file as --backtest-state-file.")
    if not paper.stats.timestamps:
        raise ConfigurationError(f"State file {state_file} has no completed cycle yet: nothing to compare. Fix: let the paper run complete a cycle.")
    period = (paper.stats.timestamps[0], paper.stats.timestamps[-1])
    info = backtest.backtest
    if info.start_at is not None and info.end_at is not None and (info.start_at > period[0] or info.end_at < period[1]):
        typer.secho(
            f"Warning: the backtest covers {info.start_at} to {info.end_at}, the paper run {period[0]} to {period[1]}: trades outside the backtest show as missing.",
            fg=typer.colors.YELLOW, err=True,
        )
    label = "paper" if paper.live.rehearsal == PAPER else "live"
    comparison = compare_states(backtest, paper, period, label)
    lines = comparison_lines(backtest, paper, comparison, label, f"{label} price")
    gas = comparison.live_gas_usd
    lines.append(f"Worst executed price difference: {comparison.worst_price_difference * 100:.6f}%")
    lines.append(f"Final equity: backtest {comparison.backtest_equity:,.2f}, {label} {comparison.live_equity - gas:,.2f} after {gas:,.2f} gas")
    lines.append(f"{label.capitalize()} run {state_file}: {paper.live.cycles_completed} cycles from {period[0]} to {period[1]}; backtest {backtest_state_file}")
    typer.echo("\n".join(lines))
