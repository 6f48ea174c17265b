"""The live venue contract, manipulation: the same tests against every venue (Uniswap v2, Uniswap v3; venue_contract.py).

Manipulation: a searcher (a second funded account) moves the pool for one block just before a cycle
(the deviation tripwire refuses the trade and nothing is sent; the next cycle trades at the market),
just before a trigger check (no stop loss or take profit fires on a one-block price; a fall held
past the reference window sells), or front-runs our swap in the mempool (it reverts on its minimum
out and nothing else happens); a buy whose own impact is past max_price_impact is not signed.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from trade_executor.execution.uniswap_v2.treasury import check_accounts
from trade_executor.runner.live import LiveTrader
from trade_executor.state import TradeStatus, TradeType
from trade_executor.testing.adversary import Adversary, FrontRun, TradeRecorder, advance_time, chain_datetime, transactions_sent

from .venue_contract import (
    LP_FEE,
    MANIPULATION,
    OVERSIZED_BUY,
    ROUND_TRIP,
    TRAILING_STOP,
    WINDOW_MINUTES,
    Venue,
    start_trader,
)


def manipulate(venue: Venue, adversary: Adversary, how: str) -> None:
    if how == "dump":
        adversary.dump(venue.ticker, MANIPULATION)
    else:
        adversary.pump(venue.ticker, MANIPULATION)


def assert_refused_as_deviation(trader: LiveTrader, recorder: TradeRecorder, buy: bool):
    """The one unfilled trade: skipped for the deviation with the tripwire's message, out of every position, and notified."""
    (skipped,) = trader.state.portfolio.unfilled_trades.values()
    assert skipped.status is TradeStatus.skipped
    assert "deviates" in skipped.failure_reason and "from the reference price" in skipped.failure_reason
    assert "MAX_PRICE_DEVIATION is 3.00%: not sent, the next cycle or trigger check decides again" in skipped.failure_reason
    assert skipped.is_buy is buy
    assert not skipped.blockchain_transactions
    assert abs(skipped.spot_price / skipped.reference_price - 1) > Decimal("0.03")  # the moved spot, against a steady reference
    for position in trader.state.portfolio.get_all_positions():
        assert skipped.trade_id not in position.trades
    assert [t.trade_id for t in recorder.trades if t.status is TradeStatus.skipped] == [skipped.trade_id]
    return skipped


@pytest.mark.parametrize("how", ["dump", "pump"])  # a dump before our sell robs us; a pump would flatter us: both are refused
def test_a_one_block_move_before_a_closing_cycle_sends_no_swap_and_the_next_cycle_sells_near_the_reference(venue, tmp_path, how):
    trader, recorder, adversary = start_trader(venue, tmp_path, ROUND_TRIP)
    web3, wallet = trader.web3, trader.wallet.address

    (buy,) = trader.run_cycle(chain_datetime(web3))
    assert buy.status is TradeStatus.success
    advance_time(venue.anvil, 20 * 60)  # time passes until the next cycle: the pool's average is its price again
    market = adversary.price(venue.ticker)
    sent = transactions_sent(web3, wallet)

    manipulate(venue, adversary, how)
    trader.run_cycle(chain_datetime(web3))

    assert transactions_sent(web3, wallet) == sent, f"a sell was sent into a {how}ed pool"
    assert len(venue.swaps_by(wallet)) == 1
    portfolio = trader.state.portfolio
    assert not portfolio.frozen_positions
    position = portfolio.open_positions[buy.position_id]
    assert position.get_quantity() == buy.executed_quantity
    assert list(position.trades) == [buy.trade_id]
    assert_refused_as_deviation(trader, recorder, buy=False)
    check_accounts(web3, trader.state, wallet)

    # The searcher back-runs; the next cycle decides again and sells at the market.
    adversary.restore(venue.ticker)
    (sell,) = trader.run_cycle(chain_datetime(web3))
    assert sell.status is TradeStatus.success
    assert sell.trade_id != buy.trade_id
    assert not trader.state.portfolio.open_positions and not trader.state.portfolio.frozen_positions
    assert abs(sell.reference_price / market - 1) < Decimal("0.005")  # the reference is the market, not the manipulation
    assert abs(sell.spot_price / market - 1) < Decimal("0.001")
    assert sell.price_impact > 0
    tolerance = trader.strategy.parameters.slippage_tolerance + LP_FEE + sell.price_impact
    assert sell.executed_price >= sell.reference_price * (1 - tolerance)
    assert len(venue.swaps_by(wallet)) == 2
    check_accounts(web3, trader.state, wallet)


