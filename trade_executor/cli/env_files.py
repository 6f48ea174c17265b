"""Docker-dialect .env files, read directly: no splicing public and secret files by hand."""

from __future__ import annotations

import os
from pathlib import Path

from dotenv import dotenv_values

from trade_executor.errors import ConfigurationError


def load_env_files(paths: list[Path]) -> dict[str, str]:
    """Later files win over earlier ones; the shell's own environment wins over all files."""
    merged: dict[str, str] = {}
    for path in paths:
        if not path.is_file():
            raise ConfigurationError(f"--env-file {path} does not exist.")
        merged.update({k: v for k, v in dotenv_values(path).items() if v is not None})
    for name, value in merged.items():
        os.environ.setdefault(name, value)
    return merged
