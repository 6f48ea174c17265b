"""Stop loss, take profit and trailing stop in a backtest: which price of a bar triggers, what the
fill price is, when it happens, and how the summary counts it.

The position is opened at cycle 0 at 100 with the simple fill model (0.30% fee, no gas), so the
amounts are easy to check by hand: 1000 USDC buys 9.97 ETH.
"""

from __future__ import annotations

from decimal import ROUND_DOWN, Decimal

import pandas as pd
import pytest

from trade_executor.reporting.summary import calculate_summary
from trade_executor.state import TradeType

T0 = pd.Timestamp("2021-01-01 00:00")
HOUR = pd.Timedelta(hours=1)
QUANTITY = Decimal("9.97")  # 1000 * 0.997 / 100
SIMPLE = {"fill_model": "simple"}

# The backtest hands check_bar numpy float64 values; in NumPy 2 their repr is "np.float64(90.0)",
# which Decimal(repr(...)) cannot parse, so every fill at a bar's open and every trailing-stop
# move crashes the backtest.


def at(hours: float):
    return (T0 + pd.Timedelta(hours=hours)).to_pydatetime()


def opening(**triggers) -> str:
    args = ", ".join(f"{k}={v!r}" for k, v in triggers.items())
    return f"""
        if input.cycle == 0:
            return pm.open_long(pair, 1000, {args})
        return []
    """


def proceeds(price: str) -> Decimal:
    return (QUANTITY * Decimal(price) * Decimal("0.997")).quantize(Decimal("0.000001"), rounding=ROUND_DOWN)


def closing_trade(state):
    (position,) = state.portfolio.closed_positions.values()
    buy, sell = position.trades.values()
    assert buy.executed_quantity == QUANTITY
    return position, sell


# --- stop loss ---------------------------------------------------------------------------------------


def test_stop_loss_triggers_on_the_low_and_fills_at_the_stop(backtest, candles):
    frame = candles([
        (100.0, 101.0, 96.0, 100.0),  # low above the stop (95): nothing happens
        (100.0, 100.5, 94.0, 96.0),  # the low crosses 95 inside the bar
        (96.0, 97.0, 95.5, 96.0),
        (96.0, 97.0, 95.5, 96.0),
    ])  # fmt: skip
    result = backtest(opening(stop_loss_pct=0.95), frame, SIMPLE)
    state = result.state
    position, sell = closing_trade(state)

    assert sell.trade_type is TradeType.stop_loss
    assert sell.planned_price == Decimal("95")
    assert sell.trigger_price == Decimal("95")
    assert sell.executed_quantity == -QUANTITY
    assert sell.executed_at == at(2)  # the end of the bar it fired in
    assert position.closed_at == at(2)
    assert sell.executed_reserve == proceeds("95") == Decimal("944.308550")
    assert state.portfolio.get_cash() == Decimal("9944.308550")

    summary = calculate_summary(state)
    assert summary.stop_losses_triggered == 1
    assert summary.take_profits_triggered == 0
    assert summary.lost_trades == 1
    assert summary.stop_loss_pct_of_all == 1.0
    assert summary.stop_loss_pct_of_lost == 1.0


def test_candle_opening_below_the_stop_fills_at_the_open(backtest, candles):
    frame = candles([
        (100.0, 101.0, 96.0, 100.0),
        (90.0, 92.0, 88.0, 91.0),  # gaps down through the stop: the stop price was never available
        (91.0, 92.0, 90.0, 91.0),
    ])  # fmt: skip
    result = backtest(opening(stop_loss_pct=0.95), frame, SIMPLE)
    _, sell = closing_trade(result.state)
    assert sell.trade_type is TradeType.stop_loss
    assert sell.planned_price == Decimal("90")
    assert sell.trigger_price == Decimal("95")
    assert sell.executed_reserve == proceeds("90")
    assert calculate_summary(result.state).stop_losses_triggered == 1


def test_no_trigger_when_the_low_stays_above_the_stop(backtest, candles):
    frame = candles([(100.0, 101.0, 95.01, 100.0)] * 4)
    result = backtest(opening(stop_loss_pct=0.95), frame, SIMPLE)
    (position,) = result.state.portfolio.open_positions.values()
    assert len(position.trades) == 1
    assert calculate_summary(result.state).stop_losses_triggered == 0