@pytest.mark.parametrize("how", ["pump", "dump"])  # a pump before our buy robs us; a dump would flatter us: both are refused
def test_a_one_block_move_before_an_opening_buy_sends_no_swap_and_leaves_no_position(venue, tmp_path, how):
    trader, recorder, adversary = start_trader(venue, tmp_path, ROUND_TRIP)
    web3, wallet = trader.web3, trader.wallet.address
    market = adversary.price(venue.ticker)
    sent = transactions_sent(web3, wallet)

    manipulate(venue, adversary, how)
    trader.run_cycle(chain_datetime(web3))

    assert transactions_sent(web3, wallet) == sent, f"a buy was sent into a {how}ed pool"
    assert not venue.swaps_by(wallet)
    portfolio = trader.state.portfolio
    assert not portfolio.open_positions and not portfolio.frozen_positions
    assert portfolio.get_cash() == Decimal(10_000)
    assert_refused_as_deviation(trader, recorder, buy=True)
    check_accounts(web3, trader.state, wallet)

    adversary.restore(venue.ticker)
    (buy,) = trader.run_cycle(chain_datetime(web3))
    assert buy.status is TradeStatus.success
    assert abs(buy.reference_price / market - 1) < Decimal("0.005")
    assert buy.price_impact > 0
    tolerance = trader.strategy.parameters.slippage_tolerance + LP_FEE + buy.price_impact
    assert buy.executed_price <= buy.reference_price * (1 + tolerance)
    assert len(venue.swaps_by(wallet)) == 1
    check_accounts(web3, trader.state, wallet)


def test_a_dump_inside_the_deviation_tolerance_but_past_the_slippage_tolerance_sells_nothing_below_the_bound(venue, tmp_path):
    """2.5% down passes the 3% deviation check, but the minimum out comes from the reference: no sale 2.5% low."""
    trader, _, adversary = start_trader(venue, tmp_path, ROUND_TRIP)
    web3, wallet = trader.web3, trader.wallet.address
    (buy,) = trader.run_cycle(chain_datetime(web3))
    advance_time(venue.anvil, 20 * 60)

    adversary.dump(venue.ticker, "0.025")
    trader.run_cycle(chain_datetime(web3))

    sells = venue.swaps_by(wallet)[1:]
    assert not sells, "the sell went through 2.5% below the reference, past its 1% slippage tolerance"
    portfolio = trader.state.portfolio
    assert not list(portfolio.frozen_positions)
    assert portfolio.open_positions[buy.position_id].get_quantity() == buy.executed_quantity
    (unfilled,) = portfolio.unfilled_trades.values()
    assert unfilled.status in (TradeStatus.failed, TradeStatus.skipped)
    check_accounts(web3, trader.state, wallet)


def test_a_buy_whose_own_price_impact_exceeds_max_price_impact_is_refused_before_it_is_signed(venue, tmp_path):
    trader, recorder, _ = start_trader(venue, tmp_path, OVERSIZED_BUY)
    web3, wallet = trader.web3, trader.wallet.address
    sent = transactions_sent(web3, wallet)

    trader.run_cycle(chain_datetime(web3))

    assert transactions_sent(web3, wallet) == sent, "a buy moving the pool ten times more than max_price_impact was sent"
    portfolio = trader.state.portfolio
    assert not portfolio.open_positions and not portfolio.frozen_positions
    assert portfolio.get_cash() == Decimal(10_000)
    (skipped,) = portfolio.unfilled_trades.values()
    assert skipped.status is TradeStatus.skipped
    assert "price impact" in skipped.failure_reason
    assert [t.trade_id for t in recorder.trades] == [skipped.trade_id]
    check_accounts(web3, trader.state, wallet)


