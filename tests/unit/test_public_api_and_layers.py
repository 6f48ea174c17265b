"""The public surface resolves, and imports point down the layer map of DESIGN.md."""

import ast
from pathlib import Path

import pytest

import trade_executor

PACKAGE = Path(trade_executor.__file__).parent

# Which of our top-level parts each layer may import (besides itself and the leaf modules).
LEAVES = {"errors", "identifiers", "failpoints", "secrets", "money", "file_errors", "atomic_files"}
ALLOWED = {
    "state": set(),
    "market": set(),
    "chain": set(),
    "devnet": {"chain", "market"},
    "execution": {"state", "market", "chain"},
    "strategy": {"state", "market", "execution"},
    "runner": {"state", "market", "execution", "strategy", "chain"},
    "reporting": {"state", "market", "strategy"},
    "testing": {"state", "market", "execution", "strategy", "runner", "chain", "devnet"},
    "replay": {"state", "market", "execution", "strategy", "runner", "chain", "devnet"},
    "research": {"state", "market", "execution", "strategy", "runner", "reporting"},
    "webhook": {"state", "reporting", "runner"},
    "monitoring": {"state", "reporting", "runner"},
    "cli": {"state", "market", "execution", "strategy", "runner", "reporting", "chain", "devnet", "replay", "research", "webhook", "monitoring"},
}


@pytest.mark.parametrize("name", trade_executor.__all__)
def test_every_public_name_resolves(name):
    assert getattr(trade_executor, name) is not None


def test_unknown_public_name_is_an_attribute_error():
    with pytest.raises(AttributeError, match="no attribute 'Nope'"):
        trade_executor.Nope  # noqa: B018


def _our_imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        names = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module]
        for name in names:
            parts = name.split(".")
            if parts[0] == "trade_executor" and len(parts) > 1:
                found.add(parts[1])
    return found


@pytest.mark.parametrize("layer", sorted(ALLOWED))
def test_layer_imports_point_downwards(layer):
    offenders = {}
    for path in (PACKAGE / layer).rglob("*.py"):
        bad = _our_imports(path) - ALLOWED[layer] - LEAVES - {layer}
        if bad:
            offenders[str(path.relative_to(PACKAGE))] = sorted(bad)
    assert offenders == {}, f"imports against the layer map: {offenders}"


def test_leaf_modules_import_nothing_of_ours_but_each_other():
    for leaf in LEAVES:
        assert _our_imports(PACKAGE / f"{leaf}.py") <= LEAVES


def test_a_backtest_never_imports_the_chain_layer():
    """Backtests run without web3: the simulated models and the backtest runner import no chain code."""
    import subprocess
    import sys

    code = "import sys, trade_executor.runner.backtest, trade_executor.cli.backtest; print(any(m.startswith(('trade_executor.chain', 'web3')) for m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
