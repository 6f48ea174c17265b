#!/usr/bin/env bash
# Set up everything trade-executor needs on a fresh machine: a virtual environment in .venv
# with the pinned dependencies and the package itself. Safe to run again: it only installs
# what changed since the last run.
set -euo pipefail
cd "$(dirname "$0")/.."

# --with-browser: also install Debian's chromium, which the browser tests (HTML report, dashboard)
# drive through playwright. Browser downloads are not possible here, so it comes from apt.
WITH_BROWSER=0
for arg in "$@"; do
    case "$arg" in
        --with-browser) WITH_BROWSER=1 ;;
        *) echo "Unknown option $arg. Usage: scripts/setup.sh [--with-browser]" >&2; exit 2 ;;
    esac
done

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

# Test and devnet tools from the npm registry: anvil (a local EVM node), the compiled
# Uniswap v2 and v3 contracts, and solcjs. Backtests do not need them.
NPM_STAMP="node_modules/.installed-$(sha256sum package-lock.json | cut -c1-16)"
if [ ! -f "$NPM_STAMP" ]; then
    if command -v npm >/dev/null 2>&1; then
        echo "Installing anvil, the Uniswap v2 and v3 contracts and solc from npm into node_modules" >&2
        npm ci --no-audit --no-fund --loglevel=error >&2
        touch "$NPM_STAMP"
    else
        echo "npm not found: skipping anvil and the Uniswap v2 and v3 contracts (needed for live-trading tests and devnet; install Node.js 18+)." >&2
    fi
fi

if [ ! -f "$STAMP" ]; then
    echo "Installing trade-executor and its pinned dependencies into $VENV" >&2
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -e '.[dev]'
    rm -f "$VENV"/.installed-*
    touch "$STAMP"
fi

if [ "$WITH_BROWSER" = 1 ] && [ ! -x /usr/bin/chromium ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "Installing Debian's chromium for the browser tests" >&2
        apt-get update -qq >&2
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >&2
    else
        echo "chromium not found and cannot be installed here (needs root and apt-get): the browser tests will be skipped (they fail under CI=true)." >&2
    fi
fi
