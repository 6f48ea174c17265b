"""Loading a strategy module: a broken one stops before anything trades, saying where and how to fix it.

The broken modules are real files in ``tests/strategies/broken/``; each test names the line the
message must point at by the text on that line, so the expectation is checked against the file.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest

from trade_executor.errors import StrategyModuleError
from trade_executor.identifiers import ChainId
from trade_executor.strategy.module import load_strategy_module

REPO = Path(__file__).resolve().parents[3]
BROKEN = REPO / "tests" / "strategies" / "broken"
EXAMPLE = REPO / "strategies" / "eth-usd-sma.py"


def line_of(path: Path, text: str) -> int:
    """1-based number of the only line of ``path`` that contains ``text``."""
    found = [n for n, line in enumerate(path.read_text().splitlines(), start=1) if text in line]
    assert len(found) == 1, f"{text!r} should be on exactly one line of {path}, found on {found}"
    return found[0]


def load_error(name: str) -> tuple[Path, StrategyModuleError]:
    path = BROKEN / name
    assert path.is_file(), path
    with pytest.raises(StrategyModuleError) as info:
        load_strategy_module(path)
    return path, info.value


# --- errors with a line ------------------------------------------------------------------------


def test_syntax_error_names_file_and_line():
    path, error = load_error("broken_syntax.py")
    message = str(error)
    assert f"{path}:7" in message
    assert line_of(path, "def decide_trades(input)") == 7
    assert "syntax error" in message.lower()
    assert "def decide_trades(input)" in message  # the offending source line is shown
    assert error.path == str(path)
    assert error.line == 7


def test_module_raising_at_import_names_line_and_exception():
    path, error = load_error("raises_at_import.py")
    line = line_of(path, 'MEDIUM_WINDOW = WINDOWS["medium"]')
    message = str(error)
    assert f"{path}:{line}" in message
    assert "KeyError" in message
    assert "'medium'" in message
    assert error.line == line
    assert isinstance(error.__cause__, KeyError)


def test_engine_parameter_of_wrong_type_names_line_and_expected_type():
    path, error = load_error("initial_cash_str.py")
    line = line_of(path, 'initial_cash = "10000"')
    message = str(error)
    assert f"{path}:{line}" in message
    assert "Parameters.initial_cash" in message
    assert "must be a number" in message
    assert "'10000'" in message
    assert error.line == line


def test_custom_parameter_of_wrong_type_names_line_and_annotation():
    path, error = load_error("custom_parameter_wrong_type.py")
    line = line_of(path, 'fast_sma: int = "20"')
    message = str(error)
    assert f"{path}:{line}" in message
    assert "Parameters.fast_sma" in message
    assert "'20'" in message
    assert "annotated as int" in message
    assert error.line == line


# --- errors about something missing ------------------------------------------------------------


def test_missing_decide_trades_says_what_to_define():
    path, error = load_error("missing_decide_trades.py")
    message = str(error)
    assert str(path) in message
    assert "decide_trades is missing" in message
    assert "Define `def decide_trades(input):`" in message


def test_missing_create_trading_universe_says_what_to_define():
    path, error = load_error("missing_create_trading_universe.py")
    message = str(error)
    assert str(path) in message
    assert "create_trading_universe is missing" in message
    assert "Define `def create_trading_universe(timestamp, data, execution_context, options):`" in message


def test_unknown_engine_version_names_version_and_the_supported_one():
    path, error = load_error("unknown_engine_version.py")
    message = str(error)
    assert str(path) in message
    assert "'0.1'" in message
    assert 'Set it to "1.0"' in message


def test_misspelled_initial_cash_points_at_the_misspelling():
    path, error = load_error("misspelled_initial_cash.py")
    message = str(error)
    assert str(path) in message
    assert "no initial_cash" in message
    assert "inital_cash" in message and "misspelling" in message
    assert "initial_cash = 10_000" in message  # the fix


def test_unknown_engine_version_names_the_line():
    path, error = load_error("unknown_engine_version.py")
    line = line_of(path, 'trading_strategy_engine_version = "0.1"')
    assert f"{path}:{line}" in str(error)
    assert error.line == line


def test_misspelled_initial_cash_names_the_misspelled_line():
    path, error = load_error("misspelled_initial_cash.py")
    line = line_of(path, "inital_cash = 10_000")
    assert f"{path}:{line}" in str(error)
    assert error.line == line


def test_missing_file_is_a_strategy_module_error(tmp_path):
    path = tmp_path / "nope.py"
    with pytest.raises(StrategyModuleError) as info:
        load_strategy_module(path)
    assert str(path) in str(info.value)
    assert "does not exist" in str(info.value)


@pytest.mark.parametrize(
    "name",
    [
        "broken_syntax.py",
        "missing_decide_trades.py",
        "missing_create_trading_universe.py",
        "unknown_engine_version.py",
        "initial_cash_str.py",
        "custom_parameter_wrong_type.py",
        "misspelled_initial_cash.py",
        "raises_at_import.py",
    ],
)
def test_every_broken_fixture_is_rejected_with_its_path(name):
    path, error = load_error(name)
    assert str(path) in str(error)
    assert error.path == str(path)


# --- a good module ------------------------------------------------------------------------------


def test_example_module_loads_with_engine_defaults_filled():
    strategy = load_strategy_module(EXAMPLE)
    assert strategy.strategy_id == "eth-usd-sma"
    assert strategy.engine_version == "1.0"
    assert strategy.cycle_duration == pd.Timedelta(hours=1)
    assert strategy.chain_id == ChainId.ethereum == 1
    assert strategy.exchange_slug == "uniswap-v2"
    assert strategy.reserve_currency == "USDC"
    assert strategy.create_indicators is not None

    parameters = strategy.parameters
    # Given in the module.
    assert parameters.initial_cash == Decimal("10000")
    assert isinstance(parameters.initial_cash, Decimal)
    assert parameters.fast_sma == 24 and parameters.slow_sma == 96
    assert parameters.pool_liquidity_usd == Decimal("5000000")
    # Filled in by the engine.
    assert parameters.minimum_trade_value == Decimal("1")
    assert isinstance(parameters.minimum_trade_value, Decimal)
    assert parameters.fill_model == "constant_product"
    assert parameters.simple_fee_rate == Decimal("0.003")
    assert parameters.slippage_tolerance == Decimal("0.005")
    assert parameters.gas_units_per_swap is None
    assert parameters.backtest_start is None


def test_parameters_are_read_only_and_suggest_a_close_name():
    parameters = load_strategy_module(EXAMPLE).parameters
    with pytest.raises(AttributeError, match="read-only"):
        parameters.fast_sma = 5
    with pytest.raises(AttributeError, match="Did you mean fast_sma"):
        parameters.fast_smaa  # noqa: B018
