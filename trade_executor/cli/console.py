"""console: a Python prompt (IPython when installed) or one snippet (--code) with the live objects ready.

The names are those of the deployment guide (web3, state, universe, store, routing_state,
pricing_model, valuation_method...). The banner lists each name with its type only: the repr of a
live state runs to kilobytes. The console holds the state file's writer lock, so it never runs
beside `start`; a snippet saves nothing unless it calls ``store.save(state)``.
"""

from __future__ import annotations

import sys
import traceback
import types
from decimal import Decimal
from typing import Annotated

import typer

from trade_executor.cli.common import reports_errors
from trade_executor.cli.live_options import Factory, JsonRpcUrl, KeystoreFile, KeystorePassword, PrivateKey, Router
from trade_executor.cli.options import LogLevel, LogLevelOption, StateFile, StrategyFile

Code = Annotated[
    str | None,
    typer.Option(
        "--code", envvar="CONSOLE_CODE", show_envvar=True,
        help="Run this Python snippet with the console's names, then exit: 0, the snippet's sys.exit code, or 1 with the traceback if it raised.",
    ),
]


def banner(names: dict, lock_path) -> str:
    width = max(len(name) for name in names) + 2
    lines = [f"{name:<{width}}: {_kind(value)}" for name, value in names.items()]
    return "\n".join([
        "Following classes and objects are available:", *lines,
        f"This console holds the state file's writer lock ({lock_path}) until it closes. Save with store.save(state).",
    ])


def _kind(value) -> str:
    if isinstance(value, types.ModuleType):
        return f"module {value.__name__}"
    kind = value if isinstance(value, type) else type(value)
    return f"{'class ' if kind is value else ''}{kind.__module__}.{kind.__qualname__}"


def run_snippet(code: str, names: dict) -> int:
    """Exit code of a snippet: 0, its own sys.exit code, or 1 after printing the traceback (the snippet's frames only)."""
    try:
        exec(compile(code, "<console --code>", "exec"), names)  # noqa: S102 - running the operator's snippet is the point
    except SystemExit as e:  # sys.exit(n) in the snippet: its code; sys.exit("message"): the message and 1, as Python does
        if e.code is None or isinstance(e.code, int):
            return e.code or 0
        print(e.code, file=sys.stderr)
        return 1
    except BaseException as e:  # noqa: BLE001 - any failure of the snippet is reported, with its traceback
        frames = traceback.extract_tb(e.__traceback__)[1:]  # drop this function's own frame
        print("Traceback (most recent call last):", file=sys.stderr)
        print("".join(traceback.format_list(frames)) + "".join(traceback.format_exception_only(e)), end="", file=sys.stderr)
        return 1
    return 0


@reports_errors
def console(strategy_file: StrategyFile, state_file: StateFile = None, json_rpc_url: JsonRpcUrl = None, private_key: PrivateKey = None,
            keystore_file: KeystoreFile = None, keystore_password: KeystorePassword = None,
            uniswap_v2_router: Router = None, uniswap_v2_factory: Factory = None, log_level: LogLevelOption = LogLevel.warning, code: Code = None) -> None:
    """Open a Python prompt with web3, state, universe, store, routing_state, pricing_model, valuation_method ready (or run --code and exit)."""
    import code as interactive
    import datetime

    import pandas as pd

    from trade_executor.cli.live_commands import _trader

    trader = _trader(strategy_file, state_file, json_rpc_url, private_key, uniswap_v2_router, uniswap_v2_factory, log_level, keystore_file, keystore_password, writer="console")
    names = {
        "web3": trader.web3, "state": trader.state, "universe": trader.build_universe(), "store": trader.store, "routing_state": trader.routing,
        "pricing_model": trader.pricing, "valuation_method": trader.valuation, "execution_model": trader.execution, "trader": trader,
        "datetime": datetime, "pd": pd, "Decimal": Decimal,
    }
    if code is not None:
        exit_code = run_snippet(code, names)
        if exit_code:
            raise typer.Exit(exit_code)
        return
    text = banner(names, f"{trader.store.path}.lock")
    try:
        from IPython import start_ipython
    except ImportError:
        interactive.interact(banner=text, local=names, exitmsg="")
        return
    typer.echo(text + "\nIPython: paste a multi-line snippet with %cpaste (end it with -- on a line of its own).")
    start_ipython(argv=[], user_ns=names)
