"""The `trade-executor` command. Wiring only: each command lives in its own module."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from trade_executor.cli import accounts, live_commands, positions
from trade_executor.cli.backtest import backtest, start
from trade_executor.cli.check_lookahead import check_lookahead
from trade_executor.cli.check_universe import check_universe
from trade_executor.cli.close_position import close_position
from trade_executor.cli.common import reports_errors
from trade_executor.cli.compare import compare
from trade_executor.cli.console import console
from trade_executor.cli.devnet import devnet
from trade_executor.cli.download import download
from trade_executor.cli.export_state import export_state
from trade_executor.cli.grid_search import grid_search
from trade_executor.cli.optimise import optimise
from trade_executor.cli.perform_test_trade import perform_test_trade
from trade_executor.cli.replay import replay
from trade_executor.cli.report import report
from trade_executor.cli.root_group import RootGroup
from trade_executor.cli.show_config import show_config

app = typer.Typer(
    name="trade-executor",
    cls=RootGroup,
    help="Take an algorithmic trading strategy from backtest to live trading on Uniswap v2 style DEXes.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


@app.callback()
@reports_errors
def main(
    ctx: typer.Context,
    env_file: list[Path] = typer.Option(  # noqa: B008 - Typer's declaration style
        None, "--env-file", help="Read environment variables from a Docker-style .env file before the command's options; repeatable, later files win. Variables already set in the shell win over files."
    ),
) -> None:
    """Take an algorithmic trading strategy from backtest to live trading on Uniswap v2 style DEXes."""
    from trade_executor.cli.config_checks import prepare_environment

    # A command's --help works even with a malformed value (click has not parsed the command's arguments yet).
    asks_for_help = "--help" in sys.argv[1:]
    prepare_environment(env_file or [], environment_variables(ctx.command), check=not asks_for_help)


@app.command()
def hello() -> None:
    """Check that the application starts: prints Hello blockchain."""
    typer.echo("Hello blockchain")


@app.command()
def version() -> None:
    """Print the trade-executor version."""
    from importlib.metadata import version as package_version

    typer.echo(package_version("trade-executor"))


app.command()(start)
app.command()(backtest)
app.command("report")(report)
app.command("check-universe")(check_universe)
app.command("check-wallet")(live_commands.check_wallet)
app.command("perform-test-trade")(perform_test_trade)
app.command("show-positions")(positions.show_positions)
app.command("show-valuation")(positions.show_valuation)
app.command("export-state")(export_state)
app.command("close-position")(close_position)
app.command("close-all")(live_commands.close_all)
app.command("repair")(live_commands.repair)
app.command("check-accounts")(accounts.check_accounts)
app.command("correct-accounts")(accounts.correct_accounts)
app.command("console")(console)
app.command("new-wallet")(live_commands.new_wallet)
app.command("show-config")(show_config)
app.command("export", hidden=True, help="The same as show-config.")(show_config)
app.command("replay")(replay)
app.command("compare")(compare)
app.command("devnet")(devnet)
app.command("download")(download)
app.command("grid-search")(grid_search)
app.command("optimise")(optimise)
app.command("check-lookahead")(check_lookahead)


if __name__ == "__main__":
    app()


def environment_variables(group=None) -> list[str]:
    """Every environment variable any command reads, from the commands' own option definitions."""
    import typer.main

    group = group or typer.main.get_command(app)
    names = {param.envvar for command in group.commands.values() for param in command.params if isinstance(param.envvar, str)}
    return sorted(names)
