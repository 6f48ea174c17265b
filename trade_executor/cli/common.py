"""CLI plumbing: logging set-up and turning our errors into a message and an exit code."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from functools import wraps

import typer

from trade_executor.errors import ConfigurationError, StrategyRuntimeError, TradeExecutorError
from trade_executor.secrets import mask


def setup_logging(level: str, *, log_format: str | None = None, logstash_server: str | None = None) -> None:
    """Log to stderr, human-readable or JSON lines (log_format, else LOG_FORMAT), secrets masked; optionally to Logstash too."""
    from trade_executor.monitoring.logs import configure_logging

    configure_logging(level, (log_format or os.environ.get("LOG_FORMAT") or "human").lower(), logstash_server)


def reports_errors(command: Callable) -> Callable:
    """Print our errors as one clear message on stderr and exit non-zero, without a traceback."""

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

    return wrapper


def parse_date(value: str | None, option: str):
    import pandas as pd

    if value is None or value == "":
        return None
    try:
        return pd.Timestamp(value).tz_localize(None) if pd.Timestamp(value).tzinfo else pd.Timestamp(value)
    except ValueError:
        raise ConfigurationError(f"{option}={value!r} is not a date. Use the form 2018-01-31 (or 2018-01-31 12:00).") from None


def parse_time_frame_option(value: str | None, option: str):
    if value is None or value == "":
        return None
    from trade_executor.market.candles import parse_time_frame

    try:
        return parse_time_frame(value)
    except TradeExecutorError as e:
        raise ConfigurationError(f"{option}={value!r}: {e}") from None
