"""A searcher front-runs our swap in the mempool: the swap reverts on chain, and that is all that happens.

amountOutMin is derived from the reference price and the slippage tolerance, so a front-run that
moves the pool by more than the tolerance (5% against 1%) makes our swap revert: no tokens move.
A revert is a failed trade, not a broken position: it is recorded (moved to the unfilled trades),
the position stays as it was and is not frozen, the books equal the chain, and the next cycle
trades again.
"""

from dataclasses import replace
from decimal import Decimal
from pathlib import Path

from trade_executor.execution.uniswap_v2.treasury import check_accounts
from trade_executor.runner.live import LiveTrader
from trade_executor.state import TradeStatus
from trade_executor.testing.adversary import (
    Adversary,
    FrontRun,
    advance_time,
    approve_router,
    chain_datetime,
    ensure_history,
    swaps_by,
    transactions_sent,
)

from .conftest import HOT_WALLET_KEY

ROUND_TRIP = Path(__file__).resolve().parents[2] / "strategies" / "live_round_trip.py"  # slippage tolerance 1%
TICKER = "ETH-USDC"


def start(anvil, deployment, live_config) -> tuple[LiveTrader, Adversary]:
    ensure_history(anvil, deployment)
    adversary = Adversary(anvil, deployment)
    trader = LiveTrader(replace(live_config, strategy_file=ROUND_TRIP))
    approve_router(trader.web3, HOT_WALLET_KEY, deployment.router, [deployment.tokens["USDC"], deployment.tokens["ETH"]])
    trader.recover()
    return trader, adversary


def assert_front_run_in_one_block(trader: LiveTrader, adversary: Adversary, front_run: FrontRun) -> None:
    """Our swap was seen in the mempool, the searcher's landed first in the same block, and ours reverted."""
    assert front_run.victim_tx is not None, "no swap of ours reached the mempool"
    ours = trader.web3.eth.get_transaction_receipt(front_run.victim_tx)
    theirs = adversary.web3.eth.get_transaction_receipt(front_run.own_tx)
    assert ours["blockNumber"] == theirs["blockNumber"] == front_run.block_number
    assert theirs["transactionIndex"] < ours["transactionIndex"]
    assert theirs["status"] == 1
    assert ours["status"] == 0, "our swap went through after a 5% front-run: amountOutMin did not protect it"


def assert_failed_for_the_revert(trader: LiveTrader, front_run: FrontRun, buy: bool):
    (failed,) = trader.state.portfolio.unfilled_trades.values()
    assert failed.status is TradeStatus.failed
    assert "reverted" in failed.failure_reason
    assert failed.is_buy is buy
    assert failed.blockchain_transactions[-1].tx_hash == front_run.victim_tx
    assert failed.blockchain_transactions[-1].status is False
    for position in trader.state.portfolio.get_all_positions():
        assert failed.trade_id not in position.trades
    return failed


def test_a_front_run_sell_reverts_and_the_position_stays_open_unfrozen_for_the_next_cycle(anvil, deployment, live_config):
    trader, adversary = start(anvil, deployment, live_config)
    web3, wallet, pool = trader.web3, trader.wallet.address, deployment.pairs[TICKER]
    (buy,) = trader.run_cycle(chain_datetime(web3))
    assert buy.status is TradeStatus.success
    advance_time(anvil, 20 * 60)
    sent = transactions_sent(web3, wallet)

    with adversary.front_running(TICKER, victim=wallet, move="-0.05") as front_run:
        trader.run_cycle(chain_datetime(web3))

    assert_front_run_in_one_block(trader, adversary, front_run)
    portfolio = trader.state.portfolio
    assert not list(portfolio.frozen_positions), "a revert in which no token moved froze the position"
    position = portfolio.open_positions[buy.position_id]
    assert position.get_quantity() == buy.executed_quantity
    assert list(position.trades) == [buy.trade_id]
    assert_failed_for_the_revert(trader, front_run, buy=False)
    assert transactions_sent(web3, wallet) == sent + 1
    check_accounts(web3, trader.state, wallet)

    # The searcher sells back into the pool; the next cycle decides again and sells.
    adversary.restore(TICKER)
    (sell,) = trader.run_cycle(chain_datetime(web3))
    assert sell.status is TradeStatus.success
    assert sell.executed_quantity == -buy.executed_quantity
    assert not trader.state.portfolio.open_positions and not trader.state.portfolio.frozen_positions
    assert transactions_sent(web3, wallet) == sent + 2
    assert len(swaps_by(web3, pool, wallet)) == 2  # the buy and this sell; the reverted swap moved nothing
    check_accounts(web3, trader.state, wallet)


def test_a_front_run_opening_buy_reverts_leaving_no_position_and_the_cash_and_the_next_cycle_buys(anvil, deployment, live_config):
    trader, adversary = start(anvil, deployment, live_config)
    web3, wallet, pool = trader.web3, trader.wallet.address, deployment.pairs[TICKER]
    sent = transactions_sent(web3, wallet)

    with adversary.front_running(TICKER, victim=wallet, move="0.05") as front_run:
        trader.run_cycle(chain_datetime(web3))

    assert_front_run_in_one_block(trader, adversary, front_run)
    portfolio = trader.state.portfolio
    assert not list(portfolio.frozen_positions), "a reverted opening buy froze its position"
    assert not portfolio.open_positions
    assert portfolio.get_cash() == Decimal(10_000)
    assert_failed_for_the_revert(trader, front_run, buy=True)
    check_accounts(web3, trader.state, wallet)

    adversary.restore(TICKER)
    (buy,) = trader.run_cycle(chain_datetime(web3))
    assert buy.status is TradeStatus.success
    assert list(trader.state.portfolio.open_positions) == [buy.position_id]
    assert transactions_sent(web3, wallet) == sent + 2
    assert len(swaps_by(web3, pool, wallet)) == 1
    check_accounts(web3, trader.state, wallet)
