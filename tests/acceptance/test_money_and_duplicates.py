"""Backtests that must not lose money to arithmetic or to a strategy bug: cheap tokens, bad sizes, duplicate trades.

- A token at $0.000000001 with 18 decimals is an ordinary DEX token: $10,000 of it (1e13 tokens,
  1e31 wei) is bought and sold exactly, to the token unit, as the Uniswap v2 formula gives it.
- ``open_long`` with NaN, inf, -inf or 1e30 USDC is a strategy bug: the run stops with a clear
  message naming the strategy line and the value (never a bare ``decimal.InvalidOperation``).
- A trade returned twice, or a trade the position manager did not plan in this cycle, stops the
  run before anything fills, naming the line of decide_trades' return: the cash is never taken twice.
"""

from __future__ import annotations

import re
import shutil
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import pandas as pd
import pytest

from trade_executor.errors import StrategyRuntimeError
from trade_executor.market.amm import get_amount_out
from trade_executor.runner.backtest import BacktestOptions, BacktestRun, build_universe
from trade_executor.state import TradeStatus
from trade_executor.strategy.context import ExecutionContext, ExecutionMode
from trade_executor.strategy.module import load_strategy_module

STRATEGIES = Path(__file__).resolve().parents[1] / "strategies"
CHEAP_TOKEN = STRATEGIES / "cheap_token.py"
BAD_VALUE = STRATEGIES / "open_long_bad_value.py"
DUPLICATE = STRATEGIES / "duplicate_trades.py"
STALE = STRATEGIES / "stale_trade.py"

PEPE_PRICE = Decimal("1e-9")
LIQUIDITY = 100_000_000  # cheap_token.py's pool_liquidity_usd
WEI = 10**18
USDC_UNITS = 10**6


def line_of(path: Path, text: str) -> int:
    """1-based number of the last line of ``path`` containing ``text`` (the code, after any docstring quoting it)."""
    return max(n for n, line in enumerate(path.read_text().splitlines(), 1) if text in line)


def run_backtest(path: Path):
    """(BacktestRun, the exception it stopped with or None): the state is kept either way, to be inspected first."""
    strategy = load_strategy_module(path)
    universe = build_universe(strategy, BacktestOptions(), ExecutionContext(ExecutionMode.backtesting, strategy.engine_version))
    run = BacktestRun(strategy, universe, BacktestOptions())
    try:
        run.run()
    except Exception as error:  # noqa: BLE001 - the tests check the state first, then that this is a StrategyRuntimeError
        return run, error
    return run, None


def all_trades(state):
    return sorted((t for p in state.portfolio.get_all_positions() for t in p.trades.values()), key=lambda t: t.trade_id)


def assert_clean_failure(result, *expected: str) -> str:
    """Exit 1, the expected fragments in the output, and no traceback or bare decimal signal."""
    output = result.stdout + result.stderr
    assert result.returncode == 1, str(result)
    for fragment in expected:
        assert fragment in output, f"{fragment!r} not in the output\n{result}"
    assert "Traceback" not in output, str(result)
    assert "InvalidOperation" not in output and "[<class" not in output, str(result)
    return output


# --- cheap tokens ----------------------------------------------------------------------------


@pytest.fixture
def cheap_token_strategy(tmp_path) -> Path:
    """cheap_token.py beside its data: 24 hourly PEPE candles, flat at $0.000000001."""
    index = pd.date_range("2021-03-01", periods=24, freq="1h", name="timestamp")
    price = float(PEPE_PRICE)
    frame = pd.DataFrame({"open": price, "high": price, "low": price, "close": price, "volume": 1e15}, index=index)
    frame.to_csv(tmp_path / "pepe.csv")
    return Path(shutil.copy(CHEAP_TOKEN, tmp_path / "cheap_token.py"))


