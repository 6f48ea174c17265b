"""The `trade-executor` command. Wiring only: each command lives in its own module."""

from __future__ import annotations

from pathlib import Path

import typer

from trade_executor.cli import live_commands
from trade_executor.cli.backtest import backtest, start
from trade_executor.cli.check_universe import check_universe
from trade_executor.cli.devnet import devnet
from trade_executor.cli.replay import replay

app = typer.Typer(
    name="trade-executor",
    help="Take an algorithmic trading strategy from backtest to live trading on Uniswap v2 style DEXes.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


@app.callback()
def main(
    env_file: list[Path] = typer.Option(  # noqa: B008 - Typer's declaration style
        None, "--env-file", help="Read environment variables from a Docker-style .env file before the command's options; repeatable, later files win. Variables already set in the shell win over files."
    ),
) -> None:
    """Take an algorithmic trading strategy from backtest to live trading on Uniswap v2 style DEXes."""
    if env_file:
        from trade_executor.cli.env_files import load_env_files

        load_env_files(env_file)


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
app.command("check-universe")(check_universe)
app.command("check-wallet")(live_commands.check_wallet)
app.command("perform-test-trade")(live_commands.perform_test_trade)
app.command("show-positions")(live_commands.show_positions)
app.command("close-all")(live_commands.close_all)
app.command("repair")(live_commands.repair)
app.command("console")(live_commands.console)
app.command("new-wallet")(live_commands.new_wallet)
app.command("replay")(replay)
app.command("devnet")(devnet)


if __name__ == "__main__":
    app()


def environment_variables() -> list[str]:
    """Every environment variable any command reads, from the commands' own option definitions."""
    import typer.main

    group = typer.main.get_command(app)
    names = {param.envvar for command in group.commands.values() for param in command.params if isinstance(param.envvar, str)}
    return sorted(names)
