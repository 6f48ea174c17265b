"""No look-ahead: what the ETH SMA example does up to time T cannot depend on prices after T.

The example runs twice over the same 60 days: on the embedded data, and on a copy where every
candle after T is different (prices x3) and the candle opening at T keeps only its open (the
one price of that candle known at T). Everything up to T must be identical, to the last digit.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pandas as pd
import pytest

from trade_executor.market.embedded import load_embedded_candles
from trade_executor.reporting.summary import calculate_summary
from trade_executor.runner.backtest import BacktestOptions, BacktestResult, BacktestRun, build_universe
from trade_executor.strategy.context import ExecutionContext, ExecutionMode
from trade_executor.strategy.module import StrategyModule, load_strategy_module

REPO = Path(__file__).resolve().parents[3]
EXAMPLE = REPO / "strategies" / "eth-usd-sma.py"
OPTIONS = BacktestOptions(start=pd.Timestamp("2018-01-01"), end=pd.Timestamp("2018-03-01"))
T = pd.Timestamp("2018-02-10 00:00")

# Appended to the example's own source: a later definition of create_trading_universe replaces the
# example's, so the parameters, indicators and decide_trades are the example's, unchanged.
OVERRIDE = """

def create_trading_universe(timestamp, data, execution_context, options):
    import pandas as pd
    return data.from_frames({{"ETH": pd.read_parquet({path!r})}})
"""


def run(strategy: StrategyModule) -> BacktestResult:
    context = ExecutionContext(ExecutionMode.backtesting, strategy.engine_version)
    universe = build_universe(strategy, OPTIONS, context)
    return BacktestRun(strategy, universe, OPTIONS).run()


def example_on(tmp_path: Path, frame: pd.DataFrame, name: str) -> StrategyModule:
    data = tmp_path / f"{name}.parquet"
    frame.to_parquet(data)
    module = tmp_path / f"{name}.py"
    module.write_text(EXAMPLE.read_text() + OVERRIDE.format(path=str(data)))
    return load_strategy_module(module)


def changed_after(frame: pd.DataFrame, t: pd.Timestamp, factor: float = 3.0) -> pd.DataFrame:
    """Every price after ``t`` times ``factor``; of the bar opening at ``t`` only the open is kept."""
    changed = frame.copy()
    later = changed.index > t
    changed.loc[later, ["open", "high", "low", "close"]] *= factor
    o, h, lo = changed.at[t, "open"], changed.at[t, "high"], changed.at[t, "low"]
    close = o * factor
    changed.loc[t, ["high", "low", "close"]] = [max(h, close) * 1.5, min(lo, close) * 0.5, close]
    return changed


def trades(result: BacktestResult):
    return sorted((t for p in result.state.portfolio.get_all_positions() for t in p.trades.values()), key=lambda t: t.trade_id)


def fingerprint(trade) -> tuple:
    return (
        trade.trade_id,
        trade.position_id,
        trade.trade_type,
        trade.opened_at,
        trade.executed_at,
        trade.planned_price,
        trade.planned_quantity,
        trade.planned_reserve,
        trade.executed_quantity,
        trade.executed_reserve,
        trade.executed_price,
        trade.lp_fees_paid,
        trade.gas_cost_usd,
        trade.trigger_price,
    )


def assert_same_until(original: BacktestResult, modified: BacktestResult, t: pd.Timestamp) -> None:
    before = [trade for trade in trades(original) if trade.opened_at <= t]
    modified_before = [trade for trade in trades(modified) if trade.opened_at <= t]
    assert [fingerprint(trade) for trade in modified_before] == [fingerprint(trade) for trade in before]
    assert modified_before == before  # every field, dataclass equality
    assert until(modified, t) == until(original, t)


def until(result: BacktestResult, t: pd.Timestamp) -> tuple[list, list, list]:
    stats = result.state.stats
    n = sum(1 for ts in stats.timestamps if ts <= t)
    return stats.timestamps[:n], stats.total_equity[:n], stats.cash[:n]


@pytest.fixture(scope="module")
def original() -> BacktestResult:
    return run(load_strategy_module(EXAMPLE))


def test_the_harness_reproduces_the_example_exactly(tmp_path, original):
    """Control: the same data through the tmp module gives the very same backtest."""
    copy = run(example_on(tmp_path, load_embedded_candles("ETH"), "eth_sma_same_data"))
    assert [dataclasses.astuple(t) for t in trades(copy)] == [dataclasses.astuple(t) for t in trades(original)]
    assert copy.state.stats == original.state.stats


def test_changing_prices_after_t_changes_nothing_up_to_t(tmp_path, original):
    frame = load_embedded_candles("ETH")
    assert T in frame.index
    modified = run(example_on(tmp_path, changed_after(frame, T), "eth_sma_changed_after_t"))

    before = [t for t in trades(original) if t.opened_at <= T]
    assert len(before) >= 6, "pick T with several trades before it"
    assert [t.trade_type.value for t in before].count("stop_loss") >= 1  # triggers are covered too
    times, _, _ = until(original, T)
    assert times[-1] == T and len(times) == 40 * 24 + 1  # 2018-01-01 00:00 .. 2018-02-10 00:00
    assert_same_until(original, modified, T)

    # The change did matter after T, so the comparison above could have failed.
    assert trades(modified) != trades(original)
    assert calculate_summary(modified.state).value_at_end != calculate_summary(original.state).value_at_end


@pytest.mark.parametrize("side", ["buy", "sell"])
def test_a_crossover_decision_uses_only_bars_closed_by_then(tmp_path, original, side):
    """T is the time of a crossover trade of the original run. The rest of the bar opening at T, and
    everything after, is moved against the crossover (down before a buy, up before a sell): a strategy
    that could read that bar at T would not trade at T any more. It must trade exactly as before."""
    decisions = [
        t for t in trades(original)
        if t.trade_type.value == "rebalance" and (t.planned_quantity > 0) == (side == "buy")
    ]  # fmt: skip
    assert len(decisions) >= 3
    for decision in decisions[-3:]:
        t = pd.Timestamp(decision.opened_at)
        factor = 1 / 3 if side == "buy" else 3.0
        frame = changed_after(load_embedded_candles("ETH"), t, factor)
        modified = run(example_on(tmp_path, frame, f"eth_sma_{side}_{t:%m%d%H}"))
        assert decision in trades(modified)
        assert_same_until(original, modified, t)
        assert trades(modified) != trades(original)  # the change did matter later
