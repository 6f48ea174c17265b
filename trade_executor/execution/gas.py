"""Gas paid per swap, in the chain's native token, converted to USD and booked as a cost."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from trade_executor.identifiers import ChainId

GWEI = Decimal("0.000000001")

# (native token symbol, gas units per Uniswap v2 swap, gas price in gwei): typical figures, not live.
CHAIN_GAS_DEFAULTS: dict[int, tuple[str, int, Decimal]] = {
    ChainId.ethereum: ("ETH", 150_000, Decimal("20")),
    ChainId.bsc: ("BNB", 150_000, Decimal("3")),
    ChainId.polygon: ("MATIC", 150_000, Decimal("50")),
    ChainId.arbitrum: ("ETH", 1_000_000, Decimal("0.1")),
    ChainId.anvil: ("ETH", 150_000, Decimal("1")),
}


@dataclass(frozen=True, slots=True)
class GasCostModel:
    """``native_price_usd`` None means: price the native token from the universe's own pair."""

    native_symbol: str
    gas_units_per_swap: int
    gas_price_gwei: Decimal
    native_price_usd: Decimal | None = None

    @property
    def native_per_swap(self) -> Decimal:
        return self.gas_units_per_swap * self.gas_price_gwei * GWEI

    @property
    def is_free(self) -> bool:
        return self.native_per_swap == 0

    def describe(self) -> str:
        if self.is_free:
            return "no gas cost"
        price = f"${self.native_price_usd}" if self.native_price_usd is not None else "market price"
        return f"{self.gas_units_per_swap:,} gas x {self.gas_price_gwei} gwei = {self.native_per_swap} {self.native_symbol} per swap at {price}"


def free_gas(chain_id: int) -> GasCostModel:
    symbol = CHAIN_GAS_DEFAULTS.get(chain_id, ("ETH", 0, Decimal(0)))[0]
    return GasCostModel(symbol, 0, Decimal(0), Decimal(0))
