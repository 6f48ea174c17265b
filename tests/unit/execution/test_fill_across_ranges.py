"""A backtest hands each v3 fill the pool's ranges as they stood at the cycle's open, and the fill crosses them.

The pricing finds every cycle's state up front; ``get_liquidity`` is then the depth, as before, with
the pool at that moment attached (a PoolDepth). The concentrated-liquidity model swaps over those
ranges from the mid price, with the state's L carried to the mid price's tick.
"""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pandas as pd
import pytest

from trade_executor import money
from trade_executor.execution.backtest_pricing import BacktestPricing
from trade_executor.execution.fill_models import ConstantProductFillModel, fill_model_named
from trade_executor.execution.uniswap_v3_fill import ConcentratedLiquidityFillModel
from trade_executor.identifiers import AssetIdentifier, TradingPairIdentifier
from trade_executor.market.pool_ranges import PoolDepth, RangeHistory
from trade_executor.market.uniswap_v3_math import MAX_SQRT_RATIO, MIN_SQRT_RATIO, get_tick_at_sqrt_ratio
from trade_executor.market.uniswap_v3_swap import PoolState, TickTable, sqrt_price_x96_from_price, swap
from trade_executor.market.universe import TradingUniverse

money.install()

USDC = AssetIdentifier(1, "0x" + "11" * 20, "USDC", 6)  # token0: the lower address
ETH = AssetIdentifier(1, "0x" + "ee" * 20, "ETH", 18)
POOL = "0x" + "77" * 20
PAIR = TradingPairIdentifier(ETH, USDC, POOL, "uniswap-v3", Decimal("0.003"))
HOUR = 3600
T0 = 1_704_067_200  # 2024-01-01 00:00 UTC


def sqrt_at(price: str) -> int:
    """sqrtPriceX96 of ``price`` USDC per ETH with USDC as token0 (token1 per token0 = ETH units per USDC unit)."""
    return sqrt_price_x96_from_price(1 / Decimal(price), 6, 18)


def narrow_ranges(centre: int, liquidity: int) -> list[tuple[int, int, int]]:
    """One-spacing positions side by side, ten each side of ``centre``."""
    return [(centre + k * 60, centre + (k + 1) * 60, liquidity) for k in range(-10, 10)]


