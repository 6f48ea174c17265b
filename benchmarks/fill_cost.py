"""Cost per backtest swap of the fill models (issue 16: the v3 model at most 2x the v2 model).

    .venv/bin/python benchmarks/fill_cost.py [--repeats 15] [--swaps 4000]

Each model fills the same swaps: a $10,000 buy and a sell of 5.4321 ETH on an ETH-USDC pool as
deep as a v2 pool with $5M on its quote side, the price changing between swaps (as candles do,
so no per-price cache helps). The figure is the best of ``--repeats`` runs, in microseconds per
swap, and the ratio of each model to the constant-product (v2) one; the models take turns in
every round.

Two v3 rows: the constant depth (one range of the candle's L: data without ranges, or
``pool_liquidity_usd``), and the ranges of a pool downloaded from the chain (market/pool_ranges.py):
one-spacing positions side by side, as deep in each range as the constant depth within 30%, so the
buy crosses about four initialised ticks and the sell three, each fill handed the pool at its price
as the backtest's pricing hands it (a PoolDepth made per fill, counted in). A third v3 row fills the
same ranges with swaps too small to leave their range ($1, 0.0005 ETH): what a fill on the ranges
costs before any crossing, from which the cost per initialised tick crossed follows.
"""

from __future__ import annotations

import argparse
import time
from decimal import Decimal
from fractions import Fraction

from trade_executor.execution.fill_models import ConstantProductFillModel, FillModel
from trade_executor.execution.uniswap_v3_fill import ConcentratedLiquidityFillModel
from trade_executor.identifiers import AssetIdentifier, TradingPairIdentifier, synthetic_address
from trade_executor.market.pool_ranges import PoolDepth, RangeHistory
from trade_executor.market.uniswap_v3_math import MAX_SQRT_RATIO, MIN_SQRT_RATIO, Q96, get_tick_at_sqrt_ratio
from trade_executor.market.uniswap_v3_swap import PoolState, TickTable, sqrt_price_x96_from_price, swap

USDC = AssetIdentifier(1, synthetic_address("1", "USDC"), "USDC", 6)
ETH = AssetIdentifier(1, synthetic_address("1", "ETH"), "ETH", 18)
PAIR = TradingPairIdentifier(ETH, USDC, synthetic_address("1", "uniswap-v3", "ETH-USDC"), "uniswap-v3", Decimal("0.0005"))
DEPTH = Decimal(5_000_000)
PRICES = [Decimal("1834.27") + Decimal(i) / 100 for i in range(997)]  # a prime count: buys and sells never share a price
BUY, SELL = Decimal(10_000), Decimal("5.4321")
SMALL_BUY, SMALL_SELL = Decimal(1), Decimal("0.0005")  # inside the range the price is in, at every price
BASE_IS_TOKEN0 = int(ETH.address, 16) < int(USDC.address, 16)


Case = tuple[FillModel, RangeHistory | None, Decimal, Decimal]  # the model, the ranges (None: none), the buy's and sell's amounts


