"""What decide_trades reads through ``input.universe`` stops at the last candle closed by the cycle time.

A candle opening at t on time frame tf is closed at cycle time T when t + tf <= T. Each test runs a
real backtest over hand-made candles; the strategy writes what it saw into a module global
(``SEEN``), which the test compares with the exact candles that had closed by each cycle.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd
import pytest

from trade_executor.market.loader import MarketDataLoader
from trade_executor.market.universe import TradingUniverse
from trade_executor.runner.backtest import BacktestOptions, BacktestRun

T0 = pd.Timestamp("2021-01-01 00:00")
HOUR = pd.Timedelta(hours=1)
RECORD = "globals().setdefault('SEEN', []).append(({what}))\nreturn []"


@pytest.fixture
def seen(write_strategy, candles):
    """Backtest ``what`` (an expression of input and pair) over 12 hourly candles; return the cycle times and each value."""

    def run(what: str, *, cycle: str = "1h", stop_loss: pd.DataFrame | None = None, before: str = "") -> list:
        strategy = write_strategy(before + RECORD.format(what=what), cycle=cycle)
        prices = [(100.0 + i, 101.0 + i, 99.0 + i, 100.5 + i) for i in range(12)]
        loader = MarketDataLoader(strategy.chain_id, strategy.exchange_slug, strategy.reserve_currency)
        universe = loader.from_frames({"ETH": candles(prices, start=T0)}, stop_loss_frames={"ETH": stop_loss} if stop_loss is not None else None)
        BacktestRun(strategy, universe, BacktestOptions()).run()
        return strategy.module.SEEN

    return run


def closed_hourly(t: pd.Timestamp) -> list[pd.Timestamp]:
    """Open times of the hourly candles from T0 closed at t (the data has 12)."""
    return [T0 + i * HOUR for i in range(12) if T0 + (i + 1) * HOUR <= t]


def test_get_candles_ends_at_the_last_closed_candle(seen):
    got = seen("input.timestamp, list(input.universe.get_candles(pair).index), float(input.universe.get_candles('ETH')['close'].sum())")
    assert [t for t, _, _ in got] == [(T0 + i * HOUR).to_pydatetime() for i in range(12)]
    for t, index, total in got:
        expected = closed_hourly(pd.Timestamp(t))
        assert index == expected
        assert total == sum(100.5 + i for i in range(len(expected)))


def test_the_candles_mapping_is_cut_the_same_way(seen):
    got = seen("input.timestamp, list(input.universe.candles[pair.ticker].index), [len(f) for f in input.universe.candles.values()], list(input.universe.candles)")
    for t, index, lengths, tickers in got:
        assert index == closed_hourly(pd.Timestamp(t))
        assert lengths == [len(index)]
        assert tickers == ["ETH-USDC"]


def test_start_end_and_describe_speak_of_closed_candles_only(seen):
    got = seen("input.timestamp, input.universe.start, input.universe.end, input.universe.describe()")
    first_t, start, end, text = got[0]
    assert (start, end) == (None, None)
    assert text == "1 pair(s) ETH-USDC, 1h candles none closed yet"
    for t, start, end, text in got[1:]:
        assert start == T0
        assert end == pd.Timestamp(t) - HOUR
        assert text == f"1 pair(s) ETH-USDC, 1h candles {T0} to {pd.Timestamp(t) - HOUR}"


def test_a_four_hour_cycle_on_hourly_candles_sees_the_hour_just_closed(seen):
    got = seen("input.timestamp, input.universe.get_candles(pair).index[-1] if len(input.universe.get_candles(pair)) else None", cycle="4h")
    assert got == [(T0.to_pydatetime(), None), ((T0 + 4 * HOUR).to_pydatetime(), T0 + 3 * HOUR), ((T0 + 8 * HOUR).to_pydatetime(), T0 + 7 * HOUR)]


def test_stop_loss_candles_end_at_the_last_closed_quarter_hour(seen, candles):
    quarters = candles([(100.0, 101.0, 99.0, 100.0)] * 48, start=T0, freq="15min")
    got = seen("input.timestamp, list(input.universe.stop_loss_candles[pair.ticker].index), list(input.universe.stop_loss_candles)", stop_loss=quarters)
    for t, index, tickers in got:
        assert index == [T0 + i * pd.Timedelta(minutes=15) for i in range(48) if T0 + (i + 1) * pd.Timedelta(minutes=15) <= pd.Timestamp(t)]
        assert tickers == ["ETH-USDC"]
    assert len(got[5][1]) == 20  # 05:00: twenty quarters closed


def test_input_get_candles_and_the_indicators_agree_with_the_view(seen):
    got = seen("len(input.get_candles()), len(input.universe.get_candles(pair)), input.indicators.get_closed_candle_count(pair)")
    assert got == [(i, i, i) for i in range(12)]


ERRORS = """
def error(call):
    try:
        call()
    except Exception as e:
        return f"{type(e).__name__}: {e}"
