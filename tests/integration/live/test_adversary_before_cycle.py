"""A searcher moves the pool for one block just before a cycle: the executor does not trade at that price.

Real anvil, real Uniswap v2, a second funded account swapping against the same pool. Before a
swap is signed, the pool's spot price is compared with its time-weighted average (the reference
one block cannot move); when they disagree by more than MAX_PRICE_DEVIATION (3%) the swap is not
sent: the trade is recorded as skipped, the position stays as it was, observers hear of it, and
the next cycle decides again. Manipulation in our favour is refused alike: a price the market
did not make is not a price to trade at.
"""

from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import pytest

from trade_executor.execution.uniswap_v2.treasury import check_accounts
from trade_executor.runner.backtest import BacktestOptions, BacktestRun, build_universe
from trade_executor.runner.live import LiveTrader
from trade_executor.state import TradeStatus
from trade_executor.strategy.context import ExecutionContext, ExecutionMode
from trade_executor.strategy.module import load_strategy_module
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
ROUND_TRIP = STRATEGIES / "live_round_trip.py"
OVERSIZED_BUY = STRATEGIES / "live_oversized_buy.py"
TICKER = "ETH-USDC"
MANIPULATION = Decimal("0.3")
LP_FEE = Decimal("0.003")


def start_trader(live_config, deployment, strategy: Path) -> tuple[LiveTrader, TradeRecorder]:
    """The hot wallet approves the router first, so every transaction counted afterwards is a swap."""
    recorder = TradeRecorder()
    config = replace(live_config, strategy_file=strategy, observers=(recorder,))
    trader = LiveTrader(config)
    approve_router(trader.web3, HOT_WALLET_KEY, deployment.router, [deployment.tokens["USDC"], deployment.tokens["ETH"]])
    trader.recover()
    return trader, recorder


def manipulate(adversary: Adversary, how: str) -> None:
    if how == "dump":
        adversary.dump(TICKER, MANIPULATION)
    else:
        adversary.pump(TICKER, MANIPULATION)


def assert_refused_as_deviation(trader: LiveTrader, recorder: TradeRecorder, buy: bool):
    """The one unfilled trade: skipped for the deviation, out of every position, and notified."""
    (skipped,) = trader.state.portfolio.unfilled_trades.values()
    assert skipped.status is TradeStatus.skipped
    assert "deviates" in skipped.failure_reason
    assert skipped.is_buy is buy
    assert not skipped.blockchain_transactions
    for position in trader.state.portfolio.get_all_positions():
        assert skipped.trade_id not in position.trades
    assert [t.trade_id for t in recorder.trades if t.status is TradeStatus.skipped] == [skipped.trade_id]
    return skipped


@pytest.mark.parametrize("how", ["dump", "pump"])  # a dump before our sell robs us; a pump would flatter us: both are refused
def test_a_one_block_move_before_a_closing_cycle_sends_no_swap_and_the_next_cycle_sells_near_the_reference(anvil, deployment, live_config, how):
    ensure_history(anvil, deployment)
    adversary = Adversary(anvil, deployment)
    trader, recorder = start_trader(live_config, deployment, ROUND_TRIP)
    web3, wallet, pool = trader.web3, trader.wallet.address, deployment.pairs[TICKER]

    (buy,) = trader.run_cycle(chain_datetime(web3))
    assert buy.status is TradeStatus.success
    advance_time(anvil, 20 * 60)  # time passes until the next cycle: the pool's average is its price again
    market = adversary.price(TICKER)
    sent = transactions_sent(web3, wallet)

    manipulate(adversary, how)
    trader.run_cycle(chain_datetime(web3))

    assert transactions_sent(web3, wallet) == sent, f"a sell was sent into a {how}ed pool"
    assert len(swaps_by(web3, pool, wallet)) == 1
    portfolio = trader.state.portfolio
    assert not portfolio.frozen_positions
    position = portfolio.open_positions[buy.position_id]
    assert position.get_quantity() == buy.executed_quantity
    assert list(position.trades) == [buy.trade_id]
    assert_refused_as_deviation(trader, recorder, buy=False)
    check_accounts(web3, trader.state, wallet)

    # The searcher back-runs; the next cycle decides again and sells at the market.
    adversary.restore(TICKER)
    (sell,) = trader.run_cycle(chain_datetime(web3))
    assert sell.status is TradeStatus.success
    assert sell.trade_id != buy.trade_id
    assert not trader.state.portfolio.open_positions and not trader.state.portfolio.frozen_positions
    assert abs(sell.reference_price / market - 1) < Decimal("0.005")  # the reference is the market, not the manipulation
    assert abs(sell.spot_price / market - 1) < Decimal("0.001")
    assert sell.price_impact > 0
    tolerance = trader.strategy.parameters.slippage_tolerance + LP_FEE + sell.price_impact
    assert sell.executed_price >= sell.reference_price * (1 - tolerance)
    assert len(swaps_by(web3, pool, wallet)) == 2
    check_accounts(web3, trader.state, wallet)


