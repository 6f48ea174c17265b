"""`show-config` (alias `export`): the effective configuration, one NAME=value a line, and where each came from.

Reads the variable names from the commands' own options, so a new option is listed without a
change here. Secrets are shown as ***, node URLs without the parts that carry API keys.
"""

from __future__ import annotations

import os
from enum import Enum

import typer

from trade_executor.cli import env_files
from trade_executor.cli.common import reports_errors
from trade_executor.secrets import show_value

DYNAMIC_PREFIXES = ("JSON_RPC_", "TOKEN_")


# Long values (descriptions, URL lists) would push every comment far right: align up to this width.
MAX_ALIGNED_WIDTH = 60


def option_defaults(group) -> dict[str, str | None]:
    """Each option's environment variable and its default as text (None: no default). The first command wins."""
    defaults: dict[str, str | None] = {}
    for command in group.commands.values():
        for param in command.params:
            if isinstance(param.envvar, str) and param.envvar not in defaults:
                defaults[param.envvar] = _as_text(param.default)
    return defaults


def _as_text(value) -> str | None:
    if value is None or callable(value):
        return None
    if isinstance(value, Enum):
        return str(value.value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return " ".join(str(v) for v in value) or None
    return str(value)


def configuration_lines(defaults: dict[str, str | None], environ=None, loaded: env_files.LoadedEnvironment | None = None) -> list[str]:
    """``NAME=value  # origin`` for every known variable and every JSON_RPC_*/TOKEN_* set, in name order."""
    environ = os.environ if environ is None else environ
    loaded = loaded or env_files.current
    names = set(defaults) | {name for name in environ if name.startswith(DYNAMIC_PREFIXES) and environ[name]}
    rows = []
    for name in sorted(names):
        value = environ.get(name) or None
        if value is not None:
            origin = str(loaded.origin_of(name, environ))
            overridden = loaded.file_origin(name)
            if origin == "shell" and overridden is not None:
                origin += f" (overrides {overridden})"
        elif defaults.get(name) is not None:
            value, origin = defaults[name], "default"
        else:
            value, origin = "", "not set"
        rows.append((f"{name}={show_value(name, value)}", origin))
    width = min(max((len(text) for text, _ in rows), default=0), MAX_ALIGNED_WIDTH)
    return [f"{text:<{width}}  # {origin}" for text, origin in rows]


@reports_errors
def show_config() -> None:
    """Print the effective configuration: every environment variable a command reads, its value and where it came from (alias: export)."""
    from trade_executor.cli.main import app

    group = typer.main.get_command(app)
    typer.echo("# Effective configuration. Secrets are shown as ***; URLs without their key parts.")
    for line in configuration_lines(option_defaults(group)):
        typer.echo(line)