def test_a_stop_the_strategy_raises_later_is_watched_from_then_on(backtest, candles):
    """The backtest remembers the first bar that reaches a position's levels; a stop moved by the strategy is seen at once."""
    frame = candles([
        (100.0, 101.0, 99.0, 100.0),
        (100.0, 101.0, 99.0, 100.0),
        (100.0, 101.0, 99.0, 100.0),  # cycle 2: the strategy raises the stop to 98.5 (the old one, 95, is far)
        (100.0, 101.0, 98.0, 100.0),  # reaches 98.5, not 95
        (100.0, 101.0, 90.0, 100.0),
    ])  # fmt: skip
    result = backtest(
        """
        if input.cycle == 0:
            return pm.open_long(pair, 1000, stop_loss_pct=0.95)
        if input.cycle == 2:
            (position,) = input.state.portfolio.open_positions.values()
            position.stop_loss = Decimal("98.5")
        return []
        """,
        frame,
        SIMPLE,
    )
    _, sell = closing_trade(result.state)
    assert (sell.trade_type, sell.trigger_price, sell.executed_at) == (TradeType.stop_loss, Decimal("98.5"), at(4))


def test_a_stop_reached_long_after_entry_fires_at_that_bar(backtest, candles):
    """Thousands of quiet bars, then the one that reaches the stop: found exactly, not a block later or earlier."""
    quiet = [(100.0, 101.0, 95.5, 100.0)] * 5000
    frame = candles([*quiet, (100.0, 100.0, 95.0, 96.0), (96.0, 97.0, 90.0, 91.0)])
    result = backtest(opening(stop_loss_pct=0.95), frame, SIMPLE)
    _, sell = closing_trade(result.state)
    assert (sell.planned_price, sell.executed_at) == (Decimal("95"), at(5001))


# --- take profit -------------------------------------------------------------------------------------


def test_take_profit_triggers_on_the_high_and_fills_at_the_target(backtest, candles):
    frame = candles([
        (100.0, 109.0, 99.0, 105.0),  # high below the target (110)
        (105.0, 111.0, 104.0, 106.0),  # the high crosses 110
        (106.0, 107.0, 105.0, 106.0),
    ])  # fmt: skip
    result = backtest(opening(take_profit_pct=1.1), frame, SIMPLE)
    state = result.state
    position, sell = closing_trade(state)

    assert sell.trade_type is TradeType.take_profit
    assert sell.planned_price == Decimal("110")
    assert sell.trigger_price == Decimal("110")
    assert sell.executed_at == at(2)
    assert sell.executed_reserve == proceeds("110") == Decimal("1093.409900")
    summary = calculate_summary(state)
    assert summary.take_profits_triggered == 1
    assert summary.stop_losses_triggered == 0
    assert summary.won_trades == 1


def test_candle_opening_above_the_target_fills_at_the_open(backtest, candles):
    frame = candles([
        (100.0, 101.0, 99.0, 100.0),
        (115.0, 116.0, 114.0, 115.0),
        (115.0, 116.0, 114.0, 115.0),
    ])  # fmt: skip
    result = backtest(opening(take_profit_pct=1.1), frame, SIMPLE)
    _, sell = closing_trade(result.state)
    assert sell.trade_type is TradeType.take_profit
    assert sell.planned_price == Decimal("115")


# --- trailing stop -----------------------------------------------------------------------------------


def test_trailing_stop_follows_the_high_and_fires(backtest, candles):
    frame = candles([
        (100.0, 100.0, 99.0, 100.0),
        (100.0, 120.0, 98.0, 118.0),  # the stop at the bar open is 90: 98 does not touch it; then it trails to 108
        (118.0, 119.0, 107.0, 110.0),  # 107 is below 108: fires (a fixed 90 stop would not have)
        (110.0, 111.0, 109.0, 110.0),
    ])  # fmt: skip
    result = backtest(opening(trailing_stop_loss_pct=0.9), frame, SIMPLE)
    state = result.state
    position, sell = closing_trade(state)

    assert position.high_water_price == Decimal("120")
    assert sell.trade_type is TradeType.trailing_stop_loss
    assert sell.planned_price == Decimal("108")  # 90% of the 120 high
    assert sell.trigger_price == Decimal("108")
    assert sell.executed_at == at(3)
    assert sell.executed_reserve == proceeds("108")
    summary = calculate_summary(state)
    assert summary.stop_losses_triggered == 1
    assert summary.won_trades == 1
    assert summary.stop_loss_pct_of_all == 1.0


