"""Which exchanges are concentrated-liquidity (Uniswap v3 style) venues, and their fee tiers.

A v3 pool is one of a few per token pair, told apart by its fee tier: the pair's ``fee`` (a
fraction, 0.0005 = 0.05%) must be one of its exchange's tiers. Tiers are in pips (hundredths of a
basis point, 3000 = 0.3%) as the factory holds them. A v2 exchange takes any fee below 10%.
"""

from __future__ import annotations

from decimal import Decimal

from trade_executor.errors import DataError

PIPS = 1_000_000

V3_FEE_TIERS: dict[str, tuple[int, ...]] = {
    "uniswap-v3": (100, 500, 3000, 10000),
    "pancakeswap-v3": (100, 500, 2500, 10000),
}
DEFAULT_V3_FEE_TIERS = V3_FEE_TIERS["uniswap-v3"]  # another "...-v3" slug: a Uniswap v3 fork
TICK_SPACINGS = {100: 1, 500: 10, 2500: 50, 3000: 60, 10000: 200}  # each tier's tick spacing: Uniswap v3's and PancakeSwap's 0.25%


def is_concentrated_liquidity(exchange_slug: str) -> bool:
    """True for a Uniswap v3 style exchange ("uniswap-v3", "pancakeswap-v3", any "...-v3" fork)."""
    return exchange_slug in V3_FEE_TIERS or exchange_slug.lower().endswith("-v3")


def fee_tiers_of(exchange_slug: str) -> tuple[int, ...]:
    """The fee tiers (pips) of a v3 exchange; () for a v2 one."""
    if not is_concentrated_liquidity(exchange_slug):
        return ()
    return V3_FEE_TIERS.get(exchange_slug.lower(), DEFAULT_V3_FEE_TIERS)


def format_fee(fee: Decimal) -> str:
    """0.0005 -> "0.05%", 0.003 -> "0.3%"."""
    return f"{(fee * 100).normalize():f}%"


def format_fee_pips(fee_pips: int) -> str:
    """500 -> "0.05%"."""
    return format_fee(Decimal(fee_pips) / PIPS)


def check_fee_tier(ticker: str, exchange_slug: str, fee: Decimal) -> Decimal:
    """Return ``fee`` if it is a fee tier of the pair's exchange (any fee on a v2 exchange); else a DataError."""
    tiers = fee_tiers_of(exchange_slug)
    if tiers and fee * PIPS not in tiers:
        allowed = ", ".join(format_fee_pips(t) for t in tiers)
        raise DataError(
            f"Pair {ticker} on {exchange_slug}: fee {fee} ({format_fee(fee)}) is not a fee tier of {exchange_slug}. "
            f"Allowed tiers: {allowed} (give the fee as a fraction, e.g. fee={{'ETH': 0.0005}} for 0.05%)."
        )
    return fee
