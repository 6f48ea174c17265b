"""Slow blocks: a trade broadcast but not yet confirmed is still our trade, and the books count it.

anvil mines a block every few seconds (interval mining) and the trader waits only half a second for
a confirmation, as with a short CONFIRMATION_TIMEOUT on a chain with 25-second blocks. Quick cycles
and trigger checks before the block must neither spend the cash of an unconfirmed buy again nor sell
the tokens of an unconfirmed sell again; once the block is mined, a later cycle settles the trade
from the chain and the books equal the chain.
"""

from dataclasses import replace
from decimal import Decimal
from pathlib import Path

from trade_executor.chain.transactions import wait_for_receipt
from trade_executor.execution.uniswap_v2.treasury import check_accounts
from trade_executor.runner.live import LiveTrader
from trade_executor.state import TradeStatus
from trade_executor.testing.adversary import (
    Adversary,
    advance_time,
    approve_router,
    chain_datetime,
    ensure_history,
    swaps_by,
    transactions_sent,
)

from .conftest import HOT_WALLET_KEY

STRATEGIES = Path(__file__).resolve().parents[2] / "strategies"
HALF_OF_THE_CASH = STRATEGIES / "buy_half_of_the_cash.py"
ROUND_TRIP = STRATEGIES / "live_round_trip.py"  # buys $2,000 with a stop loss 10% below; sells when open
TICKER = "ETH-USDC"
BLOCK_SECONDS = 6
CONFIRMATION_TIMEOUT = 0.5
QUICK_CYCLES = 3


def start(anvil, deployment, live_config, strategy: Path) -> LiveTrader:
    ensure_history(anvil, deployment)
    trader = LiveTrader(replace(live_config, strategy_file=strategy, confirmation_timeout=CONFIRMATION_TIMEOUT))
    approve_router(trader.web3, HOT_WALLET_KEY, deployment.router, [deployment.tokens["USDC"], deployment.tokens["ETH"]])
    trader.recover()
    return trader


def slow_blocks(anvil) -> None:
    """From now on a block every BLOCK_SECONDS, and none in between (the first one BLOCK_SECONDS from now)."""
    anvil.rpc("evm_setIntervalMining", BLOCK_SECONDS)
    assert anvil.rpc("anvil_getAutomine") is False


def next_block(anvil, web3, trade) -> None:
    """The next block, with the trade's transaction in it."""
    anvil.rpc("evm_mine")
    wait_for_receipt(web3, trade.blockchain_transactions[-1].tx_hash, timeout=BLOCK_SECONDS)


def test_quick_cycles_before_the_block_send_one_buy_for_one_intent_and_a_later_cycle_settles_it(anvil, deployment, live_config):
    trader = start(anvil, deployment, live_config, HALF_OF_THE_CASH)
    web3, wallet, pool = trader.web3, trader.wallet.address, deployment.pairs[TICKER]
    sent = transactions_sent(web3, wallet)
    slow_blocks(anvil)
    block = web3.eth.block_number

    (buy,) = trader.run_cycle(chain_datetime(web3))
    for cycle in range(QUICK_CYCLES):
        trader.run_cycle(chain_datetime(web3))
        assert transactions_sent(web3, wallet) == sent + 1, f"quick cycle {cycle + 1} bought again with the cash of the unconfirmed buy"
    assert web3.eth.block_number == block, "a block came before the quick cycles ended: the machine is too slow for BLOCK_SECONDS"
    assert buy.status is TradeStatus.broadcasted
    assert trader.state.portfolio.open_positions[buy.position_id].get_quantity() == 0  # nothing has arrived yet

    # The block comes (mined now rather than waited for); the next cycle settles the buy from its receipt and buys nothing more.
    next_block(anvil, web3, buy)
    assert trader.run_cycle(chain_datetime(web3)) == []
    settled = trader.state.portfolio.open_positions[buy.position_id].trades[buy.trade_id]
    assert settled.status is TradeStatus.success
    assert settled.executed_reserve == Decimal(5_000)
    assert trader.state.portfolio.get_cash() == Decimal(5_000)
    assert transactions_sent(web3, wallet) == sent + 1
    assert len(swaps_by(web3, pool, wallet)) == 1
    check_accounts(web3, trader.state, wallet)


def test_a_trigger_check_and_a_cycle_during_an_unconfirmed_sell_send_no_second_sell(anvil, deployment, live_config):
    trader = start(anvil, deployment, live_config, ROUND_TRIP)
    adversary = Adversary(anvil, deployment)
    web3, wallet, pool = trader.web3, trader.wallet.address, deployment.pairs[TICKER]
    (buy,) = trader.run_cycle(chain_datetime(web3))
    assert buy.status is TradeStatus.success
    position = trader.state.portfolio.open_positions[buy.position_id]

    # The market falls 30% and stays there for longer than the TWAP window: the stop (10% down) is
    # really crossed, but no trigger check ran meanwhile. Then blocks become slow and the cycle sells.
    adversary.dump(TICKER, "0.3")
    advance_time(anvil, 20 * 60)
    sent = transactions_sent(web3, wallet)
    slow_blocks(anvil)
    block = web3.eth.block_number
    (sell,) = trader.run_cycle(chain_datetime(web3))
    assert sell.is_sell
    assert transactions_sent(web3, wallet) == sent + 1

    trader.check_triggers(chain_datetime(web3))
    assert transactions_sent(web3, wallet) == sent + 1, "the stop loss sold again the tokens an unconfirmed sell is selling"
    trader.run_cycle(chain_datetime(web3))
    assert transactions_sent(web3, wallet) == sent + 1, "a cycle sold again the tokens an unconfirmed sell is selling"
    assert web3.eth.block_number == block, "a block came before the checks ended: the machine is too slow for BLOCK_SECONDS"
    assert sell.status is TradeStatus.broadcasted
    assert not trader.state.portfolio.frozen_positions

    next_block(anvil, web3, sell)
    trader.check_triggers(chain_datetime(web3))  # resolves the sell from the chain first; nothing left to stop out
    assert sell.status is TradeStatus.success
    assert sell.executed_quantity == -buy.executed_quantity
    assert position.position_id in trader.state.portfolio.closed_positions
    assert not trader.state.portfolio.open_positions and not trader.state.portfolio.frozen_positions
    assert transactions_sent(web3, wallet) == sent + 1
    assert len(swaps_by(web3, pool, wallet)) == 2
    check_accounts(web3, trader.state, wallet)
