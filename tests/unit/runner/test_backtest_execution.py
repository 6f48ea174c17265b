"""The position manager and simulated execution, seen through tiny real backtests.

Every expected amount is worked out here from the candles, the fill model's rule and the gas
parameters, in Decimal, and compared exactly.
"""

from __future__ import annotations

from decimal import ROUND_DOWN, Decimal

import pandas as pd

from trade_executor.money import ratio
from trade_executor.reporting.summary import calculate_summary
from trade_executor.state import TradingPosition

T0 = pd.Timestamp("2021-01-01 00:00")
HOUR = pd.Timedelta(hours=1)
R_ETH = 500 * 10**18  # a pool with 1,000,000 USDC of liquidity at 2000 USDC/ETH
R_USDC = 1_000_000 * 10**6
SIMPLE_NO_GAS = {"fill_model": "simple"}
# 150,000 gas x 20 gwei = 0.003 ETH; at 2500 USDC/ETH that is 7.5 USDC a swap.
GAS_7_5 = {"gas_units_per_swap": 150_000, "gas_price_gwei": 20, "native_token_price_usd": 2500}


def at(hours: int):
    return (T0 + hours * HOUR).to_pydatetime()


def down(value: Decimal, decimals: int) -> Decimal:
    return value.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_DOWN)


def all_trades(state):
    return [t for p in state.portfolio.get_all_positions() for t in p.trades.values()]


def get_amount_out(amount_in: int, reserve_in: int, reserve_out: int) -> int:
    return (amount_in * 997 * reserve_out) // (reserve_in * 1000 + amount_in * 997)


# --- when and at what price a decision fills -------------------------------------------------------


def test_decision_at_cycle_fills_at_the_open_of_the_candle_starting_then(backtest, candles):
    frame = candles([
        (2000.5, 2001.0, 1999.0, 2000.0),
        (2010.25, 2015.0, 2005.0, 2012.0),  # T1: the buy fills at this open, not at T0's close
        (2020.75, 2025.0, 2018.0, 2022.0),
        (2030.0, 2035.0, 2028.0, 2031.0),  # T3: the sell fills at this open
        (2040.0, 2045.0, 2038.0, 2041.0),
    ])  # fmt: skip
    result = backtest(
        """
        if input.cycle == 1:
            return pm.open_long(pair, 1000)
        if input.cycle == 3:
            return pm.close_all()
        return []
        """,
        frame,
        SIMPLE_NO_GAS,
    )
    buy, sell = all_trades(result.state)

    assert (buy.opened_at, buy.executed_at) == (at(1), at(1))
    assert buy.planned_price == Decimal("2010.25")
    quantity = down(Decimal("997") / Decimal("2010.25"), 18)  # 1000 USDC less the 0.30% fee
    assert buy.executed_quantity == quantity

    assert (sell.opened_at, sell.executed_at) == (at(3), at(3))
    assert sell.planned_price == Decimal("2030")
    assert sell.executed_quantity == -quantity
    received = down(quantity * Decimal("2030") * Decimal("0.997"), 6)
    assert sell.executed_reserve == received
    assert result.state.portfolio.get_cash() == Decimal("9000") + received


def test_opening_with_all_cash_leaves_exactly_zero_cash(backtest, candles, flat_candles):
    result = backtest(
        """
        if input.cycle == 0:
            return pm.open_long(pair, pm.get_current_cash())
        return []
        """,
        candles(flat_candles(2000.0, 3)),
        {"gas_units_per_swap": 150_000, "gas_price_gwei": 20, "native_token_price_usd": 2000},
        liquidity_usd=1_000_000,
    )
    state = result.state
    (trade,) = all_trades(state)

    assert state.portfolio.get_cash() == Decimal("0")
    assert state.stats.cash == [0.0, 0.0, 0.0]
    assert trade.gas_cost_native == Decimal("0.003")
    assert trade.gas_cost_usd == Decimal("6")  # 0.003 ETH at 2000
    assert trade.executed_reserve == Decimal("9994")  # the rest of the cash went into the pool
    quantity = Decimal(get_amount_out(9994 * 10**6, R_USDC, R_ETH)).scaleb(-18)
    assert trade.executed_quantity == quantity
    assert trade.executed_price == ratio(Decimal("9994"), quantity)
    assert trade.lp_fees_paid == Decimal("29.982")
    assert trade.get_cash_delta() == Decimal("-10000")


