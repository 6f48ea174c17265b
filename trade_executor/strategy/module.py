"""Load a strategy module from its file and reject a broken one before anything runs."""

from __future__ import annotations

import ast
import importlib.util
import inspect
import sys
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import pandas as pd

from trade_executor.errors import StrategyModuleError, StrategyRuntimeError
from trade_executor.identifiers import ChainId
from trade_executor.market.candles import parse_time_frame
from trade_executor.strategy.parameters import StrategyParameters, read_parameters

SUPPORTED_ENGINE_VERSIONS = ("1.0",)
CURRENT_ENGINE_VERSION = SUPPORTED_ENGINE_VERSIONS[-1]
EXAMPLE = "strategies/eth-usd-sma.py"

REQUIRED_FUNCTIONS = {
    "create_trading_universe": "def create_trading_universe(timestamp, data, execution_context, options):",
    "decide_trades": "def decide_trades(input):",
}


@dataclass(frozen=True)
class StrategyModule:
    """A loaded and checked strategy module."""

    path: Path
    strategy_id: str
    source: str
    engine_version: str
    cycle_duration: pd.Timedelta
    chain_id: int
    exchange_slug: str
    reserve_currency: str
    parameters: StrategyParameters
    create_trading_universe: Callable
    decide_trades: Callable
    create_indicators: Callable | None
    module: ModuleType


def strategy_id_of(path: Path | str) -> str:
    """The strategy id is the file's base name: strategies/eth-usd-sma.py -> eth-usd-sma."""
    return Path(path).stem


def load_strategy_module(path: Path | str) -> StrategyModule:
    path = Path(path)
    shown = str(path)
    if not path.is_file():
        raise StrategyModuleError(f"Strategy file {shown} does not exist. Give the path of a .py strategy module (see {EXAMPLE}).", path=shown)
    source = path.read_text(encoding="utf-8")
    try:
        code = compile(source, shown, "exec")
    except SyntaxError as e:
        text = (e.text or "").rstrip()
        raise StrategyModuleError(f"{shown}:{e.lineno}: syntax error: {e.msg}\n    {text}\nFix the line and load again.", path=shown, line=e.lineno) from None
    module = _execute(code, path, shown)
    return _check(module, path, shown, source)


def _execute(code, path: Path, shown: str) -> ModuleType:
    name = f"trade_executor_strategy_{strategy_id_of(path).replace('-', '_')}"
    spec = importlib.util.spec_from_loader(name, loader=None, origin=str(path))
    module = importlib.util.module_from_spec(spec)
    module.__file__ = str(path)
    sys.modules[name] = module
    try:
        exec(code, module.__dict__)
    except (Exception, SystemExit) as e:  # sys.exit() at import is a broken module too, not a quiet end
        line = _line_in(e, str(path))
        where = f"{shown}:{line}" if line else shown
        raise StrategyModuleError(f"{where}: loading the module raised {type(e).__name__}: {e}. Fix the module so it imports cleanly.", path=shown, line=line) from e
    return module


def _line_in(error: BaseException, filename: str) -> int | None:
    lines = [frame.lineno for frame in traceback.extract_tb(error.__traceback__) if frame.filename == filename]
    return lines[-1] if lines else None


def _constant(module: ModuleType, *names: str):
    for name in names:
        if hasattr(module, name):
            return getattr(module, name)
    return None


