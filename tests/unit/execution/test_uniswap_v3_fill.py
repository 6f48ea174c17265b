"""Backtest fills from Uniswap v3 maths: checked against closed forms written out here in integers,
and against the v2 constant-product formula for a full-range pool of the same depth.

Closed form of one exact-input step inside a range (liquidity L, sqrt price P as Q64.96, fee f pips),
from the whitepaper with the pool's roundings:
  token0 in:  a' = floor(a (1e6 - f) / 1e6), Q = ceil(L 2^96 P / (L 2^96 + a' P)), out1 = floor(L (P - Q) / 2^96)
  token1 in:  a' as above, Q = P + floor(a' 2^96 / L), out0 = floor(floor(L 2^96 (Q - P) / Q) / P)
and the fee is a - (the input that moved the price), the input rounded up.
"""

from __future__ import annotations

from decimal import Decimal
from math import isqrt

import pytest

from trade_executor import money
from trade_executor.errors import ConfigurationError
from trade_executor.execution.fill_models import ConstantProductFillModel
from trade_executor.execution.uniswap_v3_fill import ConcentratedLiquidityFillModel
from trade_executor.identifiers import AssetIdentifier, TradingPairIdentifier
from trade_executor.market.amm import get_amount_out
from trade_executor.market.uniswap_v3_math import MIN_SQRT_RATIO, Q96, get_sqrt_ratio_at_tick, get_tick_at_sqrt_ratio
from trade_executor.market.uniswap_v3_swap import TickTable, full_range_ticks, pool_at_price, swap

money.install()

PRICE = Decimal("2000")
DEPTH = Decimal("1000000")  # USD value of the quote side of the v2 pool as deep: 500 ETH and 1,000,000 USDC
LOW, HIGH = "0x" + "11" * 20, "0x" + "ee" * 20


def eth_usdc(*, eth_is_token0: bool, fee: str = "0.003") -> TradingPairIdentifier:
    eth = AssetIdentifier(1, LOW if eth_is_token0 else HIGH, "ETH", 18)
    usdc = AssetIdentifier(1, HIGH if eth_is_token0 else LOW, "USDC", 6)
    return TradingPairIdentifier(eth, usdc, "0x" + "77" * 20, "uniswap-v3", Decimal(fee))