def test_gas_is_charged_exactly_once_per_swap(backtest, candles, flat_candles):
    result = backtest(
        """
        if input.cycle == 0:
            return pm.open_long(pair, 1000)
        if input.cycle == 2:
            return pm.close_all()
        return []
        """,
        candles(flat_candles(2000.0, 4)),
        {**SIMPLE_NO_GAS, **GAS_7_5},
    )
    state = result.state
    buy, sell = all_trades(state)

    for trade in (buy, sell):
        assert trade.gas_cost_native == Decimal("0.003")
        assert trade.gas_cost_usd == Decimal("7.5")
    # Buy: 1000 budget - 7.5 gas = 992.5 into the swap, less the 0.30% fee, at 2000.
    assert buy.executed_reserve == Decimal("992.5")
    assert buy.executed_quantity == Decimal("0.49476125")
    # Sell: 0.49476125 ETH * 2000 * 0.997.
    assert sell.executed_reserve == Decimal("986.553932")
    assert state.portfolio.get_cash() == Decimal("9979.053932")  # 10000 - 1000 + 986.553932 - 7.5

    position = state.portfolio.closed_positions[buy.position_id]
    assert position.get_gas_paid_usd() == Decimal("15")
    assert position.get_realised_profit() == Decimal("-20.946068")
    summary = calculate_summary(state)
    assert summary.gas_paid == Decimal("15")
    assert summary.lp_fees_paid == Decimal("5.946067")  # 2.9775 + 2.968567
    assert summary.swaps_executed == 2
    assert summary.realised_profit == Decimal("-20.946068")


def test_gas_is_priced_from_the_universe_at_the_swap_time(backtest, candles):
    """No native_token_price_usd: 0.003 ETH (Ethereum defaults) at the ETH pair's price of the moment."""
    frame = candles([
        (2000.5, 2000.5, 2000.5, 2000.5),
        (2050.0, 2050.0, 2050.0, 2050.0),
        (2100.25, 2100.25, 2100.25, 2100.25),
        (2100.0, 2100.0, 2100.0, 2100.0),
    ])  # fmt: skip
    result = backtest(
        """
        if input.cycle == 0:
            return pm.open_long(pair, 1000)
        if input.cycle == 2:
            return pm.close_all()
        return []
        """,
        frame,
        {"pool_liquidity_usd": 1_000_000},
    )
    buy, sell = all_trades(result.state)
    assert buy.gas_cost_usd == Decimal("6.0015")  # 0.003 * 2000.5
    assert sell.gas_cost_usd == Decimal("6.30075")  # 0.003 * 2100.25
    assert buy.executed_reserve == Decimal("993.9985")


# --- orders that must not trade -------------------------------------------------------------------


def test_order_below_minimum_trade_value_is_skipped(backtest, candles, flat_candles):
    result = backtest(
        """
        if input.cycle == 0:
            return pm.open_long(pair, Decimal("49.99"))
        if input.cycle == 1:
            return pm.open_long(pair, 50)
        return []
        """,
        candles(flat_candles(2000.0, 3)),
        {**SIMPLE_NO_GAS, "minimum_trade_value": 50},
    )
    state = result.state
    (trade,) = all_trades(state)
    assert trade.trade_id == 1  # the skipped order left no trade behind
    assert trade.opened_at == at(1)
    assert trade.executed_reserve == Decimal("50")  # exactly the minimum trades
    assert state.portfolio.get_cash() == Decimal("9950")
    assert state.stats.cash[0] == 10_000.0
    assert state.backtest.skipped_trades == 1
    assert calculate_summary(state).trades_skipped == 1


