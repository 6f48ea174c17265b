"""Start-up stays light: `hello` and the help pages load no heavy library (counted in sys.modules, not timed).

pandas, numpy and pyarrow came in through one command module's top-level import (grid-search's
progress bar) and cost 0.5 s on every command; pydantic through typer's option coercion (see
cli/root_group.py). benchmarks/startup.py times it.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

HEAVY = {"pandas", "numpy", "pyarrow", "web3", "eth_account", "pydantic", "rich", "plotly", "fastapi"}

RUN = """
import json, sys
heavy = set(json.loads(sys.argv[2]))
sys.argv = ["trade-executor", *json.loads(sys.argv[1])]
from trade_executor.cli.main import app
try:
    app()
except SystemExit as exit:
    code = exit.code
else:
    code = 0
print(json.dumps({"code": code, "heavy": sorted({m.split(".")[0] for m in sys.modules} & heavy)}))
"""


def run(*args: str) -> tuple[str, dict]:
    done = subprocess.run([sys.executable, "-c", RUN, json.dumps(args), json.dumps(sorted(HEAVY))], capture_output=True, text=True, env={"PATH": "/usr/bin:/bin", "COLUMNS": "100"}, check=True)
    *printed, last = done.stdout.splitlines()
    return "\n".join(printed), json.loads(last)


@pytest.mark.parametrize("args", [("hello",), ("--help",), ("backtest", "--help"), ("grid-search", "--help"), ("start", "--help")])
def test_start_up_loads_no_heavy_library(args):
    printed, outcome = run(*args)
    assert outcome["code"] in (0, None), printed
    assert outcome["heavy"] == [], f"`trade-executor {' '.join(args)}` imported {outcome['heavy']}: import them inside the command that uses them"


def test_hello_still_says_hello():
    printed, outcome = run("hello")
    assert printed == "Hello blockchain"
