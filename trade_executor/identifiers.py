"""Identities of chains, assets and trading pairs.

A leaf module like ``errors``: both ``state/`` (which must hold a pair inside a position)
and ``market/`` need these, and neither may import the other.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from decimal import Decimal
from enum import IntEnum

DEFAULT_LP_FEE = Decimal("0.003")


class ChainId(IntEnum):
    """EVM chain ids we know by name; any other integer id is accepted too."""

    ethereum = 1
    bsc = 56
    polygon = 137
    arbitrum = 42161
    anvil = 31337


def synthetic_address(*parts: str) -> str:
    """Make a stable, obviously fake address for assets and pools that exist only in a backtest."""
    digest = hashlib.sha256(":".join(parts).encode()).hexdigest()
    return "0x" + digest[:40]


@dataclass(frozen=True, slots=True)
class AssetIdentifier:
    """An ERC-20 token (or the reserve stablecoin) on one chain."""

    chain_id: int
    address: str
    token_symbol: str
    decimals: int

    def __str__(self) -> str:
        return self.token_symbol


@dataclass(frozen=True, slots=True)
class TradingPairIdentifier:
    """A base/quote pool on one exchange. ``fee`` is the LP fee as a fraction (0.003 = 0.30%)."""

    base: AssetIdentifier
    quote: AssetIdentifier
    pool_address: str
    exchange_slug: str
    fee: Decimal = DEFAULT_LP_FEE
    ticker: str = field(init=False, default="", compare=False)

    def __post_init__(self) -> None:
        # Looked up on every cycle of a backtest, so computed once, never out of step with base/quote.
        object.__setattr__(self, "ticker", f"{self.base.token_symbol}-{self.quote.token_symbol}")

    @property
    def chain_id(self) -> int:
        return self.base.chain_id

    def __str__(self) -> str:
        return f"<Pair {self.ticker} on {self.exchange_slug}>"
