"""Users' own candle files, end to end: strategy modules whose universe is ``data.files(...)``.

The data is made deterministically from the embedded ETH and BTC candles (three months of
2018, prices doubled so a run on the embedded data by mistake cannot pass), written as the
files a user brings: one CSV per pair, one long Parquet table with a pair column, a 4h file.
Then the broken files a user brings, each of which must stop the run before anything trades,
with one clear message and no traceback, leaving the state file alone.
"""

from __future__ import annotations

import os
import textwrap
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from trade_executor.market.embedded import load_embedded_candles
from trade_executor.state import JSONFileStore, State
from trade_executor.state.serialisation import state_to_json

START, END = "2018-01-01", "2018-03-31 23:00"
PRICE_COLUMNS = ["open", "high", "low", "close"]

STRATEGY_TEMPLATE = '''
"""A two-SMA strategy on the user's own candles (written by tests/acceptance/test_user_data.py)."""
import math
from decimal import Decimal
from pathlib import Path

from trade_executor.strategy.api import ChainId, IndicatorSet

HERE = Path(__file__).parent

trading_strategy_engine_version = "1.0"
trading_strategy_cycle = "{cycle}"
chain_id = ChainId.ethereum
exchange = "uniswap-v2"
reserve_currency = "USDC"


class Parameters:
    initial_cash = 10_000
    fast: int = 6
    slow: int = 24
    pool_liquidity_usd = 5_000_000
    native_token_price_usd = 1_000


def create_trading_universe(timestamp, data, execution_context, options):
    return {universe}


def create_indicators(timestamp, parameters, universe, execution_context):
    indicators = IndicatorSet()
    indicators.add("fast", lambda close: close.rolling(parameters.fast).mean())
    indicators.add("slow", lambda close: close.rolling(parameters.slow).mean())
    return indicators


def decide_trades(input):
    position_manager = input.position_manager
    pairs = sorted(input.universe.pairs.values(), key=lambda p: p.ticker)
    budget = Decimal(str(input.parameters.initial_cash)) / len(pairs)
    trades = []
    for pair in pairs:
        fast, slow = input.indicators.get("fast", pair), input.indicators.get("slow", pair)
        if math.isnan(slow):
            continue
        position = position_manager.get_current_position_for_pair(pair)
        if position is None and fast > slow:
            trades += position_manager.open_long(pair, min(budget, position_manager.get_current_cash()))
        elif position is not None and fast < slow:
            trades += position_manager.close_position(position)
    return trades
'''


def user_candles(symbol: str, time_frame: str = "1h") -> pd.DataFrame:
    """Three months of the embedded candles, prices doubled, with a timestamp column."""
    frame = load_embedded_candles(symbol).loc[START:END].copy()
    frame[PRICE_COLUMNS] = (frame[PRICE_COLUMNS] * 2).round(6)
    if time_frame != "1h":
        rules = {"open": "first", "high": "max", "low": "min", "close": "last", "volume": "sum"}
        frame = frame.resample(time_frame, label="left", closed="left").agg(rules).dropna()
    return frame.reset_index()


def long_table(*symbols: str) -> pd.DataFrame:
    return pd.concat([user_candles(s).assign(pair=f"{s}-USDC") for s in symbols], ignore_index=True)[
        ["pair", "timestamp", *PRICE_COLUMNS, "volume"]
    ]


def write_strategy(folder: Path, universe: str, *, cycle: str = "1h", name: str = "user-data") -> Path:
    path = folder / f"{name}.py"
    path.write_text(textwrap.dedent(STRATEGY_TEMPLATE).format(cycle=cycle, universe=universe))
    return path


def backtest(te, strategy: Path, state_file: Path):
    return te.run("start", f"--strategy-file={strategy}", "--execution-type=backtest", f"--state-file={state_file}")