def test_buy_whose_swap_after_gas_is_below_minimum_is_skipped(backtest, candles, flat_candles):
    result = backtest(
        """
        if input.cycle == 0:
            return pm.open_long(pair, 55)  # 55 - 7.5 gas = 47.5 would reach the pool
        return []
        """,
        candles(flat_candles(2000.0, 3)),
        {**SIMPLE_NO_GAS, **GAS_7_5, "minimum_trade_value": 50},
    )
    state = result.state
    assert all_trades(state) == []
    assert state.portfolio.open_positions == {} and state.portfolio.closed_positions == {}
    assert state.portfolio.get_cash() == Decimal("10000")  # no gas paid for a swap never sent
    assert state.backtest.skipped_trades == 1


def test_trade_planned_but_not_returned_is_not_executed(backtest, candles, flat_candles):
    result = backtest(
        """
        if input.cycle == 0:
            pm.open_long(pair, 1000)
            return []
        return []
        """,
        candles(flat_candles(2000.0, 3)),
        SIMPLE_NO_GAS,
    )
    state = result.state
    assert all_trades(state) == []
    assert state.portfolio.open_positions == {}
    assert state.portfolio.get_cash() == Decimal("10000")
    assert state.stats.cash == [10_000.0] * 3
    assert calculate_summary(state).swaps_executed == 0


def test_only_the_returned_trades_of_a_cycle_execute(backtest, candles, flat_candles):
    result = backtest(
        """
        if input.cycle == 0:
            return pm.open_long(pair, 1000)
        if input.cycle == 2:
            pm.close_all()  # planned, then dropped: not returned
            return pm.open_long(pair, 500)
        return []
        """,
        candles(flat_candles(2000.0, 4)),
        SIMPLE_NO_GAS,
    )
    state = result.state
    (position,) = state.portfolio.open_positions.values()
    first, second = position.trades.values()
    assert (first.opened_at, second.opened_at) == (at(0), at(2))
    assert first.executed_quantity == Decimal("0.4985")
    assert second.executed_quantity == Decimal("0.24925")
    assert position.get_quantity() == Decimal("0.74775")
    assert state.portfolio.get_cash() == Decimal("8500")


# --- data gaps ----------------------------------------------------------------------------------------


def test_cycle_without_a_candle_does_not_fill_at_an_invented_price(backtest, candles):
    index = [T0, T0 + HOUR, T0 + 3 * HOUR, T0 + 4 * HOUR, T0 + 5 * HOUR]  # 02:00 is missing
    frame = candles(
        [
            (2000.0, 2000.0, 2000.0, 2000.0),
            (2001.0, 2001.0, 2001.0, 2001.0),
            (2003.5, 2003.5, 2003.5, 2003.5),
            (2004.0, 2004.0, 2004.0, 2004.0),
            (2005.0, 2005.0, 2005.0, 2005.0),
        ],
        index=index,
    )
    result = backtest(
        """
        if input.cycle >= 2 and not pm.is_any_open():
            return pm.open_long(pair, 1000)
        return []
        """,
        frame,
        SIMPLE_NO_GAS,
    )
    state = result.state
    (trade,) = all_trades(state)
    assert at(2) not in [t.opened_at for t in all_trades(state)]
    assert trade.opened_at == at(3)
    assert trade.planned_price == Decimal("2003.5")
    assert state.stats.timestamps[2] == at(2)  # the cycle ran, it just could not trade
    assert state.stats.cash[2] == 10_000.0
    assert state.backtest.skipped_trades == 1
    assert state.backtest.data_gaps == {"ETH-USDC": 1}
    summary = calculate_summary(state)
    assert summary.data_gaps == 1
    assert summary.trades_skipped == 1


