"""A strategy's ``Parameters`` class, checked before anything runs.

Known engine parameters have fixed types and ranges; a strategy's own parameters are checked
against their annotations (``fast_sma: int = 20``). Errors name the file, line and fix.

A parameter may also be a search space: a list or ``range`` of values (``fast_sma: int = [12, 24]``),
each value checked like a single one. Only a parameter search (``trade-executor grid-search``) may
load such a module; it picks one combination per backtest through ``overrides``. Every other run
refuses it, since a backtest or a live trader runs exactly one set of values.
"""

from __future__ import annotations

import ast
import contextvars
import difflib
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from trade_executor.errors import StrategyModuleError
from trade_executor.execution.fill_models import FILL_MODEL_NAMES
from trade_executor.market.dates import iso_date_problem


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


def _optional_period(value):
    if value is None:
        return None
    from trade_executor.market.candles import parse_time_frame

    if not isinstance(value, str):
        raise ValueError(f"must be a period like '200h' or '30d', or None, not {value!r}")
    try:
        parse_time_frame(value)
    except Exception as e:  # noqa: BLE001 - the parser says what is wrong
        raise ValueError(f"{value!r} is not a period like '200h' or '30d' ({e})") from None
    return value


def _optional_date(value):
    if value is not None and not isinstance(value, str):
        raise ValueError(f"must be text like '2018-01-01' or None, not {value!r}")
    problem = iso_date_problem(value) if value is not None else None
    if problem:
        raise ValueError(f"{value!r} {problem}: write it year-month-day, e.g. '2018-06-01'")
    return value


ENGINE_PARAMETERS: dict[str, EngineParameter] = {
    "initial_cash": EngineParameter(None, _number(0, inclusive_low=False), "reserve currency deposited at the start of a backtest"),
    "fill_model": EngineParameter("constant_product", _choice(*FILL_MODEL_NAMES), "how backtest swaps fill"),
    "pool_liquidity_usd": EngineParameter(None, _number(0, inclusive_low=False, allow_none=True), "USD value of each pool's quote side, when the data has no liquidity column"),
    "simple_fee_rate": EngineParameter(Decimal("0.003"), _number(0, 0.1), "fee of the simple fill model, as a fraction"),
    "gas_units_per_swap": EngineParameter(None, _optional_int, "gas per swap; default by chain (0 in the simple fill model)"),
    "gas_price_gwei": EngineParameter(None, _number(0, allow_none=True), "gas price; default by chain"),
    "native_token_price_usd": EngineParameter(None, _number(0, inclusive_low=False, allow_none=True), "USD price of the gas token when the universe has no pair for it"),
    "minimum_trade_value": EngineParameter(Decimal("1"), _number(0), "orders worth less (in the reserve currency) are skipped, not sent as dust"),
    "slippage_tolerance": EngineParameter(Decimal("0.005"), _number(0, 1, inclusive_low=False), "maximum slippage accepted on a live swap"),
    "max_price_impact": EngineParameter(
        Decimal("0.02"), _number(0, 1, inclusive_low=False), "a swap that would move its pool's price more than this fraction is refused, live and in backtests"
    ),
    "required_history_period": EngineParameter(
        None, _optional_period, "live: the candle history the strategy needs at start, e.g. '200h'; default: twice its indicators' longest warm-up, at least 100 candles"
    ),
    "backtest_start": EngineParameter(None, _optional_date, "first cycle of a backtest (the CLI overrides it)"),
    "backtest_end": EngineParameter(None, _optional_date, "last cycle of a backtest (the CLI overrides it)"),
}


class StrategyParameters:
    """Read-only attribute access to the checked values: ``input.parameters.fast_sma``."""

    def __init__(self, values: dict[str, Any], search_space: dict[str, list] | None = None):
        object.__setattr__(self, "_values", dict(values))
        object.__setattr__(self, "_search_space", dict(search_space or {}))

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

    def search_space(self) -> dict[str, list]:
        """Parameters given as a list or range, with their values as written (empty for a plain module)."""
        return {name: list(values) for name, values in object.__getattribute__(self, "_search_space").items()}

    def __repr__(self) -> str:
        return f"Parameters({', '.join(f'{k}={v!r}' for k, v in self.as_dict().items())})"


