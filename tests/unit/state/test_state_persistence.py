"""The state file: an exact JSON round trip, atomic saves, and loads that never destroy what they
cannot read. The state comes from a real small backtest (tests/strategies/round_trip_strategy.py)."""

from __future__ import annotations

import dataclasses
import json
import os
from decimal import Decimal
from pathlib import Path

import pytest

from trade_executor.errors import ConfigurationError, StateError
from trade_executor.reporting.summary import calculate_summary
from trade_executor.runner.backtest import BacktestOptions, BacktestRun, build_universe
from trade_executor.runner.equity import materialise
from trade_executor.runner.saved_backtest import load_backtest_state
from trade_executor.state import JSONFileStore, State, TradeType
from trade_executor.state.serialisation import state_from_json, state_to_json
from trade_executor.state.state import STATE_SCHEMA_VERSION
from trade_executor.strategy.context import ExecutionContext, ExecutionMode
from trade_executor.strategy.module import load_strategy_module

STRATEGY = Path(__file__).resolve().parents[2] / "strategies" / "round_trip_strategy.py"


@pytest.fixture(scope="module")
def backtest_state() -> State:
    strategy = load_strategy_module(STRATEGY)
    universe = build_universe(strategy, BacktestOptions(), ExecutionContext(ExecutionMode.backtesting, strategy.engine_version))
    return BacktestRun(strategy, universe, BacktestOptions()).run().state


@pytest.fixture
def state(backtest_state) -> State:
    """A private copy, so a test may change it."""
    return state_from_json(state_to_json(backtest_state))


def all_trades(state: State):
    return [t for p in state.portfolio.get_all_positions() for t in p.trades.values()]


def decimals_in(value, path="state"):
    """Every Decimal in a state, with where it is, as (path, str(value))."""
    if isinstance(value, Decimal):
        yield path, str(value)
    elif dataclasses.is_dataclass(value):
        for field in dataclasses.fields(value):
            yield from decimals_in(getattr(value, field.name), f"{path}.{field.name}")
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from decimals_in(item, f"{path}[{key!r}]")
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from decimals_in(item, f"{path}[{i}]")


def files_in(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir())


# --- round trip ---------------------------------------------------------------------------------------


def test_the_fixture_state_has_a_bit_of_everything(backtest_state):
    portfolio = backtest_state.portfolio
    types = {t.trade_type for t in all_trades(backtest_state)}
    assert {TradeType.rebalance, TradeType.stop_loss, TradeType.take_profit} <= types
    assert portfolio.closed_positions and portfolio.open_positions
    assert portfolio.balance_updates
    assert backtest_state.backtest.data_gaps == {"ETH-USDC": 1}
    assert backtest_state.backtest.skipped_trades == 1
    assert backtest_state.visualisation.plots["last close"].values
    assert backtest_state.visualisation.messages
    assert len(backtest_state.stats) == 72
    # Decimals whose text differs from their normalised value: the round trip must keep them as written.
    assert any(str(v) != str(Decimal(v).normalize()) for _, v in decimals_in(backtest_state))


def test_backtest_state_round_trips_exactly(backtest_state):
    """Everything but the per-cycle equity columns, which the file holds as segments (rebuilt from candles, below)."""
    data = state_to_json(backtest_state)
    loaded = state_from_json(data)

    assert loaded.stats.segments == backtest_state.stats.segments and len(backtest_state.stats.segments) > 2
    assert len(loaded.stats) == 0 < len(backtest_state.stats)
    loaded.stats = backtest_state.stats
    assert loaded == backtest_state
    assert list(decimals_in(loaded)) == list(decimals_in(backtest_state))  # same Decimals, same digits
    assert state_to_json(loaded) == data
    trade = all_trades(loaded)[0]
    assert isinstance(trade.executed_quantity, Decimal)
    assert isinstance(trade.trade_type, TradeType)
    assert set(loaded.portfolio.closed_positions) == set(backtest_state.portfolio.closed_positions)
    assert all(isinstance(k, int) for k in loaded.portfolio.closed_positions)


def test_a_loaded_backtest_curve_is_rebuilt_from_candles_to_the_bit(backtest_state):
    """The file grows with trades, not bars: the equity curve is stored as segments between trades and rebuilt."""
    strategy = load_strategy_module(STRATEGY)
    run = BacktestRun(strategy, build_universe(strategy, BacktestOptions(), ExecutionContext(ExecutionMode.backtesting, "1.0")), BacktestOptions())
    loaded = state_from_json(state_to_json(backtest_state))
    materialise(loaded.stats, run.pricing, run.cycle_times.as_unit("ns").asi8)
    assert loaded.stats == backtest_state.stats
    assert list(loaded.stats.total_equity) == list(backtest_state.stats.total_equity)  # bit for bit, as Python floats