def ceil_div(a: int, b: int) -> int:
    return -(-a // b)


# --- one range, closed form -------------------------------------------------------------------------


def test_a_buy_inside_one_range_is_the_closed_form():
    """USDC (token0 here) in, ETH (token1) out."""
    pair = eth_usdc(eth_is_token0=False)
    sqrt_p = isqrt((10**18 << 192) // (2000 * 10**6))  # sqrt(ETH units per USDC unit) * 2^96, rounded down
    liquidity = 1_000_000 * 10**6 * sqrt_p // Q96  # quote units * sqrt(quote per base) ... see the module
    a = 1000 * 10**6
    a_less_fee = a * 997_000 // 1_000_000
    sqrt_q = ceil_div((liquidity << 96) * sqrt_p, (liquidity << 96) + a_less_fee * sqrt_p)
    out = liquidity * (sqrt_p - sqrt_q) // Q96
    moved_in = ceil_div(ceil_div((liquidity << 96) * (sqrt_p - sqrt_q), sqrt_p), sqrt_q)

    fill = ConcentratedLiquidityFillModel(liquidity_usd=DEPTH).buy(pair, PRICE, Decimal(1000), None)

    assert out == 498_003_490_519_951_608
    assert fill.quantity == Decimal(out).scaleb(-18)
    assert fill.reserve == Decimal(1000)
    assert fill.lp_fee == Decimal(a - moved_in).scaleb(-6) == Decimal("3")
    assert Decimal(0) < fill.price_impact < Decimal("0.0011")  # 1,000 of 1,000,000 depth: ~0.1%


def test_a_sell_inside_one_range_is_the_closed_form():
    """ETH (token1 here) in, USDC (token0) out."""
    pair = eth_usdc(eth_is_token0=False)
    sqrt_p = isqrt((10**18 << 192) // (2000 * 10**6))
    liquidity = 1_000_000 * 10**6 * sqrt_p // Q96
    a = 10**18
    a_less_fee = a * 997_000 // 1_000_000
    sqrt_q = sqrt_p + (a_less_fee << 96) // liquidity
    out = ((liquidity << 96) * (sqrt_q - sqrt_p) // sqrt_q) // sqrt_p
    moved_in = ceil_div(liquidity * (sqrt_q - sqrt_p), Q96)

    fill = ConcentratedLiquidityFillModel(liquidity_usd=DEPTH).sell(pair, PRICE, Decimal(1), None)

    assert out == 1_990_031_876
    assert fill.quantity == Decimal(1)
    assert fill.reserve == Decimal(out).scaleb(-6)
    assert a - moved_in == 3 * 10**15  # the pool's fee: 0.3% of 1 ETH, in ETH
    assert fill.lp_fee == Decimal("6")  # valued at the mid price
    assert Decimal(0) < fill.price_impact < Decimal("0.0021")


# --- the same depth as a v2 pool -----------------------------------------------------------------


@pytest.mark.parametrize("eth_is_token0", [True, False])
@pytest.mark.parametrize("usdc_in", ["10", "1000", "25000"])
def test_a_full_range_pool_of_the_v2_depth_fills_as_the_v2_pool(eth_is_token0, usdc_in):
    """To one unit of output; except that a swap the pool takes in two steps (25,000 USDC crosses the
    edge of a 256-tick bitmap word) rounds the input of each step up: one USDC unit, ~5e8 wei of ETH."""
    pair = eth_usdc(eth_is_token0=eth_is_token0)
    v2, v3 = ConstantProductFillModel(DEPTH), ConcentratedLiquidityFillModel(liquidity_usd=DEPTH)

    buy2, buy3 = v2.buy(pair, PRICE, Decimal(usdc_in), None), v3.buy(pair, PRICE, Decimal(usdc_in), None)
    assert buy3.reserve == buy2.reserve
    one_usdc_unit_less = v2.buy(pair, PRICE, Decimal(usdc_in) - Decimal("1e-6"), None).quantity
    if usdc_in == "25000":
        assert one_usdc_unit_less - Decimal("1e-18") <= buy3.quantity < buy2.quantity - Decimal("1e-18")
    else:
        assert abs(buy3.quantity - buy2.quantity) <= Decimal("1e-18")  # one wei
    assert abs(buy3.lp_fee - buy2.lp_fee) <= Decimal("1e-6")
    assert abs(buy3.price_impact - buy2.price_impact) < Decimal("1e-9")

    eth_in = Decimal(usdc_in) / 2000
    sell2, sell3 = v2.sell(pair, PRICE, eth_in, None), v3.sell(pair, PRICE, eth_in, None)
    assert abs(sell3.reserve - sell2.reserve) <= Decimal("1e-6")  # one USDC unit
    assert sell3.lp_fee == sell2.lp_fee


def test_a_full_range_pool_with_l_of_sqrt_k_swaps_as_get_amount_out():
    """At the maths level: reserves x, y; L = isqrt(x y); P = sqrt(y / x); the same fee (0.3%).

    Within one unit of output for small swaps. For large ones two roundings grow: L = isqrt(k) is
    below sqrt(k) by up to one unit (which matters in proportion to the swap's share of the depth),
    and a swap the pool takes in several steps (at bitmap word edges) rounds each step's input up;
    both stay below what two input units are worth."""
    x, y = 500 * 10**18, 1_000_000 * 10**6  # token0 ETH, token1 USDC
    pool = pool_at_price(isqrt((y << 192) // x), 3000, full_range_ticks(isqrt(x * y), 60))
    for amount in (10**6, 10**9, 10**10, 10**11, 3 * 10**11):
        result = swap(pool, False, amount, get_sqrt_ratio_at_tick(887220) - 1)  # USDC in
        assert get_amount_out(amount - 2, y, x) - 1 <= -result.amount0 <= get_amount_out(amount, y, x) + 1, amount
        if amount <= 10**9:  # a small swap, one step
            assert abs(-result.amount0 - get_amount_out(amount, y, x)) <= 1, amount
    for amount in (10**15, 10**18, 5 * 10**18, 50 * 10**18):
        result = swap(pool, True, amount, MIN_SQRT_RATIO + 1)  # ETH in
        assert get_amount_out(amount - 2, x, y) - 1 <= -result.amount1 <= get_amount_out(amount, x, y) + 1, amount
        if amount <= 10**18:
            assert abs(-result.amount1 - get_amount_out(amount, x, y)) <= 1, amount


# --- fee tiers, liquidity tables, errors -----------------------------------------------------------


@pytest.mark.parametrize(("fee", "lp_fee"), [("0.0005", "0.5"), ("0.0001", "0.1"), ("0.01", "10"), ("0.0025", "2.5")])
def test_the_fee_tier_is_the_pairs(fee, lp_fee):
    pair = eth_usdc(eth_is_token0=True, fee=fee)
    fill = ConcentratedLiquidityFillModel(fee_pips=3000, liquidity_usd=DEPTH).buy(pair, PRICE, Decimal(1000), None)
    assert fill.lp_fee == Decimal(lp_fee)


def test_a_pair_fee_that_is_no_whole_number_of_pips_takes_the_models():
    pair = eth_usdc(eth_is_token0=True, fee="0.00333333")
    fill = ConcentratedLiquidityFillModel(fee_pips=500, liquidity_usd=DEPTH).buy(pair, PRICE, Decimal(1000), None)
    assert fill.lp_fee == Decimal("0.5")


def test_a_tick_table_gives_the_active_liquidity_and_a_large_swap_crosses_it():
    pair = eth_usdc(eth_is_token0=False)
    sqrt_p = isqrt((10**18 << 192) // (2000 * 10**6))
    tick = get_tick_at_sqrt_ratio(sqrt_p)
    lower, upper = (tick // 60 - 10) * 60, (tick // 60 + 10) * 60  # a narrow range around the price
    narrow, wide = 10**18, 10**16
    net = {lower: narrow, upper: -narrow, -887220: wide, 887220: -wide}
    model = ConcentratedLiquidityFillModel(liquidity_net=net)

    small = model.buy(pair, PRICE, Decimal(100), None)
    pool = pool_at_price(sqrt_p, 3000, TickTable(60, net))
    assert pool.liquidity == narrow + wide
    expected = swap(pool, True, 100 * 10**6, MIN_SQRT_RATIO + 1)
    assert expected.ticks_crossed == ()
    assert small.quantity == Decimal(-expected.amount1).scaleb(-18)

    large = model.buy(pair, PRICE, Decimal(2_000_000), None)  # runs out of the narrow range
    expected = swap(pool, True, 2_000_000 * 10**6, MIN_SQRT_RATIO + 1)
    assert expected.ticks_crossed == (lower,)
    assert large.quantity == Decimal(-expected.amount1).scaleb(-18)
    assert large.price_impact > small.price_impact * 100


def test_without_depth_or_table_the_model_says_what_to_set():
    with pytest.raises(ConfigurationError, match="liquidity_usd"):
        ConcentratedLiquidityFillModel().buy(eth_usdc(eth_is_token0=True), PRICE, Decimal(100), None)


def test_the_depth_of_the_data_wins_over_the_constant():
    pair = eth_usdc(eth_is_token0=True)
    shallow = ConcentratedLiquidityFillModel(liquidity_usd=DEPTH).buy(pair, PRICE, Decimal(10_000), Decimal(100_000))
    deep = ConcentratedLiquidityFillModel(liquidity_usd=DEPTH).buy(pair, PRICE, Decimal(10_000), None)
    assert shallow.quantity < deep.quantity
    v2 = ConstantProductFillModel().buy(pair, PRICE, Decimal(10_000), Decimal(100_000))
    assert abs(v2.price_impact - shallow.price_impact) < Decimal("1e-9")  # the depth of a $100,000 v2 pool
