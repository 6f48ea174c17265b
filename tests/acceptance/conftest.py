"""Helpers for the end-to-end tests: run the real `trade-executor` command and read what it prints.

Every run is a subprocess of the venv's own console script, started from the repository root,
exactly as a user types it. The environment is scrubbed of every variable the CLI reads, so a
developer's shell (STATE_FILE, EXECUTION_TYPE...) cannot change what a test sees.
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace

import pytest

from trade_executor.cli.main import environment_variables
from trade_executor.reporting.summary import ROWS

REPO = Path(__file__).resolve().parents[2]
TRADE_EXECUTOR = Path(sys.executable).parent / "trade-executor"
SUMMARY_LABELS = [label for label, _, _ in ROWS]

CLI_ENV_VARS = environment_variables()


@dataclass
class CliResult:
    args: list[str]
    returncode: int
    stdout: str
    stderr: str

    def __str__(self) -> str:  # shown by pytest when an assertion fails
        return f"$ trade-executor {' '.join(self.args)}\nexit {self.returncode}\n--- stdout\n{self.stdout}\n--- stderr\n{self.stderr}"


def run_cli(*args: str, env: dict[str, str] | None = None, cwd: Path = REPO) -> CliResult:
    """Run `trade-executor <args>` from the repository root and capture everything."""
    assert TRADE_EXECUTOR.exists(), f"{TRADE_EXECUTOR} is missing: install the package into the venv (pip install -e .)"
    full_env = {k: v for k, v in os.environ.items() if k not in CLI_ENV_VARS}
    full_env.update({"TERMINAL_WIDTH": "250", "COLUMNS": "250", "NO_COLOR": "1", "PYTHONUNBUFFERED": "1"})
    full_env.update(env or {})
    completed = subprocess.run(
        [str(TRADE_EXECUTOR), *args],
        cwd=cwd,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    return CliResult(list(args), completed.returncode, completed.stdout, completed.stderr)


def parse_summary(stdout: str) -> dict[str, str]:
    """The "Backtest summary" table as {row label: printed value}; only rows found are returned."""
    lines = stdout.splitlines()
    assert "Backtest summary" in lines, f"no 'Backtest summary' table in:\n{stdout}"
    table = lines[lines.index("Backtest summary") + 1 :]
    found: dict[str, str] = {}
    for line in table:
        if not line.strip():
            break
        for label in SUMMARY_LABELS:
            rest = line[len(label) :]
            if line.startswith(label) and rest[:1] == " " and rest.strip():
                found[label] = rest.strip()
                break
    return found


def assert_complete_summary(result: CliResult) -> dict[str, str]:
    """Exit 0, and every row of the summary table printed with a value; returns the table."""
    assert result.returncode == 0, str(result)
    assert "Traceback" not in result.stderr, str(result)
    summary = parse_summary(result.stdout)
    missing = [label for label in SUMMARY_LABELS if label not in summary]
    assert not missing, f"summary rows missing: {missing}\n{result}"
    return summary


@pytest.fixture
def te() -> SimpleNamespace:
    """The helpers above, for test modules (which cannot import conftest under --import-mode=importlib)."""
    return SimpleNamespace(
        REPO=REPO,
        SUMMARY_LABELS=SUMMARY_LABELS,
        run=run_cli,
        parse_summary=parse_summary,
        assert_complete_summary=assert_complete_summary,
    )