def test_ten_thousand_dollars_of_a_token_at_a_billionth_of_a_dollar_buys_and_sells_exactly(cheap_token_strategy):
    run, error = run_backtest(cheap_token_strategy)
    assert error is None, f"the backtest stopped: {error!r}"

    # The pool the constant-product fill model stands in for, in integer token units.
    reserve_quote = LIQUIDITY * USDC_UNITS
    reserve_base = int(Fraction(LIQUIDITY) / Fraction(PEPE_PRICE) * WEI)
    bought = get_amount_out(10_000 * USDC_UNITS, reserve_quote, reserve_base)
    received = get_amount_out(bought, reserve_base, reserve_quote)
    assert bought > 10**30  # about 1e13 tokens

    trades = all_trades(run.state)
    buy, sell = trades[0], trades[1]
    assert buy.status is TradeStatus.success and sell.status is TradeStatus.success
    assert buy.executed_reserve == Decimal(10_000)
    assert Fraction(buy.executed_quantity) == Fraction(bought, WEI), "the fill is not the pool's, to the token unit"
    assert Fraction(sell.executed_quantity) == -Fraction(bought, WEI)
    assert Fraction(sell.executed_reserve) == Fraction(received, USDC_UNITS)
    # The books hold exactly what the fills moved, over every round trip of the backtest.
    cash = Fraction(10_000)
    for trade in trades:
        assert trade.status is TradeStatus.success
        paid_or_received = Fraction(trade.executed_reserve)
        cash += -paid_or_received if trade.is_buy else paid_or_received
    assert Fraction(run.state.portfolio.get_cash()) == cash


@pytest.mark.parametrize(
    ("value", "shown"),
    [("nan", r"nan"), ("inf", r"inf"), ("-inf", r"-inf"), ("1e30", r"1(\.0*)?e\+?30|1000000000000000000000000000000")],
)
def test_open_long_with_a_value_that_is_no_amount_of_money_stops_the_backtest_naming_the_line_and_the_value(te, tmp_path, value, shown):
    result = te.run("backtest", f"--strategy-file={BAD_VALUE}", f"--state-file={tmp_path / 'state.json'}", env={"OPEN_LONG_VALUE": value})
    output = assert_clean_failure(result, f"{BAD_VALUE}:{line_of(BAD_VALUE, 'pm.open_long(')}")
    assert re.search(shown, output, re.IGNORECASE), f"the value {value} is not named\n{result}"


def test_open_long_with_bad_values_raises_a_strategy_error_before_anything_fills():
    for value in ("nan", "inf", "-inf", "1e30"):
        with pytest.MonkeyPatch.context() as patch:
            patch.setenv("OPEN_LONG_VALUE", value)
            run, error = run_backtest(BAD_VALUE)
        assert not all_trades(run.state), f"open_long({value}) traded"
        assert run.state.portfolio.get_cash() == Decimal(10_000)
        assert isinstance(error, StrategyRuntimeError), f"open_long({value}) did not stop the backtest cleanly: {error!r}"
        assert f"{BAD_VALUE}:{line_of(BAD_VALUE, 'pm.open_long(')}" in str(error)
        assert "InvalidOperation" not in str(error)


# --- duplicate and stale trades --------------------------------------------------------------


def test_a_trade_returned_twice_takes_no_cash_and_stops_the_backtest_naming_the_return_line():
    run, error = run_backtest(DUPLICATE)
    portfolio = run.state.portfolio
    assert portfolio.get_cash() == Decimal(10_000), f"the cash was taken for a duplicated trade: {portfolio.get_cash()} left of 10000"
    assert not all_trades(run.state) and not portfolio.open_positions
    assert isinstance(error, StrategyRuntimeError), f"the backtest ran a duplicated trade: {error!r}"
    assert f"{DUPLICATE}:{line_of(DUPLICATE, 'return trades + trades')}" in str(error)
    assert "twice" in str(error)


def test_a_trade_returned_twice_exits_1_through_the_cli_with_the_line_and_no_traceback(te, tmp_path):
    state_file = tmp_path / "state.json"
    result = te.run("backtest", f"--strategy-file={DUPLICATE}", f"--state-file={state_file}")
    assert_clean_failure(result, f"{DUPLICATE}:{line_of(DUPLICATE, 'return trades + trades')}", "twice")
    assert "Backtest summary" not in result.stdout


def test_a_trade_from_an_earlier_cycle_returned_again_stops_the_backtest_before_it_fills_twice():
    run, error = run_backtest(STALE)
    portfolio = run.state.portfolio
    assert portfolio.get_cash() == Decimal(8_000), f"the earlier trade took cash again: {portfolio.get_cash()} left of 8000"
    (trade,) = all_trades(run.state)  # the first cycle's buy, filled once
    assert trade.status is TradeStatus.success
    assert isinstance(error, StrategyRuntimeError), f"the backtest re-ran a trade from an earlier cycle: {error!r}"
    assert f"{STALE}:{line_of(STALE, 'return list(KEPT)')}" in str(error)


def test_a_trade_from_an_earlier_cycle_exits_1_through_the_cli(te, tmp_path):
    result = te.run("backtest", f"--strategy-file={STALE}", f"--state-file={tmp_path / 'state.json'}")
    assert_clean_failure(result, f"{STALE}:{line_of(STALE, 'return list(KEPT)')}")
