"""Cost per backtest swap of the fill models (issue 16: the v3 model at most 2x the v2 model).

    .venv/bin/python benchmarks/fill_cost.py [--repeats 15] [--swaps 4000]

Each model fills the same swaps: a $10,000 buy and a sell of 5.4321 ETH on an ETH-USDC pool as
deep as a v2 pool with $5M on its quote side, the price changing between swaps (as candles do,
so no per-price cache helps). The figure is the best of ``--repeats`` runs, in microseconds per
swap, and the ratio of each model to the constant-product (v2) one.
"""

from __future__ import annotations

import argparse
import time
from decimal import Decimal

from trade_executor.execution.fill_models import ConstantProductFillModel, FillModel
from trade_executor.execution.uniswap_v3_fill import ConcentratedLiquidityFillModel
from trade_executor.identifiers import AssetIdentifier, TradingPairIdentifier, synthetic_address

USDC = AssetIdentifier(1, synthetic_address("1", "USDC"), "USDC", 6)
ETH = AssetIdentifier(1, synthetic_address("1", "ETH"), "ETH", 18)
PAIR = TradingPairIdentifier(ETH, USDC, synthetic_address("1", "uniswap-v3", "ETH-USDC"), "uniswap-v3", Decimal("0.0005"))
DEPTH = Decimal(5_000_000)
PRICES = [Decimal("1834.27") + Decimal(i) / 100 for i in range(997)]  # a prime count: buys and sells never share a price
BUY, SELL = Decimal(10_000), Decimal("5.4321")


def us_per_swap(models: dict[str, FillModel], swaps: int, repeats: int) -> dict[str, float]:
    """Best time per swap of each model; the models take turns in every round, so a busy machine slows both alike."""
    best = dict.fromkeys(models, float("inf"))
    for _ in range(repeats):
        for name, model in models.items():
            started = time.perf_counter()
            for i in range(swaps // 2):
                model.buy(PAIR, PRICES[i % 997], BUY, None)
                model.sell(PAIR, PRICES[(i + 500) % 997], SELL, None)
            best[name] = min(best[name], (time.perf_counter() - started) / (swaps // 2 * 2))
    return {name: seconds * 1e6 for name, seconds in best.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--swaps", type=int, default=4000)
    args = parser.parse_args()
    models = {
        "constant product (v2)": ConstantProductFillModel(DEPTH),
        "concentrated liquidity (v3)": ConcentratedLiquidityFillModel(liquidity_usd=DEPTH, pairs=[PAIR]),
    }
    costs = us_per_swap(models, args.swaps, args.repeats)
    v2 = costs["constant product (v2)"]
    print(f"{'fill model':30} {'us/swap':>9} {'vs v2':>7}   (best of {args.repeats}, {args.swaps} swaps)")
    for name, cost in costs.items():
        print(f"{name:30} {cost:9.2f} {cost / v2:6.2f}x")
    ratio = costs["concentrated liquidity (v3)"] / v2
    print(f"{'target v3 <= 2x v2':30} {'met' if ratio <= 2 else 'MISSED':>9} {ratio:6.2f}x")


if __name__ == "__main__":
    main()
