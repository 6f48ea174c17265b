"""The live venue contract, crashes and repair: the same tests against every venue (Uniswap v2, Uniswap v3; venue_contract.py).

Crashes: ``trade-executor start`` killed (SIGKILL) at each step of a trade and restarted: each decided
trade is on chain exactly once and the state equals the chain; a trade signed but never sent can be
cancelled instead of rebroadcast.

Repair: a position frozen because its buy's receipt came without logs is settled by ``trade-executor repair`` to
the wallet's balance once the books are corrected to the chain, and then trades again.
"""

from __future__ import annotations

import signal
from decimal import Decimal

import pytest
from pydantic import SecretStr

from trade_executor.chain.abi import load_abi
from trade_executor.execution.uniswap_v2.treasury import check_accounts
from trade_executor.failpoints import CRASH_POINTS
from trade_executor.runner.live import LiveTrader
from trade_executor.state import JSONFileStore, TradeStatus
from trade_executor.testing.adversary import chain_datetime
from trade_executor.testing.rpc_proxy import FaultyRpcProxy, ReceiptWithoutLogs

from .conftest import STRATEGY
from .venue_contract import ROUND_TRIP, WALLET, cli, start, start_trader, strategy_file


@pytest.mark.parametrize("crash_at", CRASH_POINTS)
def test_a_kill_at_any_step_of_a_trade_loses_nothing_and_trades_nothing_twice(venue, tmp_path, crash_at):
    strategy_file(venue, tmp_path, STRATEGY)
    killed = start(venue, tmp_path, TRADE_EXECUTOR_CRASH_AT=crash_at)
    assert killed.returncode == -signal.SIGKILL, killed.stderr

    # Restart: recovery resolves the buy from the chain, then this cycle decides and makes the sell.
    restarted = start(venue, tmp_path)
    assert restarted.returncode == 0, restarted.stderr

    state = JSONFileStore(tmp_path / "state.json").load()
    trades = sorted((t for p in state.portfolio.get_all_positions() for t in p.trades.values()), key=lambda t: t.trade_id)
    assert [(t.trade_id, t.is_buy, t.status) for t in trades] == [(1, True, TradeStatus.success), (2, False, TradeStatus.success)]
    assert len(venue.swaps_by(WALLET)) == 2  # each decided trade on chain exactly once
    check_accounts(venue.web3, state, WALLET)  # state equals on-chain balances
    assert len({t.blockchain_transactions[-1].tx_hash for t in trades}) == 2


def test_a_trade_not_on_chain_can_be_cancelled_instead_of_rebroadcast(venue, tmp_path):
    strategy_file(venue, tmp_path, STRATEGY)
    killed = start(venue, tmp_path, TRADE_EXECUTOR_CRASH_AT="after_sign")
    assert killed.returncode == -signal.SIGKILL
    signed_hash = JSONFileStore(tmp_path / "state.json").load().portfolio.open_positions[1].trades[1].blockchain_transactions[-1].tx_hash

    restarted = start(venue, tmp_path, UNRESOLVED_TRADES="fail")
    assert restarted.returncode == 0, restarted.stderr
    state = JSONFileStore(tmp_path / "state.json").load()
    cancelled = state.portfolio.unfilled_trades[1]  # no token moved: recorded apart, no position frozen
    assert cancelled.status is TradeStatus.failed
    assert "cancelled" in cancelled.failure_reason
    assert not state.portfolio.frozen_positions
    web3 = venue.web3
    assert web3.eth.get_transaction_count(WALLET, "latest") >= 3
    with pytest.raises(Exception):  # noqa: B017 - web3 raises TransactionNotFound: the signed swap can never be mined now
        web3.eth.get_transaction_receipt(signed_hash)
    # The cycle after recovery was a new decision: one new buy, and it is the only swap on chain.
    (position,) = state.portfolio.open_positions.values()
    assert [t.status for t in position.trades.values()] == [TradeStatus.success]
    assert len(venue.swaps_by(WALLET)) == 1


def test_repair_settles_a_frozen_position_to_the_wallets_balance_and_the_next_cycle_sells_it(venue, tmp_path):
    """The node answers our buy's receipt without its logs: the swap happened but its fill cannot be read, so the
    position is frozen (the buy failed in the books, the tokens did move). `repair` settles nothing it cannot prove:
    the position stays frozen and the books differ from the chain. Once `correct-accounts` books what the wallet
    holds, `repair` reopens the position with it (the buy marked repaired), and the next cycle sells exactly that."""
    with FaultyRpcProxy(venue.url) as proxy:
        trader, _, _ = start_trader(venue, tmp_path, ROUND_TRIP, json_rpc_url=SecretStr(proxy.url))
        proxy.add_fault(ReceiptWithoutLogs())
        (buy,) = trader.run_cycle(chain_datetime(trader.web3))
    wallet = trader.wallet.address
    assert buy.status is TradeStatus.failed and "receipt shows no swap" in buy.failure_reason
    (frozen,) = trader.state.portfolio.frozen_positions.values()
    assert frozen.get_quantity() == 0 and not trader.state.portfolio.open_positions
    assert len(venue.swaps_by(wallet)) == 1  # the swap was mined: the wallet holds ETH the books do not
    held = Decimal(venue.web3.eth.contract(address=venue.tokens["ETH"], abi=load_abi("ERC20")).functions.balanceOf(wallet).call()).scaleb(-18)
    assert held > 0

    refused = cli(venue, tmp_path, ROUND_TRIP, "repair")
    assert refused.returncode == 1, refused.stderr
    assert f"position #{frozen.position_id} ETH-USDC: state holds 0, chain {held}; left frozen" in refused.stdout
    assert "Frozen positions left: 1" in refused.stdout and "correct-accounts" in refused.stderr

    corrected = cli(venue, tmp_path, ROUND_TRIP, "correct-accounts", "--yes", "--note", "ops: the node lost the buy's receipt logs")
    assert corrected.returncode == 0, corrected.stderr
    repaired = cli(venue, tmp_path, ROUND_TRIP, "repair")
    assert repaired.returncode == 0, repaired.stderr
    assert f"position #{frozen.position_id} ETH-USDC: reopened with {held}" in repaired.stdout and "Frozen positions left: 0" in repaired.stdout

    config = venue.live_config(tmp_path / ROUND_TRIP.name, tmp_path / "state" / "live.json", tmp_path / "cache")
    restarted = LiveTrader(config)
    position = restarted.state.portfolio.open_positions[frozen.position_id]
    assert position.get_quantity() == held and position.trades[buy.trade_id].status is TradeStatus.repaired
    check_accounts(venue.web3, restarted.state, wallet)
    restarted.recover()
    (sell,) = restarted.run_cycle(chain_datetime(venue.web3))
    assert sell.status is TradeStatus.success and sell.executed_quantity == -held
    assert not restarted.state.portfolio.open_positions and not restarted.state.portfolio.frozen_positions
    assert len(venue.swaps_by(wallet)) == 2
    check_accounts(venue.web3, restarted.state, wallet)