def test_close_in_a_gap_waits_for_the_next_real_candle(backtest, candles):
    index = [T0, T0 + HOUR, T0 + 3 * HOUR, T0 + 4 * HOUR]  # 02:00 is missing
    frame = candles(
        [
            (2000.0, 2000.0, 2000.0, 2000.0),
            (2001.0, 2001.0, 2001.0, 2001.0),
            (2003.5, 2003.5, 2003.5, 2003.5),
            (2004.0, 2004.0, 2004.0, 2004.0),
        ],
        index=index,
    )
    result = backtest(
        """
        if input.cycle == 0:
            return pm.open_long(pair, 1000)
        if input.cycle >= 2 and pm.is_any_open():
            return pm.close_all()
        return []
        """,
        frame,
        SIMPLE_NO_GAS,
    )
    state = result.state
    buy, sell = all_trades(state)
    assert sell.opened_at == at(3)
    assert sell.planned_price == Decimal("2003.5")
    position = state.portfolio.closed_positions[buy.position_id]
    assert position.closed_at == at(3)
    # At the gap the position kept its last known price (01:00's open), it was not revalued to a guess.
    # Equity is a float statistic: cash and quantity as floats times the float price (money stays exact in the portfolio).
    assert state.stats.total_equity[2] == 9000.0 + float(Decimal("0.4985")) * 2001.0
    assert state.backtest.skipped_trades == 1


def test_a_position_read_by_the_strategy_is_marked_as_every_cycle_would_have_marked_it(backtest, candles):
    """Backtests mark positions when read, not every cycle: a read gives the cycle's open, over a gap the last one."""
    index = [T0, T0 + HOUR, T0 + 3 * HOUR, T0 + 4 * HOUR, T0 + 5 * HOUR]  # 02:00 is missing
    frame = candles([(p, p, p, p) for p in (2000.0, 2001.0, 2003.5, 2004.0, 2010.25)], index=index)
    result = backtest(
        """
        if input.cycle == 0:
            return pm.open_long(pair, 1000)
        (position,) = input.state.portfolio.open_positions.values()
        expected = {1: ("2001.0", 1), 2: ("2001.0", 1), 3: ("2003.5", 3), 4: ("2004.0", 4)}  # 02:00 keeps 01:00's mark
        if input.cycle in expected:
            price, hour = expected[input.cycle]
            assert position.last_token_price == Decimal(price), position.last_token_price
            assert position.last_pricing_at.hour == hour, position.last_pricing_at
            assert input.state.portfolio.get_total_equity() == 9000 + Decimal("0.4985") * Decimal(price)
        return []
        """,
        frame,
        SIMPLE_NO_GAS,
    )
    (position,) = result.state.portfolio.open_positions.values()
    assert type(position) is TradingPosition  # the state returned is plain data
    assert (position.last_token_price, position.last_pricing_at) == (Decimal("2010.25"), at(5))  # marked at the last cycle
    assert result.state.stats.total_equity[-1] == 9000.0 + float(Decimal("0.4985")) * 2010.25


def test_adjust_position_sells_part_skips_dust_and_never_leaves_dust(backtest, candles, flat_candles):
    result = backtest(
        """
        if input.cycle == 0:
            return pm.open_long(pair, 1000)  # 0.4985 ETH
        if input.cycle == 1:
            return pm.adjust_position(pair, Decimal("-0.5"))  # below the minimum of 1: skipped
        if input.cycle == 2:
            return pm.adjust_position(pair, -500)  # 0.25 ETH
        if input.cycle == 3:
            return pm.adjust_position(pair, Decimal("-496.5"))  # would leave 0.00025 ETH = 0.50: sells all
        return []
        """,
        candles(flat_candles(2000.0, 5)),
        SIMPLE_NO_GAS,
    )
    state = result.state
    buy, part, rest = all_trades(state)
    assert (part.opened_at, part.executed_quantity, part.executed_reserve) == (at(2), Decimal("-0.25"), Decimal("498.5"))
    assert (rest.opened_at, rest.executed_quantity, rest.executed_reserve) == (at(3), Decimal("-0.2485"), Decimal("495.509"))
    assert state.portfolio.open_positions == {}
    assert state.portfolio.closed_positions[buy.position_id].closed_at == at(3)
    assert state.portfolio.get_cash() == Decimal("9994.009")
    assert state.backtest.skipped_trades == 1
