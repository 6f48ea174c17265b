"""Gas pricing: EIP-1559 where the chain has a base fee, legacy gas price where it does not."""

from __future__ import annotations

from dataclasses import dataclass

from web3 import Web3


@dataclass(frozen=True, slots=True)
class GasPricing:
    method: str  # "eip1559" or "legacy"
    base_fee: int | None = None
    max_priority_fee_per_gas: int | None = None
    max_fee_per_gas: int | None = None
    gas_price: int | None = None

    def transaction_fields(self) -> dict:
        if self.method == "eip1559":
            return {"maxFeePerGas": self.max_fee_per_gas, "maxPriorityFeePerGas": self.max_priority_fee_per_gas}
        return {"gasPrice": self.gas_price}

    def __str__(self) -> str:
        gwei = 10**9
        if self.method == "eip1559":
            return f"<Gas pricing method:eip1559 base:{self.base_fee / gwei:.4f} gwei priority:{self.max_priority_fee_per_gas / gwei:.4f} gwei max:{self.max_fee_per_gas / gwei:.4f} gwei>"
        return f"<Gas pricing method:legacy gas price:{self.gas_price / gwei:.4f} gwei>"


def fetch_gas_pricing(web3: Web3, *, priority_fee: int | None = None) -> GasPricing:
    """Max fee = 2 x base fee + tip: stays valid through several full blocks of base fee rises."""
    block = web3.eth.get_block("latest")
    base_fee = block.get("baseFeePerGas")
    if base_fee is None:
        return GasPricing("legacy", gas_price=web3.eth.gas_price)
    if priority_fee is None:
        priority_fee = node_priority_fee(web3)
    return GasPricing("eip1559", base_fee=base_fee, max_priority_fee_per_gas=priority_fee, max_fee_per_gas=2 * base_fee + priority_fee)


def node_priority_fee(web3: Web3) -> int:
    """The tip a live transaction offers: the node's eth_maxPriorityFeePerGas, 1 gwei from a node without it."""
    try:
        return web3.eth.max_priority_fee
    except Exception:  # noqa: BLE001 - nodes without eth_maxPriorityFeePerGas
        return 10**9
