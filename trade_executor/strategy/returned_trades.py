"""Check the list decide_trades returned before anything is signed or filled.

Only the trades the position manager planned in this cycle, each once, may run: a trade listed
twice would send two swaps for one decision (and in a backtest take the cash twice), and a trade
kept from an earlier cycle is a decision already settled.
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from functools import cache
from pathlib import Path

from trade_executor.errors import StrategyRuntimeError
from trade_executor.state import TradeExecution


def check_returned_trades(trades: list[TradeExecution], planned: list[TradeExecution], decide_trades: Callable) -> None:
    """Raise StrategyRuntimeError naming the strategy's lines when ``trades`` is not a subset of ``planned``, each once."""
    if len(trades) == len(planned) and all(a is b for a, b in zip(trades, planned, strict=True)):
        return  # the usual case: every planned trade, in order
    seen: set[int] = set()
    planned_ids = {id(t) for t in planned}
    for trade in trades:
        described = f"trade #{trade.trade_id} ({'buy' if trade.is_buy else 'sell'} {trade.pair.ticker})"
        if id(trade) in seen:
            raise StrategyRuntimeError(
                f"decide_trades ({return_location(decide_trades)}) returned {described} twice: each planned trade must be in the "
                "returned list once (`return trades + trades` would send two swaps for one decision). Nothing was executed."
            )
        seen.add(id(trade))
        if id(trade) not in planned_ids:
            raise StrategyRuntimeError(
                f"decide_trades ({return_location(decide_trades)}) returned {described}, which the position manager did not plan in "
                f"this cycle (status {trade.status.value}): return only the trades its methods gave you this cycle. Nothing was executed."
            )


def return_location(function: Callable) -> str:
    """``file:line`` of the function's return statement, or of its definition when it has several."""
    code = getattr(function, "__code__", None)
    if code is None:
        return "decide_trades"
    lines = _return_lines(code.co_filename, code.co_firstlineno)
    line = lines[0] if len(lines) == 1 else code.co_firstlineno
    return f"{code.co_filename}:{line}"


@cache
def _return_lines(filename: str, first_line: int) -> tuple[int, ...]:
    try:
        tree = ast.parse(Path(filename).read_text(encoding="utf-8"))
    except (OSError, SyntaxError, ValueError):
        return ()
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and first_line in (node.lineno, *(d.lineno for d in node.decorator_list)):
            return tuple(r.lineno for r in _own_returns(node) if r.value is not None)
    return ()


def _own_returns(function: ast.AST):
    """Return statements of this function, not of functions or classes nested in it."""
    for child in ast.iter_child_nodes(function):
        if isinstance(child, ast.Return):
            yield child
        elif not isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda | ast.ClassDef):
            yield from _own_returns(child)