# --- manipulation: a one-block move before a trigger check -----------------------------------------


def open_position(venue: Venue, folder: Path, strategy: Path):
    """A position opened by ``strategy``'s first cycle, a quiet pool (its reference is the price), and a searcher."""
    trader, _, adversary = start_trader(venue, folder, strategy)
    (buy,) = trader.run_cycle(chain_datetime(trader.web3))
    assert buy.status is TradeStatus.success
    assert trader.state.portfolio.open_positions[buy.position_id].stop_loss is not None
    advance_time(venue.anvil, 20 * 60)
    return trader, adversary, buy


def assert_untouched(trader: LiveTrader, buy, sent: int) -> None:
    assert transactions_sent(trader.web3, trader.wallet.address) == sent, "a trigger fired on a one-block price and sold"
    portfolio = trader.state.portfolio
    assert not portfolio.frozen_positions
    assert portfolio.open_positions[buy.position_id].get_quantity() == buy.executed_quantity


def test_a_one_block_dump_below_the_stop_fires_nothing_and_a_fall_held_past_the_window_sells(venue, tmp_path):
    trader, adversary, buy = open_position(venue, tmp_path, ROUND_TRIP)  # stop 10% below, take profit 10% above
    web3, wallet = trader.web3, trader.wallet.address
    position = trader.state.portfolio.open_positions[buy.position_id]
    sent = transactions_sent(web3, wallet)

    adversary.dump(venue.ticker, "0.3")  # 30% down, far below the stop (10% down)
    assert adversary.price(venue.ticker) < position.stop_loss
    fired = trader.check_triggers(chain_datetime(web3))
    assert_untouched(trader, buy, sent)
    assert fired == []
    check_accounts(web3, trader.state, wallet)

    # The market holds the fall: a check every minute of chain time, as the live loop does. The reference
    # crosses the stop about a third of a window in at the earliest: nothing may sell before.
    sell = None
    for minute in range(1, 2 * WINDOW_MINUTES + 1):
        advance_time(venue.anvil, 60)
        trader.check_triggers(chain_datetime(web3))
        if minute <= 3:
            assert_untouched(trader, buy, sent)
        closed = trader.state.portfolio.closed_positions.get(buy.position_id)
        if closed is not None:
            (sell,) = [t for t in closed.trades.values() if t.is_sell]
            break
    assert sell is not None, f"the stop loss never fired though the price stayed 30% down for {2 * WINDOW_MINUTES} minutes"
    assert sell.status is TradeStatus.success
    assert sell.trade_type is TradeType.stop_loss
    assert transactions_sent(web3, wallet) == sent + 1
    assert len(venue.swaps_by(wallet)) == 2
    assert not trader.state.portfolio.open_positions and not trader.state.portfolio.frozen_positions
    tolerance = trader.strategy.parameters.slippage_tolerance + LP_FEE + sell.price_impact
    assert sell.executed_price >= sell.reference_price * (1 - tolerance)
    assert sell.reference_price < position.stop_loss
    check_accounts(web3, trader.state, wallet)


def test_a_one_block_pump_above_the_take_profit_fires_nothing(venue, tmp_path):
    trader, adversary, buy = open_position(venue, tmp_path, ROUND_TRIP)
    web3, wallet = trader.web3, trader.wallet.address
    position = trader.state.portfolio.open_positions[buy.position_id]
    sent = transactions_sent(web3, wallet)

    adversary.pump(venue.ticker, "0.3")
    assert adversary.price(venue.ticker) > position.take_profit
    fired = trader.check_triggers(chain_datetime(web3))
    assert_untouched(trader, buy, sent)
    assert fired == []

    # Back-run; a minute later the check still finds nothing to do.
    adversary.restore(venue.ticker)
    advance_time(venue.anvil, 60)
    fired = trader.check_triggers(chain_datetime(web3))
    assert_untouched(trader, buy, sent)
    assert fired == []
    assert not trader.state.portfolio.unfilled_trades
    check_accounts(web3, trader.state, wallet)


