"""Replay of multi-pair universes on v3: a mixed universe (ETH on a Uniswap v3 0.05% pool, BTC on a
Uniswap v2 pool) traded live on one anvil through both venues at once, and two pairs on v3 pools of
two fee tiers. Backtest and live agree on decisions, fills (0.05%) and equity (0.1%).

The mixed run is shared by the module's tests (one replay: about 8 s for 82 four-hour cycles; the README's
command replays 151).
"""

from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest

from trade_executor.replay.driver import ReplayOptions, run_replay

from .replay_checks import assert_agree, live_trades, report

REPO = Path(__file__).resolve().parents[3]
MIXED = REPO / "strategies/eth-btc-momentum-mixed.py"
TWO_V3_TIERS = REPO / "tests/strategies/momentum_two_v3_tiers.py"
V2_ROUTER_CALL, V3_ROUTER_CALL = "swapExactTokensForTokens", "multicall(exactInputSingle)"

pytestmark = pytest.mark.xdist_group("replay-mixed")  # with -n, one worker: the mixed replay is run once for the module


@pytest.fixture(scope="module")
def mixed(tmp_path_factory):
    """The mixed example replayed over 2018-02-15..02-28 12:00 (82 cycles, flat at the end), with a checkpoint at cycle 72."""
    options = ReplayOptions(MIXED, tmp_path_factory.mktemp("mixed") / "replay.json", pd.Timestamp("2018-02-15"), pd.Timestamp("2018-02-28 12:00"), checkpoint_every=72)
    return options, run_replay(options)


def test_a_mixed_universe_replays_eth_on_v3_and_btc_on_v2_trade_for_trade(mixed):
    _, result = mixed
    report("mixed replay (ETH on Uniswap v3 0.05%, BTC on Uniswap v2)", result)
    assert result.cycles == 82
    assert_agree(result)
    assert {row.ticker for row in result.comparison.rows} == {"ETH-USDC", "BTC-USDC"}
    assert "trailing_stop_loss" in {row.trade_type for row in result.comparison.rows}

    trades = live_trades(result.live)
    for trade in trades:  # each pair swapped on its own venue: ETH through SwapRouter02, BTC through the v2 router
        call = trade.blockchain_transactions[-1].function_name
        if trade.pair.ticker == "ETH-USDC":
            assert (trade.pair.exchange_slug, trade.pair.fee, call) == ("uniswap-v3", Decimal("0.0005"), V3_ROUTER_CALL)
        else:
            assert (trade.pair.exchange_slug, call) == ("uniswap-v2", V2_ROUTER_CALL)
    nonces = [t.blockchain_transactions[-1].nonce for t in trades]
    assert len(set(nonces)) == len(nonces)  # one wallet, one nonce manager across the two venues
    rotations = {}  # a cycle that sells on one venue and buys on the other
    for trade in trades:
        rotations.setdefault(trade.opened_at, set()).add((trade.pair.exchange_slug, trade.is_buy))
    assert any(len({venue for venue, _ in sides}) == 2 for sides in rotations.values())


def test_a_mixed_replay_resumes_from_its_checkpoint_to_the_same_result(mixed):
    options, whole = mixed
    resumed = run_replay(replace(options, resume=True))  # the chain (both exchanges), the live state and both deployments saved at cycle 72
    key = lambda t: (t.opened_at, t.pair.ticker, t.is_buy, t.trade_type, t.executed_quantity, t.executed_reserve)  # noqa: E731
    assert [key(t) for t in live_trades(resumed.live)] == [key(t) for t in live_trades(whole.live)]
    assert resumed.comparison.live_equity == whole.comparison.live_equity
    assert resumed.comparison.decisions_match


def test_two_pairs_on_v3_pools_of_two_fee_tiers_replay_trade_for_trade(tmp_path):
    result = run_replay(ReplayOptions(TWO_V3_TIERS, tmp_path / "replay.json", pd.Timestamp("2018-02-15"), pd.Timestamp("2018-02-22")))  # flat at the end
    report("v3 replay of two fee tiers (ETH 0.05%, BTC 0.3%)", result)
    assert result.cycles == 43
    assert_agree(result)
    fees = {(t.pair.ticker, t.pair.exchange_slug, t.pair.fee, t.blockchain_transactions[-1].function_name) for t in live_trades(result.live)}
    assert fees == {("ETH-USDC", "uniswap-v3", Decimal("0.0005"), V3_ROUTER_CALL), ("BTC-USDC", "uniswap-v3", Decimal("0.003"), V3_ROUTER_CALL)}