def us_per_swap(models: dict[str, Case], swaps: int, repeats: int) -> dict[str, float]:
    """Best time per swap of each model; the models take turns in every round, so a busy machine slows them alike."""
    best = dict.fromkeys(models, float("inf"))
    for _ in range(repeats):
        for name, (model, ranges, buy, sell) in models.items():
            started = time.perf_counter()
            if ranges is None:
                for i in range(swaps // 2):
                    model.buy(PAIR, PRICES[i % 997], buy, None)
                    model.sell(PAIR, PRICES[(i + 500) % 997], sell, None)
            else:
                for i in range(swaps // 2):
                    model.buy(PAIR, PRICES[i % 997], buy, PoolDepth(DEPTH, ranges.at(i % 997)))
                    model.sell(PAIR, PRICES[(i + 500) % 997], sell, PoolDepth(DEPTH, ranges.at((i + 500) % 997)))
            best[name] = min(best[name], (time.perf_counter() - started) / (swaps // 2 * 2))
    return {name: seconds * 1e6 for name, seconds in best.items()}


def pool_ranges() -> RangeHistory:
    """One-spacing ranges around PRICES, their L within 30 % of the constant depth's; a state at each of PRICES."""
    sqrt_prices = [pool_sqrt_price(p) for p in PRICES]
    quote_units = int(DEPTH) * 10**PAIR.quote.decimals  # the constant depth's L (uniswap_v3_fill.py's conversion)
    spacing, depth_l = 10, quote_units * Q96 // sqrt_prices[0] if BASE_IS_TOKEN0 else quote_units * sqrt_prices[0] // Q96
    centre = get_tick_at_sqrt_ratio(sqrt_prices[0]) // spacing * spacing
    nets: dict[int, list[int]] = {}
    for k in range(-150, 150):
        amount = int(depth_l * Decimal(10 + k % 3 * 3) / 12)  # 83 %, 108 %, 133 % of it
        for tick, net in ((centre + k * spacing, amount), (centre + (k + 1) * spacing, -amount)):
            gross_net = nets.setdefault(tick, [0, 0])
            gross_net[0] += amount
            gross_net[1] += net
    table = TickTable(spacing, {t: n for t, (_, n) in nets.items()})
    ticks = [get_tick_at_sqrt_ratio(s) for s in sqrt_prices]
    states = [(i * 3600, i, tick, table.liquidity_at(tick)) for i, tick in enumerate(ticks)]
    return RangeHistory(PAIR.pool_address, spacing, [[t, g, n] for t, (g, n) in sorted(nets.items())], None, [], states, None)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--swaps", type=int, default=4000)
    args = parser.parse_args()
    ranges = pool_ranges()
    models: dict[str, Case] = {
        "constant product (v2)": (ConstantProductFillModel(DEPTH), None, BUY, SELL),
        "concentrated liquidity (v3)": (ConcentratedLiquidityFillModel(liquidity_usd=DEPTH, pairs=[PAIR]), None, BUY, SELL),
        "v3, ranges from the chain": (ConcentratedLiquidityFillModel(pairs=[PAIR]), ranges, BUY, SELL),
        "v3, ranges, inside one range": (ConcentratedLiquidityFillModel(pairs=[PAIR]), ranges, SMALL_BUY, SMALL_SELL),
    }
    costs = us_per_swap(models, args.swaps, args.repeats)
    v2 = costs["constant product (v2)"]
    print(f"{'fill model':30} {'us/swap':>9} {'vs v2':>7}   (best of {args.repeats}, {args.swaps} swaps)")
    for name, cost in costs.items():
        print(f"{name:30} {cost:9.2f} {cost / v2:6.2f}x")
    ratio = costs["concentrated liquidity (v3)"] / v2
    print(f"{'target v3 <= 2x v2':30} {'met' if ratio <= 2 else 'MISSED':>9} {ratio:6.2f}x")
    crossed = [len(swap_crossings(ranges, i, buy)) for i in (0, 500) for buy in (True, False)]
    print(f"(the ranges' swaps cross {min(crossed)} to {max(crossed)} initialised ticks)")
    every = [len(swap_crossings(ranges, i, buy, amounts)) for amounts in ((BUY, SELL), (SMALL_BUY, SMALL_SELL)) for i in range(997) for buy in (True, False)]
    mean, small = sum(every[: 2 * 997]) / (2 * 997), max(every[2 * 997 :])
    per_crossing = (costs["v3, ranges from the chain"] - costs["v3, ranges, inside one range"]) / mean
    print(f"(over every price: {mean:.2f} crossings on average, {small} for the small swaps: {per_crossing:.2f} us per tick crossed)")


def pool_sqrt_price(price: Decimal) -> int:
    """The pool's sqrtPriceX96 at ``price`` USDC per ETH (token0 is the token of the lower address)."""
    if BASE_IS_TOKEN0:
        return sqrt_price_x96_from_price(price, PAIR.base.decimals, PAIR.quote.decimals)
    return sqrt_price_x96_from_price(1 / Fraction(price), PAIR.quote.decimals, PAIR.base.decimals)


def swap_crossings(ranges: RangeHistory, index: int, buy: bool, amounts: tuple[Decimal, Decimal] = (BUY, SELL)) -> tuple[int, ...]:
    """The ticks the benchmark's buy (or sell) of ``amounts`` at PRICES[index] crosses."""
    state = ranges.at(index)
    amount = int(amounts[0] * 10**PAIR.quote.decimals) if buy else int(amounts[1] * 10**PAIR.base.decimals)
    zero_for_one = buy != BASE_IS_TOKEN0  # a buy pays the quote token in
    limit = MIN_SQRT_RATIO + 1 if zero_for_one else MAX_SQRT_RATIO - 1
    return swap(PoolState(pool_sqrt_price(PRICES[index]), state.tick, state.liquidity, 500, state), zero_for_one, amount, limit).ticks_crossed


if __name__ == "__main__":
    main()
