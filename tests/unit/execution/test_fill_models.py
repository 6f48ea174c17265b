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
