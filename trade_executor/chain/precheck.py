"""Run a signed transaction as an ``eth_call`` before it is sent: one that would revert is never sent.

estimate_gas at signing time is the only check a fresh swap gets; signed bytes sent later (a
restart rebroadcasting what a crash left) meet a market that may have moved. The call runs the
exact transaction (from, to, data, value, gas) at the latest block. A revert is an answer: the
reason comes back. A node that does not answer raises as any read does (a transport error):
that is an outage, never a revert.
"""

from __future__ import annotations

import rlp
from eth_account import Account
from eth_account._utils.legacy_transactions import Transaction
from eth_account.typed_transactions import TypedTransaction
from hexbytes import HexBytes
from web3 import Web3
from web3.exceptions import ContractLogicError, TransactionNotFound, Web3RPCError

from trade_executor.chain.wallet import SignedTransaction

REVERT_PREFIX = "execution reverted"
OUT_OF_GAS = ("out of gas", "outofgas")  # geth's text; anvil's is "EVM error OutOfGas"


def call_fields(raw: bytes) -> dict:
    """The eth_call of signed bytes: who sends them, to what, with which data, value and gas limit."""
    sender = Account.recover_transaction(raw)
    if raw[0] <= 0x7F:  # a typed (EIP-2718) transaction
        fields = TypedTransaction.from_bytes(HexBytes(raw)).as_dict()
        to, data, value, gas = fields["to"], fields["data"], fields["value"], fields["gas"]
    else:
        legacy = rlp.decode(raw, Transaction)
        to, data, value, gas = legacy.to, legacy.data, legacy.value, legacy.gas
    return {"from": sender, "to": Web3.to_checksum_address(to), "data": Web3.to_hex(data), "value": value, "gas": gas}


def revert_message(error: Exception) -> str:
    """The revert's own words (``UniswapV2Router: INSUFFICIENT_OUTPUT_AMOUNT``), without the node's prefix."""
    message = getattr(error, "message", None) or (error.args[0] if error.args else str(error))
    if isinstance(message, dict):  # a JSON-RPC error object
        message = message.get("message", str(message))
    message = str(message)
    if message.lower().startswith(REVERT_PREFIX):
        message = message[len(REVERT_PREFIX):].lstrip(": ") or "reverted without a reason"
    return message


def revert_of(web3: Web3, signed: SignedTransaction, block: int | str = "latest") -> str | None:
    """The reason the transaction would revert at ``block``, or None when it would go through.

    Only the node's verdict on the transaction counts as a revert (a revert, running out of its gas
    limit); any other error is raised as it came (a node outage goes to the outage handling).
    """
    try:
        web3.eth.call(call_fields(signed.raw), block_identifier=block)
    except ContractLogicError as e:
        return revert_message(e)
    except Web3RPCError as e:
        text = str(e).lower()
        if any(words in text for words in OUT_OF_GAS):
            return f"out of gas within its limit of {call_fields(signed.raw)['gas']:,}"
        raise
    return None


def known_to_node(web3: Web3, tx_hash: str) -> bool:
    """Whether the node has the transaction (in its mempool or mined): sent once, it cannot be taken back."""
    try:
        web3.eth.get_transaction(tx_hash)
    except TransactionNotFound:
        return False
    return True
