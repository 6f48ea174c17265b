"""A searcher moves the pool for one block just before a trigger check: no stop loss or take profit fires.

A stop loss fires only when the manipulation-resistant reference (the pool's TWAP) crosses its level.
A one-block dump below the stop is a price no one can sell at twice; a fall the market holds for
longer than the TWAP window is real, and the stop sells then. The live loop checks triggers every
minute; the test advances the chain's clock a minute at a time and checks at each step.
"""

from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import pytest

from trade_executor.execution.uniswap_v2.treasury import check_accounts
from trade_executor.runner.live import LiveTrader
from trade_executor.state import TradeStatus, TradeType
from trade_executor.testing.adversary import (
    Adversary,
    TradeRecorder,
    advance_time,
    approve_router,
    chain_datetime,
    ensure_history,
    swaps_by,
    transactions_sent,
)

from .conftest import HOT_WALLET_KEY

STRATEGIES = Path(__file__).resolve().parents[2] / "strategies"
ROUND_TRIP = STRATEGIES / "live_round_trip.py"  # stop loss 0.9, take profit 1.1
TRAILING_STOP = STRATEGIES / "live_trailing_stop.py"  # trailing stop 0.8
TICKER = "ETH-USDC"
WINDOW_MINUTES = 15  # LiveConfig.twap_window_minutes' default


def open_position(anvil, deployment, live_config, strategy: Path):
    """A position opened by ``strategy``'s first cycle, a quiet pool (its TWAP is the price), and a searcher."""
    ensure_history(anvil, deployment)
    adversary = Adversary(anvil, deployment)
    trader = LiveTrader(replace(live_config, strategy_file=strategy, observers=(TradeRecorder(),)))
    approve_router(trader.web3, HOT_WALLET_KEY, deployment.router, [deployment.tokens["USDC"], deployment.tokens["ETH"]])
    trader.recover()
    (buy,) = trader.run_cycle(chain_datetime(trader.web3))
    assert buy.status is TradeStatus.success
    assert trader.state.portfolio.open_positions[buy.position_id].stop_loss is not None
    advance_time(anvil, 20 * 60)
    return trader, adversary, buy


@pytest.fixture
def opened(anvil, deployment, live_config):
    """A position of the round-trip strategy: stop 10% below, take profit 10% above."""
    return open_position(anvil, deployment, live_config, ROUND_TRIP)


def assert_untouched(trader: LiveTrader, buy, sent: int) -> None:
    assert transactions_sent(trader.web3, trader.wallet.address) == sent, "a trigger fired on a one-block price and sold"
    portfolio = trader.state.portfolio
    assert not portfolio.frozen_positions
    assert portfolio.open_positions[buy.position_id].get_quantity() == buy.executed_quantity


def test_a_one_block_dump_below_the_stop_fires_nothing_and_a_fall_held_past_the_window_sells(anvil, deployment, opened):
    trader, adversary, buy = opened
    web3, wallet = trader.web3, trader.wallet.address
    position = trader.state.portfolio.open_positions[buy.position_id]
    sent = transactions_sent(web3, wallet)

    adversary.dump(TICKER, "0.3")  # 30% down, far below the stop (10% down)
    assert adversary.price(TICKER) < position.stop_loss
    fired = trader.check_triggers(chain_datetime(web3))
    assert_untouched(trader, buy, sent)
    assert fired == []
    check_accounts(web3, trader.state, wallet)

    # The market holds the fall: a check every minute of chain time, as the live loop does. The reference
    # crosses the stop a third of a window in (about 5 minutes) at the earliest: nothing may sell before.
    sell = None
    for minute in range(1, 2 * WINDOW_MINUTES + 1):
        advance_time(anvil, 60)
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
    assert len(swaps_by(web3, deployment.pairs[TICKER], wallet)) == 2
    assert not trader.state.portfolio.open_positions and not trader.state.portfolio.frozen_positions
    tolerance = trader.strategy.parameters.slippage_tolerance + Decimal("0.003") + sell.price_impact
    assert sell.executed_price >= sell.reference_price * (1 - tolerance)
    assert sell.reference_price < position.stop_loss
    check_accounts(web3, trader.state, wallet)


def test_a_one_block_pump_above_the_take_profit_fires_nothing(anvil, deployment, opened):
    trader, adversary, buy = opened
    web3, wallet = trader.web3, trader.wallet.address
    position = trader.state.portfolio.open_positions[buy.position_id]
    sent = transactions_sent(web3, wallet)

    adversary.pump(TICKER, "0.3")
    assert adversary.price(TICKER) > position.take_profit
    fired = trader.check_triggers(chain_datetime(web3))
    assert_untouched(trader, buy, sent)
    assert fired == []

    # Back-run; a minute later the check still finds nothing to do.
    adversary.restore(TICKER)
    advance_time(anvil, 60)
    fired = trader.check_triggers(chain_datetime(web3))
    assert_untouched(trader, buy, sent)
    assert fired == []
    assert not trader.state.portfolio.unfilled_trades
    check_accounts(web3, trader.state, wallet)


def test_a_one_block_pump_does_not_ratchet_a_trailing_stop_that_the_back_run_would_then_fire(anvil, deployment, live_config):
    trader, adversary, buy = open_position(anvil, deployment, live_config, TRAILING_STOP)
    web3, wallet = trader.web3, trader.wallet.address
    position = trader.state.portfolio.open_positions[buy.position_id]
    market = adversary.price(TICKER)
    sent = transactions_sent(web3, wallet)

    adversary.pump(TICKER, "0.3")  # 20% below the pumped price is above the market
    trader.check_triggers(chain_datetime(web3))
    adversary.restore(TICKER)
    fired = trader.check_triggers(chain_datetime(web3))

    assert_untouched(trader, buy, sent)
    assert fired == []
    # The stop may trail the reference (our own buy raised it a little), never the one-block price.
    assert position.stop_loss <= market * Decimal("0.8") * Decimal("1.001"), f"a one-block pump ratcheted the trailing stop to {position.stop_loss}"
    check_accounts(web3, trader.state, wallet)
