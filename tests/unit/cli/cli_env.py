"""Shared by the configuration tests: run the real CLI in-process with a clean, restored environment."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from trade_executor.cli import env_files
from trade_executor.cli.main import app, environment_variables

REPO = Path(__file__).resolve().parents[3]
KNOWN = environment_variables()
PRIVATE_KEY = "0x" + "5a" * 32


@pytest.fixture
def clean_env(monkeypatch):
    """No configuration variable from the developer's shell; whatever a run loads into os.environ is undone."""
    saved = dict(os.environ)
    for name in list(os.environ):
        if name in KNOWN or name.startswith(("JSON_RPC_", "TOKEN_", "HTTP_")) or name in ("KEYSTORE_PASSWORD", "DISCORD_WEBHOOK_URL"):
            del os.environ[name]
    monkeypatch.chdir(REPO)
    yield
    os.environ.clear()
    os.environ.update(saved)
    env_files.current = env_files.LoadedEnvironment()


def invoke(*args: str, env: dict[str, str] | None = None, input: str | None = None):  # noqa: A002 - click's name
    return CliRunner().invoke(app, list(args), env=env, input=input)


def write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path
