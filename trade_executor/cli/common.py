"""CLI plumbing: logging set-up and turning our errors into a message and an exit code."""

from __future__ import annotations

import logging
import os
import sys
import traceback
from collections.abc import Callable
from functools import wraps

import click
import typer

from trade_executor.errors import ConfigurationError, StrategyRuntimeError, TradeExecutorError
from trade_executor.secrets import mask


def setup_logging(level: str, *, log_format: str | None = None, logstash_server: str | None = None) -> None:
    """Log to stderr, human-readable or JSON lines (log_format, else LOG_FORMAT), secrets masked; optionally to Logstash too."""
    from trade_executor.monitoring.logs import configure_logging

    configure_logging(level, (log_format or os.environ.get("LOG_FORMAT") or "human").lower(), logstash_server)


def reports_errors(command: Callable) -> Callable:
    """Print our errors as one clear message on stderr and exit non-zero, without a traceback.

    A node that does not answer is one line too (naming the node, redacted). Anything else
    unexpected keeps its traceback for the bug report, with secrets masked: Python's own
    printing would show node URLs with their API keys.
    """

    @wraps(command)
    def wrapper(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except TradeExecutorError as e:
            kind = "Strategy error" if isinstance(e, StrategyRuntimeError) else "Error"
            typer.echo(mask(f"{kind}: {e}"), err=True)
            if isinstance(e, StrategyRuntimeError) and e.__cause__ is not None:
                logging.getLogger("trade_executor").debug("Strategy traceback", exc_info=e.__cause__)
            raise typer.Exit(getattr(e, "exit_code", 1)) from None
        except Exception as e:
            if isinstance(e, (typer.Exit, typer.Abort, click.ClickException)):
                raise
            line = _node_failure(e)
            if line is None:
                typer.echo(mask("".join(traceback.format_exception(e))), err=True)
            else:
                logging.getLogger("trade_executor").debug("JSON-RPC failure", exc_info=e)
                typer.echo(mask(f"Error: {line}"), err=True)
            raise typer.Exit(1) from None

    return wrapper


def _node_failure(error: Exception) -> str | None:
    """The one-line description of a node that did not answer; only when web3 was ever loaded (else it cannot be one)."""
    if "trade_executor.chain.connection" not in sys.modules:
        return None
    from trade_executor.chain.connection import node_failure_message

    return node_failure_message(error)


def parse_date(value: str | None, option: str):
    """A date option (naive UTC Timestamp), ISO form only: pandas would read 01/06/2018 as 6 January without a word."""
    from trade_executor.market.dates import parse_iso_date

    if value is None or value == "":
        return None
    return parse_iso_date(value, option)


def parse_time_frame_option(value: str | None, option: str):
    if value is None or value == "":
        return None
    from trade_executor.market.candles import parse_time_frame

    try:
        return parse_time_frame(value)
    except TradeExecutorError as e:
        raise ConfigurationError(f"{option}={value!r}: {e}") from None