def assert_traded_on_the_files(te, result, state_file: Path, files: dict[str, pd.DataFrame], time_frame: str = "1h"):
    """The run used these frames: their range and time frame, and fills at their prices."""
    te.assert_complete_summary(result)
    first, last = next(iter(files.values()))["timestamp"].iloc[[0, -1]]
    tickers = ", ".join(files)
    assert f"Data: {len(files)} pair(s) {tickers}, {time_frame} candles {first} to {last}" in result.stdout
    assert f"cycles of {time_frame}" in result.stdout
    state = JSONFileStore(state_file).load()
    positions = state.portfolio.get_all_positions()
    assert {p.pair.ticker for p in positions} == set(files), "every pair of the files traded"
    for position in positions:
        opens = files[position.pair.ticker].set_index("timestamp")["open"]
        for trade in position.trades.values():
            assert trade.is_success
            if trade.trade_type.value == "rebalance":  # at the cycle's candle open, from the file
                assert trade.planned_price == Decimal(repr(float(opens[pd.Timestamp(trade.opened_at)])))
    return state


# --- files that work --------------------------------------------------------------------------------


def test_one_csv_file_per_pair(te, tmp_path):
    files = {"ETH-USDC": user_candles("ETH"), "BTC-USDC": user_candles("BTC")}
    files["ETH-USDC"].to_csv(tmp_path / "eth.csv", index=False)
    files["BTC-USDC"].to_csv(tmp_path / "btc.csv", index=False)
    strategy = write_strategy(tmp_path, 'data.files({"ETH-USDC": HERE / "eth.csv", "BTC-USDC": HERE / "btc.csv"})')
    state_file = tmp_path / "state.json"

    assert_traded_on_the_files(te, backtest(te, strategy, state_file), state_file, files)


def test_one_long_parquet_table_with_a_pair_column(te, tmp_path):
    table = long_table("ETH", "BTC")
    table.to_parquet(tmp_path / "candles.parquet", index=False)
    strategy = write_strategy(tmp_path, 'data.files(HERE / "candles.parquet")')
    state_file = tmp_path / "state.json"

    files = {pair: group.drop(columns="pair").reset_index(drop=True) for pair, group in table.groupby("pair", sort=False)}
    assert list(files) == ["ETH-USDC", "BTC-USDC"]
    assert_traded_on_the_files(te, backtest(te, strategy, state_file), state_file, files)


def test_a_4h_time_frame_file(te, tmp_path):
    candles = user_candles("ETH", "4h")
    assert (candles["timestamp"].diff().dropna() == pd.Timedelta(hours=4)).all()
    candles.to_csv(tmp_path / "eth-4h.csv", index=False)
    strategy = write_strategy(tmp_path, 'data.files(HERE / "eth-4h.csv", pairs=["ETH-USDC"])', cycle="4h")
    state_file = tmp_path / "state.json"

    result = backtest(te, strategy, state_file)
    state = assert_traded_on_the_files(te, result, state_file, {"ETH-USDC": candles}, time_frame="4h")
    assert "stop-loss checks on 4h candles" in result.stdout
    assert state.backtest.cycle_duration == "4h"
    assert state.backtest.cycles == len(candles)


# --- files that do not ------------------------------------------------------------------------------


def missing_column(folder: Path) -> tuple[str, list[str]]:
    user_candles("ETH").drop(columns="close").to_csv(folder / "eth.csv", index=False)
    return 'data.files({"ETH-USDC": HERE / "eth.csv"})', ["eth.csv", "close", "missing"]


def unsorted_timestamps(folder: Path) -> tuple[str, list[str]]:
    candles = user_candles("ETH")
    swapped = candles.iloc[[*range(10), 11, 10, *range(12, len(candles))]]
    swapped.to_csv(folder / "eth.csv", index=False)
    return 'data.files({"ETH-USDC": HERE / "eth.csv"})', ["eth.csv", "sorted", str(candles["timestamp"][10])]


def duplicate_timestamps(folder: Path) -> tuple[str, list[str]]:
    candles = user_candles("ETH")
    doubled = pd.concat([candles.iloc[:21], candles.iloc[20:]], ignore_index=True)
    doubled.to_csv(folder / "eth.csv", index=False)
    return 'data.files({"ETH-USDC": HERE / "eth.csv"})', ["eth.csv", "duplicate", str(candles["timestamp"][20])]


