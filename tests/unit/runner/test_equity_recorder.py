"""The equity recorder reads the cash without a call each cycle: it must still see every change of it."""

from __future__ import annotations

import datetime
from decimal import Decimal

from trade_executor.identifiers import AssetIdentifier
from trade_executor.runner.equity import EquityRecorder
from trade_executor.state import ReservePosition, State
from trade_executor.state.portfolio import Portfolio

USDC = AssetIdentifier(1, "0x" + "a" * 40, "USDC", 6)
USDT = AssetIdentifier(1, "0x" + "b" * 40, "USDT", 6)
T0 = datetime.datetime(2024, 1, 1)


def test_cash_is_recorded_through_every_kind_of_change():
    state = State()
    recorder = EquityRecorder(state)
    portfolio = state.portfolio
    recorder.record(T0)  # no reserve yet
    portfolio.reserves[USDC.address] = ReservePosition(USDC, Decimal(0), T0)  # added without a balance update (a live sync)
    recorder.record(T0)
    portfolio.reserves[USDC.address].quantity = Decimal(100)  # settled outside any trade or update
    recorder.record(T0)
    portfolio.adjust_cash(Decimal("-0.5"))
    recorder.record(T0)
    portfolio.reserves[USDT.address] = ReservePosition(USDT, Decimal(7), T0)  # a second reserve: the sum
    recorder.record(T0)
    recorder.record(T0)
    state.portfolio = Portfolio(reserves={USDC.address: ReservePosition(USDC, Decimal(3), T0)})  # a state read again
    recorder.record(T0)
    assert state.stats.cash == [0.0, 0.0, 100.0, 99.5, 106.5, 106.5, 3.0]
    assert state.stats.total_equity == state.stats.cash
