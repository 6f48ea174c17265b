"""The example strategies, run end to end through the real `trade-executor` command.

What a user does after the deployment guide: `trade-executor start --strategy-file=...
--execution-type=backtest`, read the summary table, and find the state file. Each run is a
subprocess started from the repository root; most cover a few months so the file stays fast.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from trade_executor.runner.saved_backtest import load_backtest_state
from trade_executor.state import JSONFileStore, TradeType

PERIOD = ("--backtest-start=2018-01-01", "--backtest-end=2018-04-01")
MOMENTUM_PERIOD = ("--backtest-start=2018-01-01", "--backtest-end=2018-07-01")

#: The full-period eth-usd-sma backtest as printed on 2026-11-22 (embedded ETH data 2017-10 to
#: 2019-10, constant product fills, gas at market price). The run is deterministic: any change
#: here is a behaviour change of the engine, the strategy or the data, and must be deliberate.
FULL_PERIOD_ETH_USD_SMA = {
    "Trading period length": "730 days",
    "Return %": "-24.59%",
    "Annualised return %": "-12.30%",
    "Cash at start": "$10,000.00",
    "Value at end": "$7,540.76",
    "Trade win percent": "26.17%",
    "Total trades done": "107",
    "Won trades": "28",
    "Lost trades": "79",
    "Stop losses triggered": "40",
    "Stop loss % of all": "37.38%",
    "Stop loss % of lost": "50.63%",
    "Zero profit trades": "0",
    "Positions open at the end": "1",
    "Realised profit and loss": "$-2,588.74",
    "Portfolio unrealised value": "$7,540.76",
    "Extra returns on lending pool interest": "$0.00",
    "Cash left at the end": "$0.00",
    "Average winning trade profit %": "12.89%",
    "Average losing trade loss %": "-4.29%",
    "Biggest winning trade %": "50.88%",
    "Biggest losing trade %": "-6.11%",
    "Average duration of winning trades": "6 days",
    "Average duration of losing trades": "1 days",
    "CAGR %": "-13.16%",
    "Take profits triggered": "0",
    "Max drawdown %": "-63.62%",
    "Sharpe ratio": "0.09",
    "Sortino ratio": "0.14",
    "Profit factor": "0.92",
    "LP fees paid": "$5,864.36",
    "Gas paid": "$238.55",
    "Swaps executed": "215",
    "Data gaps": "9",
    "Trades skipped": "0",
}


def start(te, strategy: str, state_file, *extra: str):
    path = strategy if "/" in str(strategy) else f"strategies/{strategy}.py"
    return te.run("start", f"--strategy-file={path}", "--execution-type=backtest", f"--state-file={state_file}", *extra)


def without_timing(stdout: str) -> str:
    """The output minus the line with the wall-clock time and the state path."""
    return "\n".join(line for line in stdout.splitlines() if not line.startswith("Ran "))


# --- every example strategy ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "strategy",
    ["eth-usd-sma", "pancake-eth-usd-sma", "eth-btc-momentum"],
)
def test_example_strategy_backtest_through_cli(te, tmp_path, strategy):
    state_file = tmp_path / "state" / f"{strategy}.json"
    result = start(te, strategy, state_file, *PERIOD)

    summary = te.assert_complete_summary(result)
    assert f"state saved to {state_file}" in result.stdout
    assert f"Strategy {strategy} (strategies/{strategy}.py)" in result.stdout

    state = JSONFileStore(state_file).load()
    positions = state.portfolio.get_all_positions()
    trades = [t for p in positions for t in p.trades.values()]
    assert positions and trades, "the strategy should trade in three months of 2018"
    assert all(t.is_success for t in trades)
    assert all(datetime.datetime(2018, 1, 1) <= t.executed_at <= datetime.datetime(2018, 4, 1, 1) for t in trades)
    assert state.backtest.start_at == datetime.datetime(2018, 1, 1)
    assert state.backtest.end_at == datetime.datetime(2018, 4, 1)
    # The table is computed from the state that was saved.
    assert summary["Swaps executed"] == str(len(trades))
    assert summary["Total trades done"] == str(len(state.portfolio.closed_positions))
    assert summary["Positions open at the end"] == str(len(state.portfolio.open_positions))
    assert summary["Cash at start"] == "$10,000.00"


@pytest.mark.slow
def test_full_period_eth_usd_sma_figures_are_unchanged(te, tmp_path):
    state_file = tmp_path / "eth-usd-sma.json"
    result = start(te, "eth-usd-sma", state_file)

    summary = te.assert_complete_summary(result)
    assert "Backtest: 17,521 cycles of 1h from 2017-10-01 00:00:00 to 2019-10-01 00:00:00" in result.stdout
    assert summary == FULL_PERIOD_ETH_USD_SMA
    state = JSONFileStore(state_file).load()
    assert len(state.portfolio.closed_positions) == 107
    assert len(state.portfolio.open_positions) == 1
    assert state.portfolio.get_total_equity().quantize(Decimal("0.01")) == Decimal("7540.76")


# --- the deployment guide's strategy --------------------------------------------------------------


def test_pancake_strategy_trades_on_bnb_chain_with_pancake_fees(te, tmp_path):
    state_file = tmp_path / "pancake.json"
    result = start(te, "pancake-eth-usd-sma", state_file, *PERIOD)
    te.assert_complete_summary(result)
    # Gas is paid in BNB, priced with native_token_price_usd: 150,000 gas x 3 gwei x $300.
    assert "BNB per swap at $300" in result.stdout

    state = JSONFileStore(state_file).load()
    positions = state.portfolio.get_all_positions()
    assert positions
    for position in positions:
        pair = position.pair
        assert (pair.ticker, pair.chain_id, pair.exchange_slug, pair.fee) == ("ETH-USDC", 56, "pancakeswap-v2", Decimal("0.0025"))
        entry = next(iter(position.trades.values()))
        assert position.stop_loss is not None and position.stop_loss < entry.planned_price
        assert position.take_profit is not None and position.take_profit > entry.planned_price
        for trade in position.trades.values():
            assert trade.gas_cost_usd == Decimal("0.135")
            # The LP fee is 0.25% of what went into the pool (the input side of the swap).
            pool_input = trade.executed_reserve if trade.is_buy else abs(trade.executed_quantity) * trade.planned_price
            assert trade.lp_fees_paid == pytest.approx(pool_input * Decimal("0.0025"), rel=Decimal("0.01"))


def test_pancake_strategy_take_profit_fires_over_the_full_period(te, tmp_path):
    state_file = tmp_path / "pancake.json"
    summary = te.assert_complete_summary(start(te, "pancake-eth-usd-sma", state_file))
    assert int(summary["Take profits triggered"]) > 0
    assert int(summary["Stop losses triggered"]) > 0
    closed = JSONFileStore(state_file).load().portfolio.closed_positions.values()
    kinds = {p.closed_by() for p in closed}
    assert {TradeType.take_profit, TradeType.stop_loss, TradeType.rebalance} <= kinds


def test_backtest_command_gives_the_same_summary_as_start(te, tmp_path):
    args = ("--strategy-file=strategies/pancake-eth-usd-sma.py", *PERIOD)
    via_start = te.run("start", *args, "--execution-type=backtest", f"--state-file={tmp_path / 'a.json'}")
    via_backtest = te.run("backtest", *args, f"--state-file={tmp_path / 'b.json'}")

    assert te.assert_complete_summary(via_start) == te.assert_complete_summary(via_backtest)
    assert without_timing(via_start.stdout) == without_timing(via_backtest.stdout)
    a, b = JSONFileStore(tmp_path / "a.json").load(), JSONFileStore(tmp_path / "b.json").load()
    assert a.portfolio == b.portfolio
    assert a.stats == b.stats


def test_smoke_run_with_time_frame_overrides_warns_figures_are_not_meaningful(te, tmp_path):
    # The guide's quick smoke run (its dates moved into the embedded data's range).
    state_file = tmp_path / "smoke.json"
    result = start(
        te,
        "pancake-eth-usd-sma",
        state_file,
        "--backtest-candle-time-frame-override=1d",
        "--backtest-stop-loss-time-frame-override=1d",
        "--backtest-start=2018-06-01",
        "--backtest-end=2019-09-01",
    )

    summary = te.assert_complete_summary(result)
    assert summary["Trading period length"] == "457 days"
    assert "cycles of 1d" in result.stdout and "stop-loss checks on 1d candles" in result.stdout
    assert "not meaningful" in result.stdout  # under the table, where the figures are read
    assert "not meaningful" in result.stderr  # and as a warning before the run
    state = JSONFileStore(state_file).load()
    assert (state.backtest.cycle_duration, state.backtest.stop_loss_time_frame, state.backtest.cycles) == ("1d", "1d", 458)
    assert any("not meaningful" in w for w in state.backtest.warnings)


# --- multi-pair momentum rotation -----------------------------------------------------------------


def assert_rotates_between_eth_and_btc(state) -> None:
    positions = sorted(state.portfolio.get_all_positions(), key=lambda p: p.position_id)
    assert {p.pair.ticker for p in positions} == {"ETH-USDC", "BTC-USDC"}, "held both ETH and BTC"
    # One holding at a time: each position opens when (or after) the previous one closed.
    for before, after in zip(positions, positions[1:], strict=False):
        assert before.closed_at is not None and after.opened_at >= before.closed_at, (before, after)
    assert max(state.stats.open_positions) == 1
    # Rotations: the old position is sold and the new leader bought in the same cycle ...
    rotations = [
        (before, after)
        for before, after in zip(positions, positions[1:], strict=False)
        if after.opened_at == before.closed_at and after.pair != before.pair and before.closed_by() is TradeType.rebalance
    ]
    assert rotations, "the leader changed at least once while a position was held"
    # ... and the buy is sized from the cash plus the sale's proceeds, so (almost) no cash idles.
    cash_at = dict(zip(state.stats.timestamps, state.stats.cash, strict=True))
    equity_at = dict(zip(state.stats.timestamps, state.stats.total_equity, strict=True))
    for before, after in rotations:
        assert cash_at[after.opened_at] < 0.01 * equity_at[after.opened_at], (before, after, cash_at[after.opened_at])
        bought = next(iter(after.trades.values()))
        assert bought.get_cash_delta() < 0 and -bought.get_cash_delta() >= Decimal("0.97") * before.get_sold_value()


def test_momentum_strategy_holds_eth_and_btc_in_turn_with_trailing_stops(te, tmp_path):
    state_file = tmp_path / "momentum.json"
    result = start(te, "eth-btc-momentum", state_file, *MOMENTUM_PERIOD)
    te.assert_complete_summary(result)
    state = load_backtest_state(state_file, te.REPO / "strategies" / "eth-btc-momentum.py")  # with its equity curve
    assert_rotates_between_eth_and_btc(state)
    positions = state.portfolio.get_all_positions()
    assert all(p.trailing_stop_loss_pct == Decimal("0.9") for p in positions)
    assert any(p.closed_by() is TradeType.trailing_stop_loss for p in positions)


def test_momentum_rotation_without_trailing_stop(te, tmp_path):
    """The same module with the trailing stop switched off: the rotation itself, end to end."""
    source = (te.REPO / "strategies" / "eth-btc-momentum.py").read_text()
    switched_off = source.replace("trailing_stop_loss_pct: float | None = 0.90", "trailing_stop_loss_pct: float | None = None")
    assert switched_off != source, "the strategy's trailing stop parameter moved; update this test"
    strategy = tmp_path / "eth-btc-momentum-no-trailing.py"
    strategy.write_text(switched_off)
    state_file = tmp_path / "momentum.json"

    summary = te.assert_complete_summary(start(te, strategy, state_file, *MOMENTUM_PERIOD))
    assert summary["Trades skipped"] == "0"
    state = load_backtest_state(state_file, strategy)
    assert_rotates_between_eth_and_btc(state)
    assert all(p.trailing_stop_loss_pct is None and p.stop_loss is None for p in state.portfolio.get_all_positions())
