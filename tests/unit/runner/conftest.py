"""Builders for tiny, deterministic backtests: candle frames made by hand, a real strategy module
written to tmp_path, a real universe from ``MarketDataLoader.from_frames`` and a real BacktestRun."""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Sequence

import pandas as pd
import pytest

from trade_executor.market.loader import MarketDataLoader
from trade_executor.runner.backtest import BacktestOptions, BacktestResult, BacktestRun
from trade_executor.strategy.module import StrategyModule, load_strategy_module

T0 = pd.Timestamp("2021-01-01 00:00")

STRATEGY_TEMPLATE = '''\
"""A strategy written by a test."""
from decimal import Decimal

from trade_executor.strategy.api import ChainId

trading_strategy_engine_version = "1.0"
trading_strategy_cycle = "{cycle}"
chain_id = ChainId.ethereum
exchange = "uniswap-v2"
reserve_currency = "USDC"


class Parameters:
{parameters}


def create_trading_universe(timestamp, data, execution_context, options):
    raise AssertionError("the test builds the universe itself")


def decide_trades(input):
    pm = input.position_manager
    pair = input.universe.get_single_pair()
{decide}
'''


def make_candles(
    rows: Sequence[tuple[float, float, float, float]], start: pd.Timestamp = T0, freq: str = "1h", index: Sequence | None = None
) -> pd.DataFrame:
    """A candle frame from (open, high, low, close) rows, one bar per ``freq`` from ``start``."""
    if index is None:
        index = pd.date_range(start, periods=len(rows), freq=freq)
    return pd.DataFrame(
        {
            "open": [r[0] for r in rows],
            "high": [r[1] for r in rows],
            "low": [r[2] for r in rows],
            "close": [r[3] for r in rows],
            "volume": [1.0] * len(rows),
        },
        index=pd.DatetimeIndex(index, name="timestamp"),
    )


def flat(price: float, count: int) -> list[tuple[float, float, float, float]]:
    return [(price, price, price, price)] * count


@pytest.fixture
def candles() -> Callable[..., pd.DataFrame]:
    return make_candles


@pytest.fixture
def flat_candles() -> Callable[[float, int], list]:
    return flat


@pytest.fixture
def write_strategy(tmp_path) -> Callable[..., StrategyModule]:
    def write(decide: str, parameters: dict | None = None, *, cycle: str = "1h", name: str = "test_strategy") -> StrategyModule:
        parameters = {"initial_cash": 10_000, **(parameters or {})}
        lines = "\n".join(f"    {key} = {value!r}" for key, value in parameters.items())
        source = STRATEGY_TEMPLATE.format(
            cycle=cycle, parameters=lines, decide=textwrap.indent(textwrap.dedent(decide).strip("\n"), "    ")
        )
        path = tmp_path / f"{name}.py"
        path.write_text(source)
        return load_strategy_module(path)

    return write


@pytest.fixture
def backtest(write_strategy) -> Callable[..., BacktestResult]:
    """Run ``decide`` (the body of decide_trades; ``pm`` and ``pair`` are defined) over ``frame``."""

    def run(
        decide: str,
        frame: pd.DataFrame,
        parameters: dict | None = None,
        *,
        stop_loss_frame: pd.DataFrame | None = None,
        **universe_options,
    ) -> BacktestResult:
        strategy = write_strategy(decide, parameters)
        loader = MarketDataLoader(strategy.chain_id, strategy.exchange_slug, strategy.reserve_currency)
        if stop_loss_frame is not None:
            universe_options["stop_loss_frames"] = {"ETH": stop_loss_frame}
        universe = loader.from_frames({"ETH": frame}, **universe_options)
        return BacktestRun(strategy, universe, BacktestOptions()).run()

    return run