"""


def test_the_view_is_read_only_and_says_what_it_lacks(seen):
    got = seen(
        "[error(lambda: setattr(input.universe, 'candles', {})), error(lambda: input.universe.get_arrays('ETH-USDC')),"
        " error(lambda: input.universe.pairs.update({})), error(lambda: input.universe.candles['BTC-USDC'])]",
        before=ERRORS,
    )
    setting, engine_method, pairs, unknown = got[0]
    assert setting == "AttributeError: input.universe is read-only (setting 'candles'); keep your own values in a variable or in input.state.visualisation."
    assert engine_method.startswith("AttributeError: input.universe has no 'get_arrays': it shows only candles closed by the cycle time.")
    assert pairs == "AttributeError: 'mappingproxy' object has no attribute 'update'"
    assert unknown == "KeyError: 'Pair BTC-USDC is not in the data. Pairs available: ETH-USDC.'"


def public_objects(root, path="input", depth=0, seen=None):
    """Every object reachable from ``root`` through public attributes (and mapping values), with its path."""
    seen = set() if seen is None else seen
    if depth > 5 or isinstance(root, (str, bytes, int, float, bool, type(None), pd.Timestamp, pd.Timedelta)):
        return
    yield path, root
    if id(root) in seen:  # each path to it is reported, its insides once
        return
    seen.add(id(root))
    if isinstance(root, (pd.DataFrame, pd.Series)):
        return
    children = []
    if isinstance(root, Mapping):
        children = [(f"{path}[{k!r}]", v) for k, v in root.items()]
    names = [n for n in dir(root) if not n.startswith("_")] if not isinstance(root, (Mapping, list, tuple)) else []
    for name in names:
        try:
            value = getattr(root, name)
        except Exception:  # noqa: BLE001 - a property that needs a state the walk does not give it
            continue
        if not callable(value) or isinstance(value, Mapping):
            children.append((f"{path}.{name}", value))
    for child_path, child in children:
        yield from public_objects(child, child_path, depth + 1, seen)


def test_nothing_public_on_input_holds_a_full_universe_or_later_candles(write_strategy, candles):
    """Walk input's public attributes at a mid-run cycle: no TradingUniverse, and no frame with a candle not closed yet."""
    strategy = write_strategy("if input.cycle == 5:\n    globals()['INPUT'] = input\nreturn []")
    loader = MarketDataLoader(strategy.chain_id, strategy.exchange_slug, strategy.reserve_currency)
    frame = candles([(100.0, 101.0, 99.0, 100.0)] * 12, start=T0)
    quarters = candles([(100.0, 101.0, 99.0, 100.0)] * 48, start=T0, freq="15min")
    run = BacktestRun(strategy, loader.from_frames({"ETH": frame}, stop_loss_frames={"ETH": quarters}), BacktestOptions(end=T0 + 5 * HOUR))
    run.run()
    found = list(public_objects(strategy.module.INPUT))
    universes = [path for path, value in found if isinstance(value, TradingUniverse)]
    assert universes == []
    cut = T0 + 5 * HOUR
    late = [path for path, value in found if isinstance(value, pd.DataFrame) and len(value) > 1 and value.index[-1] + (value.index[-1] - value.index[-2]) > cut]
    assert late == []
    frames = {path: (value.index[0], value.index[-1]) for path, value in found if isinstance(value, pd.DataFrame)}
    assert frames == {
        "input.universe.candles['ETH-USDC']": (T0, T0 + 4 * HOUR),
        "input.universe.stop_loss_candles['ETH-USDC']": (T0, T0 + 4 * HOUR + 45 * pd.Timedelta(minutes=1)),
    }


def test_a_live_tick_hides_the_candle_still_forming(candles):
    """Live builds one StrategyInput per tick: the view over that tick's universe, with the tick as the only cycle."""
    from trade_executor.strategy.indicators import IndicatorValues, closed_candle_counts
    from trade_executor.strategy.universe_view import ClosedCandlesUniverse

    loader = MarketDataLoader(1, "uniswap-v2", "USDC")
    universe = loader.from_frames({"ETH": candles([(100.0 + i, 101.0 + i, 99.0 + i, 100.5 + i) for i in range(6)], start=T0)})
    now = T0 + 5 * HOUR + pd.Timedelta(minutes=20)  # the 05:00 candle is still forming
    times_ns = pd.DatetimeIndex([now]).as_unit("ns").asi8
    indicators = IndicatorValues({}, closed_candle_counts(universe, times_ns), universe)
    view = ClosedCandlesUniverse(universe, indicators, times_ns)
    assert list(view.get_candles("ETH").index) == [T0 + i * HOUR for i in range(5)]
    assert view.end == T0 + 4 * HOUR
    assert universe.end == T0 + 5 * HOUR  # the engine's universe keeps it
