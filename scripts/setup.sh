#!/usr/bin/env bash
# Set up everything trade-executor needs on a fresh machine: a virtual environment in .venv
# with the pinned dependencies and the package itself. Safe to run again: it only installs
# what changed since the last run.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON="${PYTHON:-python3}"
VENV="${VENV:-.venv}"
STAMP="$VENV/.installed-$(sha256sum pyproject.toml | cut -c1-16)"

if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
    echo "trade-executor needs Python 3.11 or newer; $PYTHON is $("$PYTHON" --version 2>&1). Set PYTHON=python3.11 (or newer)." >&2
    exit 1
fi

if [ ! -x "$VENV/bin/python" ]; then
    echo "Creating the virtual environment in $VENV" >&2
    "$PYTHON" -m venv "$VENV"
fi

if [ ! -f "$STAMP" ]; then
    echo "Installing trade-executor and its pinned dependencies into $VENV" >&2
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -e '.[dev]'
    rm -f "$VENV"/.installed-*
    touch "$STAMP"
fi