def test_decimals_travel_as_strings_not_floats(backtest_state):
    """A float in the JSON would lose digits: 2.483326735741431085 ETH must stay that exact."""
    raw = json.loads(state_to_json(backtest_state))
    first_position = next(iter(raw["portfolio"]["closed_positions"].values()))
    first_trade = next(iter(first_position["trades"].values()))
    assert isinstance(first_trade["executed_quantity"], str)
    assert Decimal(first_trade["executed_quantity"]) == all_trades(backtest_state)[0].executed_quantity


# --- atomic save -------------------------------------------------------------------------------------


def test_save_writes_only_the_state_file(tmp_path, state):
    path = tmp_path / "state" / "eth-usd-sma.json"  # the directory is created
    JSONFileStore(path).save(state)
    assert files_in(path.parent) == ["eth-usd-sma.json"]
    assert JSONFileStore(path).load() == state


def test_save_over_an_existing_file_replaces_it(tmp_path, state):
    path = tmp_path / "state.json"
    store = JSONFileStore(path)
    store.save(State(name="old"))
    old_inode = path.stat().st_ino

    state.cycle = 99
    store.save(state)

    assert store.load() == state
    assert path.read_bytes() == state_to_json(state)
    assert files_in(tmp_path) == ["state.json"]
    # Replaced by a rename of a complete new file, not rewritten in place.
    assert path.stat().st_ino != old_inode


def test_failed_save_leaves_the_old_file_and_no_temporary_file(tmp_path, state):
    path = tmp_path / "state.json"
    store = JSONFileStore(path)
    store.save(state)
    before = path.read_bytes()

    broken = dataclasses.replace(state, name=object())  # cannot be encoded
    with pytest.raises(TypeError):
        store.save(broken)

    assert path.read_bytes() == before
    assert files_in(tmp_path) == ["state.json"]


# --- loads that fail safely ----------------------------------------------------------------------------


def corruptions(good: bytes) -> dict[str, bytes]:
    wrong_shape = json.loads(good)
    wrong_shape["portfolio"] = 5
    return {
        "truncated in the middle": good[: len(good) // 2],
        "last byte missing": good[:-1],
        "empty": b"",
        "whitespace only": b"\n  \n",
        "binary garbage": bytes(range(256)),
        "not an object": b"[1, 2, 3]",
        "wrong shape": json.dumps(wrong_shape).encode(),
        "object without schema_version": b'{"name": "eth-usd-sma"}',
    }


@pytest.mark.parametrize(
    "kind",
    [
        "truncated in the middle", "last byte missing", "empty", "whitespace only", "binary garbage", "not an object",
        "wrong shape",
        "object without schema_version",
    ],
)  # fmt: skip
def test_corrupt_file_raises_a_clear_error_and_is_left_untouched(tmp_path, state, kind):
    path = tmp_path / "state.json"
    data = corruptions(state_to_json(state))[kind]
    path.write_bytes(data)
    mtime = os.stat(path).st_mtime_ns

    with pytest.raises(StateError) as info:
        JSONFileStore(path).load()

    message = str(info.value)
    assert str(path) in message
    assert "not modified" in message
    assert path.read_bytes() == data
    assert os.stat(path).st_mtime_ns == mtime
    assert files_in(tmp_path) == ["state.json"]


def test_unknown_schema_version_is_rejected_clearly(tmp_path, state):
    raw = json.loads(state_to_json(state))
    raw["schema_version"] = 99
    data = json.dumps(raw).encode()
    path = tmp_path / "state.json"
    path.write_bytes(data)

    with pytest.raises(StateError) as info:
        JSONFileStore(path).load()

    message = str(info.value)
    assert str(path) in message
    assert "schema version 99" in message
    assert f"reads version {STATE_SCHEMA_VERSION}" in message
    assert path.read_bytes() == data


def test_loading_a_missing_file_says_so(tmp_path):
    path = tmp_path / "nothing-here.json"
    with pytest.raises(StateError, match="does not exist") as info:
        JSONFileStore(path).load()
    assert str(path) in str(info.value)
    assert not path.exists()


def test_a_loaded_backtest_curve_is_not_reported_before_it_is_rebuilt(backtest_state, tmp_path):
    """An empty curve must not pass for the truth: the summary says how to rebuild it, load_backtest_state does."""
    path = tmp_path / "state.json"
    JSONFileStore(path).save(backtest_state)
    with pytest.raises(ConfigurationError, match=r"load_backtest_state\(state_file\)"):
        calculate_summary(JSONFileStore(path).load())
    rebuilt = load_backtest_state(path, STRATEGY)
    assert calculate_summary(rebuilt) == calculate_summary(backtest_state)
