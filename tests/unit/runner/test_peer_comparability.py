"""What reproducing a peer's figures needs, through tiny real backtests: the fee convention of an
all-in buy, and how a position still open at the end is valued.

10,000 USDC all in at the open of 2,000, sold at the open of 2,200, fee 0.3% (worked by hand in
tests/unit/execution/test_fill_models.py): 10,934.099 USDC with the fee out of the cash,
10,934.197407 with the fee on top of the notional, as backtesting.py, backtrader and vectorbt charge.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from trade_executor.market.loader import MarketDataLoader
from trade_executor.runner.backtest import BacktestOptions, BacktestRun

ALL_IN_THEN_OUT = """
if input.cycle == 0:
    return pm.open_long(pair, pm.get_current_cash())
if input.cycle == 1:
    return pm.close_all()
return []
"""
# Opens 2,000 then 2,200; highs, lows and closes elsewhere, so a fill at anything but the open shows.
ROWS = [(2000.0, 2100.0, 1900.0, 2050.0), (2200.0, 2300.0, 2150.0, 2250.0), (2400.0, 2500.0, 2350.0, 2450.0)]


@pytest.mark.parametrize(
    ("fill_model", "quantity", "equity"),
    [
        ("simple", Decimal("4.985"), Decimal("10934.099")),
        ("simple_fee_on_top", Decimal("4.985044865403788634"), Decimal("10934.197407")),
    ],
)
def test_each_fee_convention_gives_its_hand_computed_equity(backtest, candles, fill_model, quantity, equity):
    result = backtest(ALL_IN_THEN_OUT, candles(ROWS), {"fill_model": fill_model})
    (position,) = result.state.portfolio.closed_positions.values()
    buy, sell = position.trades.values()

    assert buy.executed_quantity == quantity
    assert buy.executed_reserve == Decimal("10000")
    assert sell.executed_reserve == equity
    assert (buy.gas_cost_usd, sell.gas_cost_usd) == (0, 0)  # neither simple model charges gas by default
    assert result.state.portfolio.get_total_equity() == equity


def test_the_fill_model_override_selects_the_fee_on_top(write_strategy, candles):
    """--fill-model / FILL_MODEL reach the engine as BacktestOptions.fill_model."""
    strategy = write_strategy(ALL_IN_THEN_OUT, {"fill_model": "simple"})
    universe = MarketDataLoader(strategy.chain_id, strategy.exchange_slug, strategy.reserve_currency).from_frames({"ETH": candles(ROWS)})
    result = BacktestRun(strategy, universe, BacktestOptions(fill_model="simple_fee_on_top")).run()

    assert result.state.portfolio.get_total_equity() == Decimal("10934.197407")
    assert result.state.backtest.fill_model.startswith("simulated: fills simple_fee_on_top, fixed fee 0.30% added on top")


def test_a_position_open_at_the_end_is_valued_at_the_last_cycles_open(backtest, candles):
    """No exit fee, not the last candle's close: quantity x the open of the candle the last cycle starts."""
    result = backtest(
        """
        if input.cycle == 0:
            return pm.open_long(pair, pm.get_current_cash())
        return []
        """,
        candles(ROWS),
        {"fill_model": "simple"},
    )
    portfolio = result.state.portfolio
    (position,) = portfolio.open_positions.values()

    assert result.cycles == 3
    assert position.get_quantity() == Decimal("4.985")
    assert position.last_token_price == Decimal("2400")  # the last cycle's open; its close is 2,450
    assert portfolio.get_total_equity() == Decimal("11964")  # 4.985 x 2,400, nothing taken for a sale
    assert result.state.stats.total_equity[-1] == 11964.0  # the equity curve ends on the same figure
