"""Hand-built States for the reporting tests.

Positions and trades are made with the state model's own methods and the reserve moves
by each trade's cash delta, the way the simulated execution does, so the numbers in the
tests can be checked by hand.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from trade_executor.identifiers import AssetIdentifier, TradingPairIdentifier, synthetic_address
from trade_executor.state import (
    BacktestInfo,
    BalanceUpdateCause,
    State,
    TradeExecution,
    TradeStatus,
    TradeType,
    TradingPosition,
)

USDC = AssetIdentifier(1, synthetic_address("USDC"), "USDC", 6)
WETH = AssetIdentifier(1, synthetic_address("WETH"), "WETH", 18)
WBTC = AssetIdentifier(1, synthetic_address("WBTC"), "WBTC", 8)
ETH_USDC = TradingPairIdentifier(WETH, USDC, synthetic_address("pool", "WETH-USDC"), "uniswap-v2")
BTC_USDC = TradingPairIdentifier(WBTC, USDC, synthetic_address("pool", "WBTC-USDC"), "uniswap-v2")
START = datetime.datetime(2021, 1, 1)


def at(days: float = 0, hours: float = 0) -> datetime.datetime:
    return START + datetime.timedelta(days=days, hours=hours)


def deposit(state: State, amount: str, when: datetime.datetime = START) -> None:
    state.portfolio.record_balance_update(BalanceUpdateCause.deposit, USDC, Decimal(amount), when)


def open_position(
    state: State, pair: TradingPairIdentifier, when: datetime.datetime, quantity: str, reserve: str, lp_fee: str, gas: str
) -> TradingPosition:
    """Open a position with one settled buy of ``quantity`` for ``reserve`` USDC."""
    portfolio = state.portfolio
    price = Decimal(reserve) / Decimal(quantity)
    position = TradingPosition(portfolio.allocate_position_id(), pair, USDC, when, price, when)
    portfolio.open_positions[position.position_id] = position
    trade(state, position, when, quantity, reserve, lp_fee, gas)
    return position


def trade(
    state: State,
    position: TradingPosition,
    when: datetime.datetime,
    quantity: str,
    reserve: str,
    lp_fee: str,
    gas: str,
    trade_type: TradeType = TradeType.rebalance,
) -> TradeExecution:
    """A settled swap (``quantity`` < 0 sells); the reserve moves by its cash delta, gas included."""
    portfolio = state.portfolio
    quantity_, reserve_ = Decimal(quantity), Decimal(reserve)
    execution = TradeExecution(
        portfolio.allocate_trade_id(), position.position_id, position.pair, USDC, trade_type, when,
        quantity_, reserve_, reserve_ / abs(quantity_),
    )  # fmt: skip
    execution.mark_success(
        executed_at=when, quantity=quantity_, reserve=reserve_, lp_fees=Decimal(lp_fee),
        price_impact=Decimal(0), gas_native=Decimal(0), gas_usd=Decimal(gas),
    )  # fmt: skip
    position.trades[execution.trade_id] = execution
    position.last_token_price, position.last_pricing_at = execution.executed_price, when
    portfolio.adjust_cash(execution.get_cash_delta())
    return execution


def failed_trade(state: State, position: TradingPosition, when: datetime.datetime, quantity: str) -> TradeExecution:
    """A swap that reverted: it moves no money and is not counted as executed."""
    execution = TradeExecution(
        state.portfolio.allocate_trade_id(), position.position_id, position.pair, USDC, TradeType.rebalance, when,
        Decimal(quantity), Decimal(0), position.last_token_price, status=TradeStatus.started,
    )  # fmt: skip
    execution.mark_failed(when, "reverted: INSUFFICIENT_OUTPUT_AMOUNT")
    position.trades[execution.trade_id] = execution
    return execution


def close_position(
    state: State, position: TradingPosition, when: datetime.datetime, reserve: str, lp_fee: str, gas: str,
    trade_type: TradeType = TradeType.rebalance,
) -> None:  # fmt: skip
    """Sell everything the position holds for ``reserve`` USDC and move it to closed."""
    trade(state, position, when, str(-position.get_quantity()), reserve, lp_fee, gas, trade_type)
    state.portfolio.close_position(position, when)


@pytest.fixture
def empty_state() -> State:
    """A backtest that got its deposit and never traded."""
    state = State(name="idle")
    deposit(state, "10000")
    state.stats.record(at(0), 10000.0, 10000.0, 0)
    return state


@pytest.fixture
def sample_state() -> State:
    """10,000 USDC in; one winner, one loser closed by a stop loss, one open position.

    Win:  buy 1 WETH for 1000 (fee 3, gas 1), sell for 1200 (fee 3.6, gas 1): +198 on 1001.
    Loss: buy 0.1 WBTC for 2000 (fee 6, gas 1), stop loss at 1800 (fee 5.4, gas 1): -202 on 2001.
    Open: buy 2 WETH for 2400 (fee 7.2, gas 1), last price 1250: worth 2500.
    Interest 5. Cash 10000 - 1001 + 1199 - 2001 + 1799 - 2401 + 5 = 7600; equity 10100.
    """
    state = State(name="sample")
    state.backtest = BacktestInfo("strategy.py", START, at(10), "1d", "1h", "close", cycles=10)
    state.backtest.data_gaps.update({"WETH-USDC": 2, "WBTC-USDC": 1})
    state.backtest.skipped_trades = 1
    deposit(state, "10000")

    win = open_position(state, ETH_USDC, at(0), "1", "1000", "3", "1")
    close_position(state, win, at(2), "1200", "3.6", "1")

    loss = open_position(state, BTC_USDC, at(1), "0.1", "2000", "6", "1")
    close_position(state, loss, at(1, hours=5), "1800", "5.4", "1", TradeType.stop_loss)

    still_open = open_position(state, ETH_USDC, at(3), "2", "2400", "7.2", "1")
    failed_trade(state, still_open, at(4), "1")
    still_open.last_token_price = Decimal(1250)
    state.portfolio.record_balance_update(BalanceUpdateCause.interest, USDC, Decimal(5), at(5))

    for day, equity in enumerate([10000.0, 10100.0, 9900.0, 10050.0, 10100.0]):
        state.stats.record(at(day), equity, 0.0, 1)
    return state