@pytest.mark.parametrize("how", ["pump", "dump"])  # a pump before our buy robs us; a dump would flatter us: both are refused
def test_a_one_block_move_before_an_opening_buy_sends_no_swap_and_leaves_no_position(anvil, deployment, live_config, how):
    ensure_history(anvil, deployment)
    adversary = Adversary(anvil, deployment)
    trader, recorder = start_trader(live_config, deployment, ROUND_TRIP)
    web3, wallet, pool = trader.web3, trader.wallet.address, deployment.pairs[TICKER]
    market = adversary.price(TICKER)
    sent = transactions_sent(web3, wallet)

    manipulate(adversary, how)
    trader.run_cycle(chain_datetime(web3))

    assert transactions_sent(web3, wallet) == sent, f"a buy was sent into a {how}ed pool"
    assert not swaps_by(web3, pool, wallet)
    portfolio = trader.state.portfolio
    assert not portfolio.open_positions and not portfolio.frozen_positions
    assert portfolio.get_cash() == Decimal(10_000)
    assert_refused_as_deviation(trader, recorder, buy=True)
    check_accounts(web3, trader.state, wallet)

    adversary.restore(TICKER)
    (buy,) = trader.run_cycle(chain_datetime(web3))
    assert buy.status is TradeStatus.success
    assert abs(buy.reference_price / market - 1) < Decimal("0.005")
    assert buy.price_impact > 0
    tolerance = trader.strategy.parameters.slippage_tolerance + LP_FEE + buy.price_impact
    assert buy.executed_price <= buy.reference_price * (1 + tolerance)
    assert len(swaps_by(web3, pool, wallet)) == 1
    check_accounts(web3, trader.state, wallet)


def test_a_dump_inside_the_deviation_tolerance_but_past_the_slippage_tolerance_sells_nothing_below_the_bound(anvil, deployment, live_config):
    """2.5% down passes the 3% deviation check, but amountOutMin comes from the reference: no sale 2.5% low."""
    ensure_history(anvil, deployment)
    adversary = Adversary(anvil, deployment)
    trader, _ = start_trader(live_config, deployment, ROUND_TRIP)
    web3, wallet, pool = trader.web3, trader.wallet.address, deployment.pairs[TICKER]
    (buy,) = trader.run_cycle(chain_datetime(web3))
    advance_time(anvil, 20 * 60)

    adversary.dump(TICKER, "0.025")
    trader.run_cycle(chain_datetime(web3))

    sells = swaps_by(web3, pool, wallet)[1:]
    assert not sells, "the sell went through 2.5% below the reference, past its 1% slippage tolerance"
    portfolio = trader.state.portfolio
    assert not list(portfolio.frozen_positions)
    assert portfolio.open_positions[buy.position_id].get_quantity() == buy.executed_quantity
    (unfilled,) = portfolio.unfilled_trades.values()
    assert unfilled.status in (TradeStatus.failed, TradeStatus.skipped)
    check_accounts(web3, trader.state, wallet)


def test_a_buy_whose_own_price_impact_exceeds_max_price_impact_is_refused_before_it_is_signed(anvil, deployment, live_config):
    ensure_history(anvil, deployment)
    trader, recorder = start_trader(live_config, deployment, OVERSIZED_BUY)
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


def test_the_price_impact_tripwire_refuses_the_same_buy_in_a_backtest():
    strategy = load_strategy_module(OVERSIZED_BUY)
    universe = build_universe(strategy, BacktestOptions(), ExecutionContext(ExecutionMode.backtesting, strategy.engine_version))
    state = BacktestRun(strategy, universe, BacktestOptions()).run().state

    trades = [t for p in state.portfolio.get_all_positions() for t in p.trades.values()]
    assert not trades, f"the backtest filled a buy whose price impact is above max_price_impact: {[str(t) for t in trades]}"
    assert state.portfolio.get_cash() == Decimal(10_000)
    assert state.backtest.skipped_trades >= 1
