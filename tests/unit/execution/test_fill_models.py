"""Backtest fills: the constant-product model charges what a Uniswap v2 pool charges, to the token unit.

The expected amounts are computed here, independently of the package, with the router's own
integer formula ``getAmountOut``: out = (in * fee_num * R_out) // (R_in * fee_den + in * fee_num).
"""

from __future__ import annotations

from decimal import Decimal

import pandas as pd
import pytest

from trade_executor.errors import ConfigurationError
from trade_executor.execution.fill_models import ConstantProductFillModel, SimpleFillModel
from trade_executor.identifiers import ChainId
from trade_executor.market.loader import MarketDataLoader
from trade_executor.money import ratio
from trade_executor.state import TradeExecution, TradeType

PRICE = Decimal("2000")
LIQUIDITY = Decimal("1000000")  # USD value of the pool's USDC side
# The pool those two numbers describe: 500 ETH (18 decimals) and 1,000,000 USDC (6 decimals).
R_ETH = 500 * 10**18
R_USDC = 1_000_000 * 10**6


def get_amount_out(amount_in: int, reserve_in: int, reserve_out: int, fee_num: int, fee_den: int) -> int:
    """UniswapV2Library.getAmountOut, written out for the test."""
    return (amount_in * fee_num * reserve_out) // (reserve_in * fee_den + amount_in * fee_num)


def eth_pair(chain_id: int = ChainId.ethereum, exchange: str = "uniswap-v2", fee: str = "0.003"):
    """The ETH-USDC pair of a real universe built from a few flat candles."""
    candles = pd.DataFrame(
        {"open": [2000.0] * 3, "high": [2000.0] * 3, "low": [2000.0] * 3, "close": [2000.0] * 3},
        index=pd.date_range("2021-01-01", periods=3, freq="1h", name="timestamp"),
    )
    universe = MarketDataLoader(chain_id, exchange, "USDC").from_frames({"ETH": candles}, fee=Decimal(fee))
    pair = universe.get_pair("ETH")
    assert (pair.base.decimals, pair.quote.decimals) == (18, 6)
    return pair


@pytest.fixture
def pair():
    return eth_pair()


# --- constant product (Uniswap v2) --------------------------------------------------------------


def test_buy_of_ten_percent_of_depth_pays_the_uniswap_v2_price(pair):
    amount_in = 100_000 * 10**6
    expected_out = get_amount_out(amount_in, R_USDC, R_ETH, 997, 1000)
    assert expected_out == 45_330_544_694_007_456_579  # 45.33 ETH for 100k USDC: ~10% worse than 50

    fill = ConstantProductFillModel().buy(pair, PRICE, Decimal("100000"), LIQUIDITY)

    assert fill.quantity == Decimal("45.330544694007456579")
    assert fill.quantity == Decimal(expected_out).scaleb(-18)
    assert fill.reserve == Decimal("100000")
    assert fill.lp_fee == Decimal("300")
    # Price impact excluding the fee: the pool's USDC/ETH after the 99,700 USDC that reached it.
    assert abs(fill.price_impact - Decimal("0.0997")) < Decimal("1e-15")


def test_executed_price_of_a_buy_is_reserve_over_quantity(pair):
    fill = ConstantProductFillModel().buy(pair, PRICE, Decimal("100000"), LIQUIDITY)
    trade = TradeExecution(
        1, 1, pair, pair.quote, TradeType.rebalance, pd.Timestamp("2021-01-01").to_pydatetime(),
        Decimal("50"), Decimal("100000"), PRICE,
    )  # fmt: skip
    trade.mark_success(
        executed_at=trade.opened_at, quantity=fill.quantity, reserve=fill.reserve, lp_fees=fill.lp_fee,
        price_impact=fill.price_impact, gas_native=Decimal(0), gas_usd=Decimal(0),
    )  # fmt: skip
    expected_quantity = Decimal(get_amount_out(100_000 * 10**6, R_USDC, R_ETH, 997, 1000)).scaleb(-18)
    assert trade.executed_price == ratio(Decimal("100000"), expected_quantity)  # a price: 36 significant digits
    assert trade.executed_price.quantize(Decimal("0.01")) == Decimal("2206.02")  # 10.3% above the 2000 mid
    assert trade.get_cash_delta() == Decimal("-100000")