def history() -> tuple[RangeHistory, list[int]]:
    """Three hours: L standing before, a burn of the range just above the price in hour 0, a mint below in hour 1."""
    tick = get_tick_at_sqrt_ratio(sqrt_at("2000"))
    centre = tick // 60 * 60
    start: dict[int, list[int]] = {}
    for lower, upper, amount in narrow_ranges(centre, 10**17):
        for t, net in ((lower, amount), (upper, -amount)):
            gross_net = start.setdefault(t, [0, 0])
            gross_net[0] += amount
            gross_net[1] += net
    l0 = 10**17  # the range holding the tick
    changes = [(3, centre + 120, centre + 180, -(10**17)), (5, centre - 240, centre - 120, 3 * 10**17)]
    states = [(T0 + 600, 3, tick, l0), (T0 + HOUR + 600, 5, tick, l0)]
    word = (centre // 60) >> 8
    return RangeHistory(POOL, 60, [[t, g, n] for t, (g, n) in sorted(start.items())], (word - 2, word + 2), changes, states, (tick, l0)), [centre]


def universe_with(ranges: RangeHistory | None, pool: str = POOL) -> TradingUniverse:
    index = pd.date_range("2024-01-01", periods=3, freq="1h", name="timestamp")
    frame = pd.DataFrame({"open": 2000.0, "high": 2000.0, "low": 2000.0, "close": 2000.0, "volume": 0.0, "liquidity": 4_000_000.0}, index=index)
    pair = TradingPairIdentifier(ETH, USDC, pool, "uniswap-v3", Decimal("0.003"))
    return TradingUniverse(1, "uniswap-v3", USDC, {pair.ticker: pair}, {pair.ticker: frame}, pd.Timedelta("1h"), pool_ranges={pair.ticker: ranges} if ranges else {})


def test_the_pricing_hands_each_cycle_the_pool_as_it_stood_at_its_open():
    ranges, _ = history()
    universe = universe_with(ranges)
    times = universe.candles["ETH-USDC"].index.as_unit("ns").asi8
    pricing = BacktestPricing(universe, times)
    versions = []
    for cursor in range(3):
        pricing.cursor = cursor
        depth = pricing.get_liquidity(PAIR)
        assert type(depth) is PoolDepth and depth == Decimal("4000000.0")  # still the depth, to every other reader
        versions.append(depth.ranges.version)
    assert versions == [0, 1, 2]  # 00:00 before any change; 01:00 after hour 0's burn; 02:00 after hour 1's mint


def test_ranges_of_another_pool_are_not_handed_out():
    """A universe whose pair is another pool than the ranges' (the replay's on-chain pairs) fills on the depth."""
    ranges, _ = history()
    pricing = BacktestPricing(universe_with(ranges, pool="0x" + "99" * 20), np.array([pd.Timestamp("2024-01-01").value]))
    assert type(pricing.get_liquidity(PAIR)) is Decimal


@pytest.mark.parametrize("cursor", [0, 1, 2])
@pytest.mark.parametrize("buy", [True, False])
def test_a_fill_on_the_ranges_is_the_pools_swap_over_the_table_of_that_time(cursor, buy):
    ranges, _ = history()
    universe = universe_with(ranges)
    pricing = BacktestPricing(universe, universe.candles["ETH-USDC"].index.as_unit("ns").asi8)
    pricing.cursor = cursor
    depth = pricing.get_liquidity(PAIR)
    model = ConcentratedLiquidityFillModel(3000, pairs=[PAIR])
    fill = model.buy(PAIR, Decimal(2000), Decimal(200_000), depth) if buy else model.sell(PAIR, Decimal(2000), Decimal(100), depth)
    sqrt_price = sqrt_at("2000")
    tick = get_tick_at_sqrt_ratio(sqrt_price)
    table = TickTable(60, depth.ranges.table())
    zero_for_one = buy  # USDC is token0
    limit = MIN_SQRT_RATIO + 1 if zero_for_one else MAX_SQRT_RATIO - 1
    amount = 200_000 * 10**6 if buy else 100 * 10**18
    result = swap(PoolState(sqrt_price, tick, table.liquidity_at(tick), 3000, table), zero_for_one, amount, limit)
    assert len(result.ticks_crossed) >= 3
    out = -(result.amount1 if zero_for_one else result.amount0)
    assert (fill.quantity if buy else fill.reserve) == Decimal(out) / (10**18 if buy else 10**6)


def test_the_burn_above_the_price_changes_a_sell_and_not_a_buy():
    """A sell of ETH raises the tick (ETH is token1), through the range burnt in hour 0; a buy goes the other way."""
    ranges, _ = history()
    model = ConcentratedLiquidityFillModel(3000)
    before, after = (PoolDepth(Decimal(4_000_000), ranges.at(index)) for index in (-1, 0))
    assert model.sell(PAIR, Decimal(2000), Decimal(100), before) != model.sell(PAIR, Decimal(2000), Decimal(100), after)
    assert model.buy(PAIR, Decimal(2000), Decimal(50_000), before) == model.buy(PAIR, Decimal(2000), Decimal(50_000), after)


def test_a_stop_loss_at_its_trigger_price_swaps_with_the_l_of_that_range():
    """The trigger price lies ranges below the cycle's price: L there is the state's L carried through the nets between."""
    ranges, [centre] = history()
    depth = PoolDepth(Decimal(4_000_000), ranges.at(1))
    trigger = Decimal(1900)
    fill = ConcentratedLiquidityFillModel(3000).sell(PAIR, trigger, Decimal(5), depth)
    sqrt_price = sqrt_at("1900")
    tick = get_tick_at_sqrt_ratio(sqrt_price)
    table = TickTable(60, depth.ranges.table())
    assert tick > centre + 300 and depth.ranges.liquidity_at(tick) == table.liquidity_at(tick)
    result = swap(PoolState(sqrt_price, tick, table.liquidity_at(tick), 3000, table), False, 5 * 10**18, MAX_SQRT_RATIO - 1)
    assert fill.reserve == Decimal(-result.amount0) / 10**6


def test_other_fill_models_take_a_pool_depth_as_the_depth_it_is():
    ranges, _ = history()
    depth = PoolDepth(Decimal(4_000_000), ranges.at(0))
    v2 = ConstantProductFillModel()
    assert v2.buy(PAIR, Decimal(2000), Decimal(10_000), depth) == v2.buy(PAIR, Decimal(2000), Decimal(10_000), Decimal(4_000_000))


def test_the_model_says_its_fills_cross_ranges_when_the_data_has_them():
    model = fill_model_named("constant_product", Decimal("0.003"), None, [PAIR], chosen=False, ranges_from_data=True)
    assert "crossing ticks with each range's liquidity at the fill's time" in model.describe()
    assert "crossing ticks" not in fill_model_named("constant_product", Decimal("0.003"), None, [PAIR], chosen=False).describe()