def _module_assignment_line(source: str, *names: str) -> int | None:
    """Line of a module-level assignment, for pointing error messages at it."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return None
    for node in tree.body:
        targets = node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(node, ast.AnnAssign) else []
        if any(isinstance(t, ast.Name) and t.id in names for t in targets):
            return node.lineno
    return None


def _check_engine_version(module: ModuleType, fail, source: str) -> str:
    names = ("trading_strategy_engine_version", "TRADING_STRATEGY_ENGINE_VERSION")
    version = _constant(module, *names)
    if version is None:
        raise fail(f'no engine version. Add `trading_strategy_engine_version = "{CURRENT_ENGINE_VERSION}"` at the top of the module.')
    if str(version) not in SUPPORTED_ENGINE_VERSIONS:
        raise fail(line=_module_assignment_line(source, *names), message=f"engine version {version!r} is not one this trade-executor knows ({', '.join(SUPPORTED_ENGINE_VERSIONS)}). Set it to \"{CURRENT_ENGINE_VERSION}\" and check the module against {EXAMPLE}.")
    return str(version)


def _check_functions(module: ModuleType, fail) -> dict[str, Callable | None]:
    functions: dict[str, Callable | None] = {}
    for name, signature in REQUIRED_FUNCTIONS.items():
        function = getattr(module, name, None)
        if not callable(function):
            raise fail(f"the function {name} is missing. Define `{signature}` (see {EXAMPLE}).")
        functions[name] = function
    if len(inspect.signature(functions["decide_trades"]).parameters) < 1:
        raise fail("decide_trades takes no argument. Define it as `def decide_trades(input):`.")
    create_indicators = getattr(module, "create_indicators", None)
    if create_indicators is not None and not callable(create_indicators):
        raise fail("create_indicators is not a function. Define `def create_indicators(timestamp, parameters, universe, execution_context):` or remove it.")
    functions["create_indicators"] = create_indicators
    return functions


def _check(module: ModuleType, path: Path, shown: str, source: str) -> StrategyModule:
    def fail(message: str, line: int | None = None) -> StrategyModuleError:
        where = f"{shown}:{line}" if line else shown
        return StrategyModuleError(f"{where}: {message}", path=shown, line=line)

    version = _check_engine_version(module, fail, source)
    functions = _check_functions(module, fail)
    create_indicators = functions.pop("create_indicators")
    cycle = _constant(module, "trading_strategy_cycle", "TRADING_STRATEGY_CYCLE")
    if cycle is None:
        raise fail('no cycle duration. Add `trading_strategy_cycle = "1h"` (or "4h", "1d"...).')
    try:
        cycle_duration = parse_time_frame(getattr(cycle, "value", cycle))
    except Exception as e:
        raise fail(f"trading_strategy_cycle {cycle!r}: {e}") from None
    chain = _constant(module, "chain_id", "CHAIN_ID")
    if chain is None:
        raise fail("no chain. Add `chain_id = ChainId.ethereum` (or bsc, polygon, arbitrum, anvil, or a chain id number).")
    exchange = _constant(module, "exchange", "EXCHANGE") or "uniswap-v2"
    reserve = _constant(module, "reserve_currency", "RESERVE_CURRENCY")
    if not isinstance(reserve, str):
        raise fail('no reserve currency. Add `reserve_currency = "USDC"` (the stablecoin the strategy keeps its cash in).')
    parameters_class = getattr(module, "Parameters", None)
    if not isinstance(parameters_class, type):
        raise fail("no `class Parameters:`. Add one with at least `initial_cash = 10_000`.")
    parameters = read_parameters(parameters_class, path=shown, source=source)
    return StrategyModule(
        path=path,
        strategy_id=strategy_id_of(path),
        source=source,
        engine_version=version,
        cycle_duration=cycle_duration,
        chain_id=int(chain) if not isinstance(chain, ChainId) else chain.value,
        exchange_slug=str(exchange),
        reserve_currency=reserve,
        parameters=parameters,
        create_trading_universe=functions["create_trading_universe"],
        decide_trades=functions["decide_trades"],
        create_indicators=create_indicators,
        module=module,
    )


def call_with_supported_arguments(function: Callable, **arguments):
    """Call a strategy hook with the arguments it declares; newer ones are not forced on old modules.

    ``sys.exit()`` in a hook is a strategy bug, never a quiet end of the run: a StrategyRuntimeError.
    """
    parameters = inspect.signature(function).parameters
    if not any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values()):
        arguments = {k: v for k, v in arguments.items() if k in parameters}
    try:
        return function(**arguments)
    except SystemExit as e:
        line = _line_in(e, function.__code__.co_filename) if hasattr(function, "__code__") else None
        where = f" at {function.__code__.co_filename}:{line}" if line else ""
        raise StrategyRuntimeError(f"{getattr(function, '__name__', 'the strategy')} called sys.exit({e.code!r}){where}: a strategy hook returns, it never exits the process.") from e
