"""A strategy's ``Parameters`` class, checked before anything runs.

Known engine parameters have fixed types and ranges; a strategy's own parameters are checked
against their annotations (``fast_sma: int = 20``). Errors name the file, line and fix.
"""

from __future__ import annotations

import ast
import difflib
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from pydantic import TypeAdapter, ValidationError

from trade_executor.errors import StrategyModuleError


@dataclass(frozen=True)
class EngineParameter:
    default: Any
    check: Callable[[Any], Any]
    help: str


def _number(low: float | None = None, high: float | None = None, *, allow_none: bool = False, inclusive_low: bool = True):
    def check(value):
        if value is None and allow_none:
            return None
        if isinstance(value, bool) or not isinstance(value, (int, float, Decimal)):
            raise ValueError(f"must be a number, not {type(value).__name__} {value!r}")
        try:
            number = Decimal(str(value))
        except InvalidOperation:
            raise ValueError(f"must be a finite number, not {value!r}") from None
        if not number.is_finite():
            raise ValueError(f"must be a finite number, not {value!r}")
        if low is not None and (number < Decimal(str(low)) or (not inclusive_low and number == Decimal(str(low)))):
            raise ValueError(f"must be {'at least' if inclusive_low else 'more than'} {low}, not {value!r}")
        if high is not None and number >= Decimal(str(high)):
            raise ValueError(f"must be below {high}, not {value!r}")
        return number

    return check


def _choice(*options: str):
    def check(value):
        if value not in options:
            raise ValueError(f"must be one of {', '.join(repr(o) for o in options)}, not {value!r}")
        return value

    return check


def _optional_int(value):
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"must be a whole number of gas units (>= 0), not {value!r}")
    return value


def _optional_text(value):
    if value is not None and not isinstance(value, str):
        raise ValueError(f"must be text like '2018-01-01' or None, not {value!r}")
    return value


ENGINE_PARAMETERS: dict[str, EngineParameter] = {
    "initial_cash": EngineParameter(None, _number(0, inclusive_low=False), "reserve currency deposited at the start of a backtest"),
    "fill_model": EngineParameter("constant_product", _choice("constant_product", "simple"), "how backtest swaps fill"),
    "pool_liquidity_usd": EngineParameter(None, _number(0, inclusive_low=False, allow_none=True), "USD value of each pool's quote side, when the data has no liquidity column"),
    "simple_fee_rate": EngineParameter(Decimal("0.003"), _number(0, 0.1), "fee of the simple fill model, as a fraction"),
    "gas_units_per_swap": EngineParameter(None, _optional_int, "gas per swap; default by chain (0 in the simple fill model)"),
    "gas_price_gwei": EngineParameter(None, _number(0, allow_none=True), "gas price; default by chain"),
    "native_token_price_usd": EngineParameter(None, _number(0, inclusive_low=False, allow_none=True), "USD price of the gas token when the universe has no pair for it"),
    "minimum_trade_value": EngineParameter(Decimal("1"), _number(0), "orders worth less (in the reserve currency) are skipped, not sent as dust"),
    "slippage_tolerance": EngineParameter(Decimal("0.005"), _number(0, 1, inclusive_low=False), "maximum slippage accepted on a live swap"),
    "backtest_start": EngineParameter(None, _optional_text, "first cycle of a backtest (the CLI overrides it)"),
    "backtest_end": EngineParameter(None, _optional_text, "last cycle of a backtest (the CLI overrides it)"),
}


class StrategyParameters:
    """Read-only attribute access to the checked values: ``input.parameters.fast_sma``."""

    def __init__(self, values: dict[str, Any]):
        object.__setattr__(self, "_values", dict(values))

    def __getattr__(self, name: str) -> Any:
        values = object.__getattribute__(self, "_values")
        if name in values:
            return values[name]
        close = difflib.get_close_matches(name, list(values), n=1)
        hint = f" Did you mean {close[0]}?" if close else ""
        raise AttributeError(f"Parameters has no {name!r}.{hint}")

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("Parameters are read-only while a strategy runs; change them in the strategy module.")

    def as_dict(self) -> dict[str, Any]:
        return dict(object.__getattribute__(self, "_values"))

    def __repr__(self) -> str:
        return f"Parameters({', '.join(f'{k}={v!r}' for k, v in self.as_dict().items())})"


def read_parameters(parameters_class: type, *, path: str, source: str) -> StrategyParameters:
    """Check a ``Parameters`` class and return its values, engine defaults filled in."""
    lines = _assignment_lines(source)
    raw = {k: v for k, v in vars(parameters_class).items() if not k.startswith("_") and not callable(v) and not isinstance(v, (classmethod, staticmethod, property))}
    annotations = getattr(parameters_class, "__annotations__", {})

    def fail(name: str, problem: str, fix: str) -> StrategyModuleError:
        line = lines.get(name)
        where = f"{path}:{line}" if line else path
        return StrategyModuleError(f"{where}: Parameters.{name} {problem}. {fix}", path=path, line=line)

    if "initial_cash" not in raw:
        close = difflib.get_close_matches("initial_cash", list(raw), n=1)
        line = lines.get(close[0]) if close else lines.get("__class__")
        where = f"{path}:{line}" if line else path
        hint = f" (is {close[0]} a misspelling?)" if close else ""
        raise StrategyModuleError(f"{where}: Parameters has no initial_cash{hint}. Add `initial_cash = 10_000` to class Parameters.", path=path, line=line)
    values: dict[str, Any] = {}
    for name, spec in ENGINE_PARAMETERS.items():
        value = raw.get(name, spec.default)
        try:
            values[name] = spec.check(value)
        except ValueError as e:
            raise fail(name, str(e), f"It is the {spec.help}.") from None
    for name, value in raw.items():
        if name in ENGINE_PARAMETERS:
            continue
        if name in annotations:
            try:
                TypeAdapter(annotations[name]).validate_python(value, strict=True)
            except ValidationError:
                expected = getattr(annotations[name], "__name__", str(annotations[name]))
                raise fail(name, f"is {value!r} ({type(value).__name__}), but is annotated as {expected}", f"Give it a {expected} value.") from None
            except Exception:  # an annotation pydantic cannot check (a string annotation, a custom class): trust it
                pass
        values[name] = value
    return StrategyParameters(values)


def _assignment_lines(source: str) -> dict[str, int]:
    """Line of each assignment inside ``class Parameters``, for error messages."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return {}
    for node in tree.body:
        if isinstance(node, ast.ClassDef) and node.name == "Parameters":
            found = {"__class__": node.lineno}
            for item in node.body:
                if isinstance(item, ast.Assign):
                    for target in item.targets:
                        if isinstance(target, ast.Name):
                            found[target.id] = item.lineno
                elif isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name):
                    found[item.target.id] = item.lineno
            return found
    return {}