def nan_prices(folder: Path) -> tuple[str, list[str]]:
    candles = user_candles("ETH")
    candles.loc[30, "close"] = np.nan
    candles.to_csv(folder / "eth.csv", index=False)
    return 'data.files({"ETH-USDC": HERE / "eth.csv"})', ["eth.csv", "close", "NaN", str(candles["timestamp"][30])]


def pair_not_in_data(folder: Path) -> tuple[str, list[str]]:
    long_table("ETH", "BTC").to_parquet(folder / "candles.parquet", index=False)
    return 'data.files(HERE / "candles.parquet", pairs=["ETH-USDC", "SOL-USDC"])', ["candles.parquet", "SOL-USDC"]


BAD_DATA = {
    "missing-column": missing_column,
    "unsorted-timestamps": unsorted_timestamps,
    "duplicate-timestamps": duplicate_timestamps,
    "nan-prices": nan_prices,
    "pair-not-in-data": pair_not_in_data,
}


@pytest.mark.parametrize("existing_state", [False, True], ids=["no-state-file", "existing-state-file"])
@pytest.mark.parametrize("make_bad_data", list(BAD_DATA.values()), ids=list(BAD_DATA))
def test_bad_user_data_stops_with_one_clear_error(te, tmp_path, make_bad_data, existing_state):
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    universe, expected = make_bad_data(data_dir)
    strategy = write_strategy(data_dir, universe)
    state_dir = tmp_path / "state"
    state_file = state_dir / "user-data.json"
    before = None
    if existing_state:
        state_dir.mkdir()
        state_file.write_bytes(state_to_json(State(name="a previous run")))
        os.utime(state_file, (1_600_000_000, 1_600_000_000))
        before = (state_file.read_bytes(), state_file.stat().st_mtime_ns)

    result = backtest(te, strategy, state_file)

    assert result.returncode == 2, str(result)
    assert "Traceback" not in result.stderr + result.stdout, str(result)
    assert "Backtest summary" not in result.stdout
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error")]
    assert len(errors) == 1, str(result)
    message = errors[0]
    for text in expected:
        assert text in message, f"{text!r} not in the error message: {message}"
    if existing_state:
        assert (state_file.read_bytes(), state_file.stat().st_mtime_ns) == before, "the state file was modified"
        assert sorted(p.name for p in state_dir.iterdir()) == [state_file.name], "a file was left beside the state"
    else:
        assert not state_dir.exists(), "a state file (or its folder) was written"


def test_a_short_backtest_that_gains_prints_its_summary(te, tmp_path):
    """Minutes of 5-s candles and a 2% gain (a paper run's period on the devnet): the annual compounding is past a float, the summary says inf%."""
    times = pd.date_range("2026-12-01 00:15", periods=40, freq="5s")
    close = 300 * np.exp(np.linspace(0, 0.02, len(times)))
    pd.DataFrame({"timestamp": times, "open": close, "high": close, "low": close, "close": close, "volume": 1_000.0}).to_csv(tmp_path / "eth.csv", index=False)
    (tmp_path / "hold.py").write_text(textwrap.dedent('''
        from trade_executor.strategy.api import ChainId

        trading_strategy_engine_version = "1.0"
        trading_strategy_cycle = "5s"
        chain_id = ChainId.anvil
        exchange = "uniswap-v2"
        reserve_currency = "USDC"


        class Parameters:
            initial_cash = 10_000
            pool_liquidity_usd = 5_000_000


        def create_trading_universe(timestamp, data, execution_context, options):
            return data.files({"ETH-USDC": "eth.csv"})


        def decide_trades(input):
            pm = input.position_manager
            return [] if pm.is_any_open() else pm.open_long(input.universe.get_single_pair(), pm.get_current_cash() / 2)
    '''))
    result = te.run("backtest", "--strategy-file=hold.py", cwd=tmp_path)
    assert result.returncode == 0, str(result)
    assert "OverflowError" not in result.stderr
    summary = te.parse_summary(result.stdout)
    assert summary["CAGR %"] == "inf%" and float(summary["Return %"].rstrip("%")) > 0