def test_sell_of_ten_percent_of_depth_pays_the_uniswap_v2_price(pair):
    amount_in = 50 * 10**18
    expected_out = get_amount_out(amount_in, R_ETH, R_USDC, 997, 1000)
    assert expected_out == 90_661_089_388  # 90,661.089388 USDC for 50 ETH

    fill = ConstantProductFillModel().sell(pair, PRICE, Decimal("50"), LIQUIDITY)

    assert fill.quantity == Decimal("50")
    assert fill.reserve == Decimal("90661.089388")
    assert fill.reserve == Decimal(expected_out).scaleb(-6)
    assert fill.lp_fee == Decimal("300")  # 0.3% of 50 ETH at 2000
    assert fill.reserve / fill.quantity == Decimal("1813.22178776")


def test_pancakeswap_fee_uses_9975_over_10000():
    pair = eth_pair(ChainId.bsc, "pancakeswap-v2", fee="0.0025")
    buy_out = get_amount_out(100_000 * 10**6, R_USDC, R_ETH, 9975, 10000)
    sell_out = get_amount_out(50 * 10**18, R_ETH, R_USDC, 9975, 10000)

    model = ConstantProductFillModel()
    buy = model.buy(pair, PRICE, Decimal("100000"), LIQUIDITY)
    sell = model.sell(pair, PRICE, Decimal("50"), LIQUIDITY)

    assert buy.quantity == Decimal(buy_out).scaleb(-18)
    assert buy.lp_fee == Decimal("250")
    assert sell.reserve == Decimal(sell_out).scaleb(-6)
    assert sell.lp_fee == Decimal("250")
    # Cheaper than Uniswap's 0.30% on the same pool.
    assert buy_out > get_amount_out(100_000 * 10**6, R_USDC, R_ETH, 997, 1000)


def test_amounts_below_a_token_unit_are_not_swapped(pair):
    """USDC has 6 decimals: the 7th is not money the pool can take."""
    fill = ConstantProductFillModel().buy(pair, PRICE, Decimal("1000.1234569"), LIQUIDITY)
    assert fill.reserve == Decimal("1000.123456")
    assert fill.quantity == Decimal(get_amount_out(1_000_123_456, R_USDC, R_ETH, 997, 1000)).scaleb(-18)


def test_liquidity_from_the_model_when_the_data_has_none(pair):
    fill = ConstantProductFillModel(liquidity_usd=LIQUIDITY).buy(pair, PRICE, Decimal("100000"), None)
    assert fill.quantity == Decimal(get_amount_out(100_000 * 10**6, R_USDC, R_ETH, 997, 1000)).scaleb(-18)


def test_no_liquidity_anywhere_is_a_configuration_error(pair):
    with pytest.raises(ConfigurationError, match="pool_liquidity_usd"):
        ConstantProductFillModel().buy(pair, PRICE, Decimal("100"), None)


# --- simple: fixed fee, no price impact ----------------------------------------------------------


def test_simple_buy_charges_the_fixed_fee_and_no_price_impact(pair):
    model = SimpleFillModel()  # 0.30%
    small = model.buy(pair, PRICE, Decimal("1000"), None)
    assert (small.quantity, small.reserve, small.lp_fee, small.price_impact) == (
        Decimal("0.4985"), Decimal("1000"), Decimal("3"), Decimal("0"),
    )  # fmt: skip
    # A trade 100 times bigger gets 100 times as much: no price impact, whatever the size.
    big = model.buy(pair, PRICE, Decimal("100000"), None)
    assert big.quantity == Decimal("49.85")
    assert big.lp_fee == Decimal("300")


def test_simple_sell_charges_the_fixed_fee(pair):
    fill = SimpleFillModel(Decimal("0.001")).sell(pair, PRICE, Decimal("0.5"), None)
    assert fill.quantity == Decimal("0.5")
    assert fill.reserve == Decimal("999")
    assert fill.lp_fee == Decimal("1")
    assert fill.price_impact == Decimal("0")


def test_simple_fill_rounds_down_to_token_units(pair):
    fill = SimpleFillModel().buy(pair, Decimal("3"), Decimal("100"), None)
    assert fill.quantity == Decimal("33.233333333333333333")  # 99.7 / 3, 18 decimals, rounded down
    sell = SimpleFillModel().sell(pair, Decimal("3"), Decimal("1.0000001"), None)
    assert sell.reserve == Decimal("2.991000")  # 3.0000003 * 0.997 = 2.9910002991 -> 6 decimals, down