def test_a_one_block_pump_does_not_ratchet_a_trailing_stop_that_the_back_run_would_then_fire(venue, tmp_path):
    trader, adversary, buy = open_position(venue, tmp_path, TRAILING_STOP)
    web3, wallet = trader.web3, trader.wallet.address
    position = trader.state.portfolio.open_positions[buy.position_id]
    market = adversary.price(venue.ticker)
    sent = transactions_sent(web3, wallet)

    adversary.pump(venue.ticker, "0.3")  # 20% below the pumped price is above the market
    trader.check_triggers(chain_datetime(web3))
    adversary.restore(venue.ticker)
    fired = trader.check_triggers(chain_datetime(web3))

    assert_untouched(trader, buy, sent)
    assert fired == []
    # The stop may trail the reference (our own buy raised it a little), never the one-block price.
    assert position.stop_loss <= market * Decimal("0.8") * Decimal("1.001"), f"a one-block pump ratcheted the trailing stop to {position.stop_loss}"
    check_accounts(web3, trader.state, wallet)


# --- manipulation: a front-run in the mempool -------------------------------------------------------


def assert_front_run_in_one_block(trader: LiveTrader, adversary: Adversary, front_run: FrontRun) -> None:
    """Our swap was seen in the mempool, the searcher's landed first in the same block, and ours reverted."""
    assert front_run.victim_tx is not None, "no swap of ours reached the mempool"
    ours = trader.web3.eth.get_transaction_receipt(front_run.victim_tx)
    theirs = adversary.web3.eth.get_transaction_receipt(front_run.own_tx)
    assert ours["blockNumber"] == theirs["blockNumber"] == front_run.block_number
    assert theirs["transactionIndex"] < ours["transactionIndex"]
    assert theirs["status"] == 1
    assert ours["status"] == 0, "our swap went through after a 5% front-run: the minimum out did not protect it"


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


def test_a_front_run_sell_reverts_and_the_position_stays_open_unfrozen_for_the_next_cycle(venue, tmp_path):
    trader, _, adversary = start_trader(venue, tmp_path, ROUND_TRIP)
    web3, wallet = trader.web3, trader.wallet.address
    (buy,) = trader.run_cycle(chain_datetime(web3))
    assert buy.status is TradeStatus.success
    advance_time(venue.anvil, 20 * 60)
    sent = transactions_sent(web3, wallet)

    with adversary.front_running(venue.ticker, victim=wallet, move="-0.05") as front_run:
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
    adversary.restore(venue.ticker)
    (sell,) = trader.run_cycle(chain_datetime(web3))
    assert sell.status is TradeStatus.success
    assert sell.executed_quantity == -buy.executed_quantity
    assert not trader.state.portfolio.open_positions and not trader.state.portfolio.frozen_positions
    assert transactions_sent(web3, wallet) == sent + 2
    assert len(venue.swaps_by(wallet)) == 2  # the buy and this sell; the reverted swap moved nothing
    check_accounts(web3, trader.state, wallet)


def test_a_front_run_opening_buy_reverts_leaving_no_position_and_the_cash_and_the_next_cycle_buys(venue, tmp_path):
    trader, _, adversary = start_trader(venue, tmp_path, ROUND_TRIP)
    web3, wallet = trader.web3, trader.wallet.address
    sent = transactions_sent(web3, wallet)

    with adversary.front_running(venue.ticker, victim=wallet, move="0.05") as front_run:
        trader.run_cycle(chain_datetime(web3))

    assert_front_run_in_one_block(trader, adversary, front_run)
    portfolio = trader.state.portfolio
    assert not list(portfolio.frozen_positions), "a reverted opening buy froze its position"
    assert not portfolio.open_positions
    assert portfolio.get_cash() == Decimal(10_000)
    assert_failed_for_the_revert(trader, front_run, buy=True)
    check_accounts(web3, trader.state, wallet)

    adversary.restore(venue.ticker)
    (buy,) = trader.run_cycle(chain_datetime(web3))
    assert buy.status is TradeStatus.success
    assert list(trader.state.portfolio.open_positions) == [buy.position_id]
    assert transactions_sent(web3, wallet) == sent + 2
    assert len(venue.swaps_by(wallet)) == 1
    check_accounts(web3, trader.state, wallet)