def test_trailing_stop_never_moves_down(backtest, candles):
    frame = candles([
        (100.0, 100.0, 99.0, 100.0),
        (100.0, 120.0, 99.0, 115.0),  # trails to 108
        (115.0, 116.0, 109.0, 110.0),  # lower highs do not lower the stop
        (110.0, 110.0, 108.0, 109.0),  # touches 108 exactly: fires
        (109.0, 109.0, 109.0, 109.0),
    ])  # fmt: skip
    result = backtest(opening(trailing_stop_loss_pct=0.9), frame, SIMPLE)
    _, sell = closing_trade(result.state)
    assert sell.trade_type is TradeType.trailing_stop_loss
    assert sell.planned_price == Decimal("108")
    assert sell.executed_at == at(4)


# --- a finer stop-loss time frame ---------------------------------------------------------------------


HOURLY = [
    (100.0, 101.0, 99.0, 100.0),
    (100.0, 112.0, 94.0, 100.0),  # both 95 and 110 are crossed inside this hour
    (100.0, 101.0, 99.0, 100.0),
    (100.0, 101.0, 99.0, 100.0),
]


def quarter_hours(candles, hour_1: list) -> pd.DataFrame:
    flat = [(100.0, 101.0, 99.0, 100.0)] * 4
    return candles(flat + hour_1 + flat * 2, freq="15min")


@pytest.mark.parametrize(
    "hour_1, kind, price, fired_at",
    [
        # The dip comes in the second quarter: stop loss, known at 01:30, not at the hour's end.
        ([(100.0, 101.0, 99.0, 100.0), (100.0, 100.0, 94.0, 96.0), (96.0, 112.0, 96.0, 111.0), (111.0, 111.0, 100.0, 100.0)],
         TradeType.stop_loss, "95", 1.5),
        # The rally comes first: take profit at 01:30, the later dip no longer matters.
        ([(100.0, 101.0, 99.0, 100.0), (100.0, 112.0, 100.0, 111.0), (111.0, 111.0, 94.0, 96.0), (96.0, 100.0, 96.0, 100.0)],
         TradeType.take_profit, "110", 1.5),
    ],
)  # fmt: skip
def test_finer_stop_loss_candles_see_inside_the_hour(backtest, candles, hour_1, kind, price, fired_at):
    result = backtest(
        opening(stop_loss_pct=0.95, take_profit_pct=1.1),
        candles(HOURLY),
        SIMPLE,
        stop_loss_frame=quarter_hours(candles, hour_1),
    )
    _, sell = closing_trade(result.state)
    assert result.state.backtest.stop_loss_time_frame == "15m"
    assert sell.trade_type is kind
    assert sell.planned_price == Decimal(price)
    assert sell.executed_at == at(fired_at)


def test_without_finer_candles_an_ambiguous_hour_is_read_as_the_stop_loss(backtest, candles):
    """Hourly bars cannot tell whether 94 or 112 came first; the conservative reading is the stop."""
    result = backtest(opening(stop_loss_pct=0.95, take_profit_pct=1.1), candles(HOURLY), SIMPLE)
    _, sell = closing_trade(result.state)
    assert result.state.backtest.stop_loss_time_frame == "1h"
    assert sell.trade_type is TradeType.stop_loss
    assert sell.planned_price == Decimal("95")
    assert sell.executed_at == at(2)


def test_finer_candles_catch_a_dip_right_after_entry(backtest, candles):
    """The position opens at 00:00; a dip at 00:15-00:30 stops it out within the same hourly bar."""
    quarters = [(100.0, 101.0, 99.0, 100.0), (100.0, 100.0, 93.0, 99.0)] + [(99.0, 101.0, 99.0, 100.0)] * 14
    result = backtest(
        opening(stop_loss_pct=0.95),
        candles([(100.0, 101.0, 93.0, 100.0)] + [(100.0, 101.0, 99.0, 100.0)] * 3),
        SIMPLE,
        stop_loss_frame=candles(quarters, freq="15min"),
    )
    _, sell = closing_trade(result.state)
    assert sell.trade_type is TradeType.stop_loss
    assert sell.planned_price == Decimal("95")
    assert sell.executed_at == at(0.5)
    assert calculate_summary(result.state).stop_losses_triggered == 1