# --- simple: the fee out of the cash, or on top of the notional -------------------------------------
# 10,000 USDC all in at 2,000, fee 0.3%, then everything sold at 2,200. Worked by hand:
#   fee out of the cash: 10,000 x 0.997 / 2,000          = 4.985 ETH exactly, fee 30
#   fee on top:          10,000 / (2,000 x 1.003) = 5,000 / 1,003
#                                                 = 4.985044865403788634|0977... ETH (cut at 18 decimals),
#                        fee 30 / 1.003           = 29.910269|19... USDC (cut at 6)
#   the sell, both:      quantity x 2,200 x 0.997
#     4.985 x 2,200 = 10,967;                 x 0.997 = 10,934.099 USDC
#     4.985044865403788634 x 2,200 = 10,967.0987038883349948; x 0.997 = 10,934.197407|7766... USDC
# A peer's own figure, 10,000 x 2,200 x 0.997 / (2,000 x 1.003) = 21,934,000 / 2,006 = 10,934.197407|78,
# is the same to the USDC unit. The two conventions differ by 1 / (1 - 0.003^2): 0.098407 USDC here.

CASH, BUY_AT, SELL_AT = Decimal("10000"), Decimal("2000"), Decimal("2200")


def test_simple_takes_the_fee_out_of_the_cash_spent(pair):
    model = SimpleFillModel(Decimal("0.003"))
    buy = model.buy(pair, BUY_AT, CASH, None)
    assert (buy.quantity, buy.reserve, buy.lp_fee) == (Decimal("4.985"), Decimal("10000"), Decimal("30"))

    sell = model.sell(pair, SELL_AT, buy.quantity, None)
    assert (sell.quantity, sell.reserve, sell.lp_fee) == (Decimal("4.985"), Decimal("10934.099"), Decimal("32.901"))
    assert model.name == "simple"


def test_simple_fee_on_top_sizes_an_all_in_buy_as_the_peers_do(pair):
    model = SimpleFillModel(Decimal("0.003"), fee_on_top=True)
    buy = model.buy(pair, BUY_AT, CASH, None)
    assert buy.quantity == Decimal("4.985044865403788634")
    assert buy.reserve == Decimal("10000")  # all the cash: notional 9,970.09 plus the fee on top
    assert buy.lp_fee == Decimal("29.910269")
    assert buy.quantity * BUY_AT * Decimal("1.003") <= CASH < (buy.quantity + Decimal("1e-18")) * BUY_AT * Decimal("1.003")

    sell = model.sell(pair, SELL_AT, buy.quantity, None)
    assert sell.reserve == Decimal("10934.197407")
    assert sell.reserve - Decimal("10934.099") == Decimal("0.098407")  # the fee^2 the two conventions differ by
    assert model.name == "simple_fee_on_top"
    assert "added on top" in model.describe()


def test_fill_models_by_name():
    from trade_executor.execution.fill_models import FILL_MODEL_NAMES, fill_model_named

    fee, liquidity = Decimal("0.0025"), Decimal("1000000")
    models = {name: fill_model_named(name, fee, liquidity) for name in FILL_MODEL_NAMES}
    assert {name: model.name for name, model in models.items()} == {name: name for name in FILL_MODEL_NAMES}
    assert models["simple"].fee_rate == models["simple_fee_on_top"].fee_rate == fee
    assert models["constant_product"].liquidity_usd == liquidity
    with pytest.raises(ConfigurationError, match="use constant_product, concentrated_liquidity, simple or simple_fee_on_top"):
        fill_model_named("simple_fee_inside", fee, liquidity)


def test_every_place_that_names_fill_models_names_the_same_ones():
    from trade_executor.cli.config_checks import rule_for
    from trade_executor.cli.options import FillModelName
    from trade_executor.execution.fill_models import FILL_MODEL_NAMES
    from trade_executor.strategy.parameters import ENGINE_PARAMETERS

    assert tuple(FillModelName) == FILL_MODEL_NAMES
    assert [name for name in FILL_MODEL_NAMES if rule_for("FILL_MODEL").check(name) is None] == list(FILL_MODEL_NAMES)
    for name in FILL_MODEL_NAMES:
        assert ENGINE_PARAMETERS["fill_model"].check(name) == name
