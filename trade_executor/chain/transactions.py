"""Sign, broadcast and confirm transactions.

The rule that keeps a decision from trading twice: once a transaction is signed and recorded,
only those same signed bytes are ever sent again. Resending them is harmless (same hash, same
nonce); building a new transaction for the same decision is not.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

import requests
from web3 import Web3
from web3.exceptions import TransactionNotFound

from trade_executor.chain.gas import GasPricing, fetch_gas_pricing
from trade_executor.chain.wallet import HotWallet, NonceManager, SignedTransaction
from trade_executor.errors import TransactionRejected, TransactionUnresolved

logger = logging.getLogger(__name__)

GAS_MARGIN = 1.3  # anvil and real nodes underestimate swaps that touch fresh storage slots
# A Uniswap v2 pool writes its price accumulators only when a block's timestamp moved since its
# last update: an estimate made in the same second leaves out ~44k gas the mined swap then needs.
SWAP_GAS_HEADROOM_PER_POOL = 60_000
TRANSIENT = (requests.ConnectionError, requests.HTTPError, requests.Timeout)


@dataclass(frozen=True)
class BroadcastOutcome:
    """``accepted``: the node has it (or had it). ``nonce_used``: something with this nonce is already mined."""

    accepted: bool
    nonce_used: bool = False


class TransactionBuilder:
    """Builds and signs transactions from one hot wallet; knows nothing of trades or state."""

    def __init__(self, web3: Web3, wallet: HotWallet, nonces: NonceManager | None = None, *, gas_margin: float = GAS_MARGIN):
        self.web3 = web3
        self.wallet = wallet
        self.nonces = nonces or NonceManager(web3, wallet.address)
        self.gas_margin = gas_margin
        self.chain_id = web3.eth.chain_id

    def sign_call(self, function, *, value: int = 0, gas: int | None = None, gas_pricing: GasPricing | None = None, gas_headroom: int = 0) -> SignedTransaction:
        """Sign a contract call (``contract.functions.f(...)``) with a fresh nonce.

        ``gas_headroom`` is added to the estimate for costs an estimate cannot see (see SWAP_GAS_HEADROOM).
        """
        pricing = gas_pricing or fetch_gas_pricing(self.web3)
        params = {"from": self.wallet.address, "value": value, "chainId": self.chain_id, **pricing.transaction_fields()}
        if gas is None:
            gas = int(function.estimate_gas(params) * self.gas_margin) + gas_headroom
        params["gas"] = gas
        params["nonce"] = self.nonces.allocate()
        transaction = function.build_transaction(params)
        return self.wallet.sign(transaction)

    def sign_deployment(self, contract_factory, *args, gas_pricing: GasPricing | None = None) -> SignedTransaction:
        pricing = gas_pricing or fetch_gas_pricing(self.web3)
        constructor = contract_factory.constructor(*args)
        params = {"from": self.wallet.address, "chainId": self.chain_id, **pricing.transaction_fields()}
        params["gas"] = int(constructor.estimate_gas(params) * self.gas_margin)
        params["nonce"] = self.nonces.allocate()
        return self.wallet.sign(constructor.build_transaction(params))


def broadcast(web3: Web3, signed: SignedTransaction, *, attempts: int = 3) -> BroadcastOutcome:
    """Send signed bytes; retry only the transport, and read the node's refusals for what they mean."""
    last_error: Exception | None = None
    for attempt in range(attempts):
        try:
            web3.eth.send_raw_transaction(signed.raw)
            return BroadcastOutcome(accepted=True)
        except TRANSIENT as e:
            # The node may have accepted it and the answer got lost: sending the same bytes again is safe.
            last_error = e
            logger.warning("Broadcast of %s (nonce %d) got no clear answer (%s); attempt %d of %d", signed.tx_hash, signed.nonce, type(e).__name__, attempt + 1, attempts)
        except Exception as e:  # noqa: BLE001 - web3 raises several types for JSON-RPC errors
            message = str(e).lower()
            if "already known" in message or "known transaction" in message or "already imported" in message:
                return BroadcastOutcome(accepted=True)
            if "nonce too low" in message or "nonce has already been used" in message:
                # Our own earlier send may have been mined while its answer was lost: ask for our receipt.
                mined = _receipt_or_none(web3, signed.tx_hash)
                return BroadcastOutcome(accepted=mined is not None, nonce_used=True)
            raise TransactionRejected(f"The node refused transaction {signed.tx_hash} (nonce {signed.nonce}): {e}") from e
    raise TransactionUnresolved(f"Broadcast of {signed.tx_hash} (nonce {signed.nonce}) got no answer after {attempts} attempts: {last_error}")


def _receipt_or_none(web3: Web3, tx_hash: str):
    try:
        return find_receipt(web3, tx_hash)
    except TRANSIENT:
        return None


def find_receipt(web3: Web3, tx_hash: str):
    try:
        return web3.eth.get_transaction_receipt(tx_hash)
    except TransactionNotFound:
        return None


def wait_for_receipt(web3: Web3, tx_hash: str, *, confirmations: int = 1, timeout: float = 60.0, poll: float = 0.5):
    """Poll until the transaction is mined and ``confirmations`` blocks deep, or the deadline passes.

    The first polls come fast (2 ms, doubling up to ``poll``): a local node mines within milliseconds,
    a real chain within seconds, and neither should wait longer than it has to.
    """
    deadline = time.monotonic() + timeout
    interval = 0.002
    while True:
        try:
            receipt = find_receipt(web3, tx_hash)
            if receipt is not None and web3.eth.block_number - receipt["blockNumber"] + 1 >= confirmations:
                return receipt
        except TRANSIENT as e:
            logger.warning("Waiting for %s: %s", tx_hash, type(e).__name__)
        if time.monotonic() >= deadline:
            raise TransactionUnresolved(f"Transaction {tx_hash} was not confirmed ({confirmations} blocks) within {timeout:.0f} s; it may still be mined.")
        time.sleep(interval)
        interval = min(interval * 2, poll)


def send_and_wait(web3: Web3, signed: SignedTransaction, *, confirmations: int = 1, timeout: float = 60.0):
    """Broadcast and wait; for set-up work (devnet, approvals) where no trade state is involved."""
    outcome = broadcast(web3, signed)
    if not outcome.accepted and not outcome.nonce_used:
        raise TransactionRejected(f"Transaction {signed.tx_hash} was not accepted.")
    receipt = wait_for_receipt(web3, signed.tx_hash, confirmations=confirmations, timeout=timeout)
    if receipt["status"] != 1:
        raise TransactionRejected(f"Transaction {signed.tx_hash} reverted (block {receipt['blockNumber']}).")
    return receipt


def cancel_nonce(web3: Web3, builder: TransactionBuilder, nonce: int, *, timeout: float = 60.0):
    """Use ``nonce`` up with a 0-value self-transfer (21,000 gas), so nothing signed with it can ever be mined.

    The fees are twice today's, to replace a transaction a node may still hold at that nonce.
    """
    fields = {k: v * 2 for k, v in fetch_gas_pricing(web3).transaction_fields().items()}
    address = builder.wallet.address
    transaction = {"to": address, "value": 0, "gas": 21_000, "nonce": nonce, "chainId": builder.chain_id, **fields}
    receipt = send_and_wait(web3, builder.wallet.sign(transaction), timeout=timeout)
    logger.info("Cancelled nonce %d of %s with a self-transfer", nonce, address)
    return receipt