_SEARCH_ALLOWED: contextvars.ContextVar[bool] = contextvars.ContextVar("search_space_allowed", default=False)


@contextmanager
def allowing_search_space() -> Iterator[None]:
    """Load strategy modules whose Parameters hold lists of values (the parameter search does)."""
    token = _SEARCH_ALLOWED.set(True)
    try:
        yield
    finally:
        _SEARCH_ALLOWED.reset(token)


def is_search_space(value: Any, annotation: Any = None) -> bool:
    """A list or range is a set of values to try, unless its annotation says the list itself is the value."""
    if not isinstance(value, (list, range)):
        return False
    if annotation is None:
        return True
    from pydantic import TypeAdapter

    try:
        TypeAdapter(annotation).validate_python(value, strict=True)
    except Exception:
        return True
    return False


def read_parameters(parameters_class: type, *, path: str, source: str, overrides: Mapping[str, Any] | None = None) -> StrategyParameters:
    """Check a ``Parameters`` class and return its values, engine defaults filled in.

    ``overrides`` replace values of the class (one combination of a search space); they are
    checked exactly like values written in the module.
    """
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
    space = {name: list(value) for name, value in raw.items() if is_search_space(value, annotations.get(name))}
    raw = _apply_overrides(raw, dict(overrides or {}), fail)
    searching = [name for name in space if name not in (overrides or {})]
    if searching and not _SEARCH_ALLOWED.get():
        name = searching[0]
        raise fail(
            name,
            f"is a search space {_shorten(raw[name])}, but a backtest or live run needs one value",
            f"Give it a single value, or try every combination with `trade-executor grid-search --strategy-file={path}`.",
        )
    values: dict[str, Any] = {}
    for name, spec in ENGINE_PARAMETERS.items():
        values[name] = _check_value(name, raw.get(name, spec.default), name in searching, lambda v, spec=spec: spec.check(v), spec.help, fail)
    for name, value in raw.items():
        if name not in ENGINE_PARAMETERS:
            values[name] = _check_value(name, value, name in searching, lambda v, name=name: _check_annotated(annotations.get(name), v), "", fail)
    return StrategyParameters(values, space)


def _apply_overrides(raw: dict[str, Any], overrides: dict[str, Any], fail) -> dict[str, Any]:
    for name in overrides:
        if name not in raw and name not in ENGINE_PARAMETERS:
            close = difflib.get_close_matches(name, [*raw, *ENGINE_PARAMETERS], n=1)
            hint = f" Did you mean {close[0]}?" if close else ""
            raise fail(name, "is not a parameter of this strategy", f"Search only parameters its class Parameters defines.{hint}")
    return {**raw, **overrides}


def _check_value(name: str, value: Any, searching: bool, check: Callable[[Any], Any], help: str, fail) -> Any:
    """Check one value, or every value of a search space (the space then keeps its first checked value)."""
    candidates = list(value) if searching else [value]
    if not candidates:
        raise fail(name, "is an empty search space []", "Give it at least one value.")
    checked = []
    for candidate in candidates:
        try:
            checked.append(check(candidate))
        except ValueError as e:
            which = f"value {candidate!r} of the search space " if searching else ""
            raise fail(name, f"{which}{e}", f"It is the {help}." if help else "Fix the value.") from None
        except TypeError as e:
            expected = str(e)
            which = f" (in the search space {_shorten(value)})" if searching else ""
            raise fail(name, f"is {candidate!r} ({type(candidate).__name__}){which}, but is annotated as {expected}", f"Give it a {expected} value.") from None
    return checked[0]


def _check_annotated(annotation: Any, value: Any) -> Any:
    """A strategy's own parameter against its annotation; TypeError(expected type name) when it does not fit."""
    if annotation is None or type(value) is annotation:  # the usual case, without importing pydantic (70 ms)
        return value
    from pydantic import TypeAdapter, ValidationError

    try:
        TypeAdapter(annotation).validate_python(value, strict=True)
    except ValidationError:
        raise TypeError(getattr(annotation, "__name__", str(annotation))) from None
    except Exception:  # an annotation pydantic cannot check (a string annotation, a custom class): trust it
        pass
    return value


def _shorten(values: Any) -> str:
    text = repr(values)
    return text if len(text) <= 60 else text[:57] + "..."


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
