"""Read what a swap really did from its receipt's Transfer events, not from the quote."""

from __future__ import annotations

from dataclasses import dataclass

from web3 import Web3

TRANSFER_TOPIC = Web3.keccak(text="Transfer(address,address,uint256)").hex().removeprefix("0x")


@dataclass(frozen=True)
class SwapResult:
    amount_in: int
    amount_out: int
    gas_used: int
    effective_gas_price: int
    block_number: int


def _address_from_topic(topic) -> str:
    raw = topic.hex() if hasattr(topic, "hex") else str(topic)
    return "0x" + raw.removeprefix("0x")[-40:]


def read_swap(receipt, wallet: str, token_in: str, token_out: str) -> SwapResult:
    """Sum the wallet's outgoing ``token_in`` and incoming ``token_out`` transfers in the receipt."""
    wallet, token_in, token_out = wallet.lower(), token_in.lower(), token_out.lower()
    paid = received = 0
    for log in receipt["logs"]:
        topics = log["topics"]
        if len(topics) != 3:
            continue
        topic0 = topics[0].hex() if hasattr(topics[0], "hex") else str(topics[0])
        if topic0.removeprefix("0x") != TRANSFER_TOPIC:
            continue
        token = log["address"].lower()
        sender, recipient = _address_from_topic(topics[1]).lower(), _address_from_topic(topics[2]).lower()
        data = log["data"]
        value = int.from_bytes(bytes(data), "big") if not isinstance(data, str) else int(data, 16)
        if token == token_in and sender == wallet:
            paid += value
        elif token == token_out and recipient == wallet:
            received += value
    return SwapResult(paid, received, receipt["gasUsed"], receipt.get("effectiveGasPrice", 0), receipt["blockNumber"])
