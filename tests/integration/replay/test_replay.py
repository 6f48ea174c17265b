"""Backtest and live agree, on a real chain: same decisions, same fills, same equity.

CI replays shorter periods than the full proof; the 30-day runs are a documented command
(README, "Proving a strategy before going live").
"""

import os
import signal
import subprocess
import sys
import time
from decimal import ROUND_DOWN, Decimal
from pathlib import Path

import pandas as pd

from trade_executor.replay.driver import ReplayOptions, run_replay

REPO = Path(__file__).resolve().parents[3]
TRADE_EXECUTOR = Path(sys.executable).parent / "trade-executor"


def assert_agree(result, *, minimum_trades: int):
    comparison = result.comparison
    assert comparison.decisions_match, comparison.mismatches
    assert len(comparison.rows) >= minimum_trades
    assert comparison.worst_price_difference < 0.0005  # every live fill within 0.05% of the backtest's
    assert abs(comparison.equity_difference) < 0.001  # final equity within 0.1%, gas counted on both sides


def live_trades(state):
    return sorted((t for p in state.portfolio.get_all_positions() for t in p.trades.values() if t.is_success), key=lambda t: t.trade_id)


def test_eth_sma_replay_matches_its_backtest_trade_for_trade(tmp_path):
    result = run_replay(ReplayOptions(REPO / "strategies/eth-usd-sma.py", tmp_path / "replay.json", pd.Timestamp("2018-01-10"), pd.Timestamp("2018-01-25")))
    assert result.cycles == 361
    assert_agree(result, minimum_trades=4)
    assert "stop_loss" in {row.trade_type for row in result.comparison.rows}  # the same stop-loss trigger, between cycles
    for trade in live_trades(result.live):
        if trade.is_buy:  # LP fee: 0.30% of what went into the pool, rounded down to USDC's unit
            expected = (trade.executed_reserve * Decimal("0.003")).quantize(Decimal("0.000001"), rounding=ROUND_DOWN)
            assert trade.lp_fees_paid == expected


def test_multi_pair_rotation_with_trailing_stops_replays_identically(tmp_path):
    result = run_replay(ReplayOptions(REPO / "strategies/eth-btc-momentum.py", tmp_path / "replay.json", pd.Timestamp("2018-03-01"), pd.Timestamp("2018-03-22")))
    assert_agree(result, minimum_trades=6)
    types = {row.trade_type for row in result.comparison.rows}
    assert "trailing_stop_loss" in types
    assert {row.ticker for row in result.comparison.rows} == {"ETH-USDC", "BTC-USDC"}


def test_a_replay_killed_in_the_middle_resumes_to_the_same_result(tmp_path):
    args = [str(TRADE_EXECUTOR), "replay", "--strategy-file=strategies/eth-usd-sma.py", "--start=2018-01-12", "--end=2018-01-17", "--checkpoint-every=12"]
    state_file = tmp_path / "killed.json"
    process = subprocess.Popen([*args, f"--state-file={state_file}"], cwd=REPO, start_new_session=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    latest = state_file.with_name(state_file.name + ".replay") / "latest"
    deadline = time.monotonic() + 120
    while not (latest.exists() and latest.read_text() >= "cycle-0000048"):
        assert process.poll() is None, process.stderr.read().decode()
        assert time.monotonic() < deadline, "no checkpoint past cycle 48 within 120 s"
        time.sleep(0.05)
    os.killpg(process.pid, signal.SIGKILL)  # the replay and its anvil, mid-run
    process.wait()

    resumed = subprocess.run([*args, f"--state-file={state_file}", "--resume"], cwd=REPO, capture_output=True, text=True, timeout=300)
    assert resumed.returncode == 0, resumed.stderr
    assert "Resuming the replay at cycle" in resumed.stderr
    assert "Decisions: identical" in resumed.stdout

    uninterrupted = run_replay(ReplayOptions(REPO / "strategies/eth-usd-sma.py", tmp_path / "whole.json", pd.Timestamp("2018-01-12"), pd.Timestamp("2018-01-17")))
    from trade_executor.state import JSONFileStore

    after_resume = JSONFileStore(state_file).load()
    key = lambda t: (t.opened_at, t.pair.ticker, t.is_buy, t.trade_type, t.executed_quantity, t.executed_reserve)  # noqa: E731
    assert [key(t) for t in live_trades(after_resume)] == [key(t) for t in live_trades(uninterrupted.live)]
    assert after_resume.portfolio.get_total_equity() == uninterrupted.live.portfolio.get_total_equity()
