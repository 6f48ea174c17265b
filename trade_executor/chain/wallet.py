"""The hot wallet: a private key that signs locally and is never shown."""

from __future__ import annotations

from dataclasses import dataclass

from eth_account import Account
from eth_account.signers.local import LocalAccount
from web3 import Web3

from trade_executor.errors import ConfigurationError


@dataclass(frozen=True, slots=True)
class SignedTransaction:
    """What must be in state before a broadcast: enough to find or resend the transaction."""

    raw: bytes
    tx_hash: str
    nonce: int


class HotWallet:
    def __init__(self, private_key: str):
        key = private_key.strip()
        if key.startswith("0x"):
            key = key[2:]
        if len(key) != 64 or any(c not in "0123456789abcdefABCDEF" for c in key):
            raise ConfigurationError("PRIVATE_KEY is not a 32-byte hex private key (64 hex digits, optionally with 0x).")
        self._account: LocalAccount = Account.from_key("0x" + key)
        self.address: str = self._account.address

    @classmethod
    def create(cls) -> tuple[HotWallet, str]:
        """A fresh wallet and its key, for the one moment the user must see and store it."""
        account = Account.create()
        key = "0x" + bytes(account.key).hex()
        return cls(key), key

    def sign(self, transaction: dict) -> SignedTransaction:
        signed = self._account.sign_transaction(transaction)
        return SignedTransaction(bytes(signed.raw_transaction), Web3.to_hex(signed.hash), transaction["nonce"])

    def __repr__(self) -> str:
        return f"<HotWallet {self.address}>"

    __str__ = __repr__


class NonceManager:
    """Hands out nonces; never the same one twice, even across restarts.

    Synced from the chain's pending transaction count and from the highest nonce the state
    already used, so a transaction signed but not yet broadcast before a crash keeps its nonce.
    """

    def __init__(self, web3: Web3, address: str):
        self.web3 = web3
        self.address = address
        self._next: int | None = None

    def sync(self, highest_used: int | None = None) -> int:
        on_chain = self.web3.eth.get_transaction_count(self.address, "pending")
        floor = highest_used + 1 if highest_used is not None else 0
        self._next = max(on_chain, floor, self._next or 0)
        return self._next

    def allocate(self) -> int:
        if self._next is None:
            self.sync()
        nonce = self._next
        self._next += 1
        return nonce

    def release(self, nonce: int) -> bool:
        """A transaction signed with ``nonce`` will never be sent: hand the nonce out again.

        Only the last nonce handed out can be: with a later one out, a gap would hold every later
        transaction back, so False tells the caller to fill it (``cancel_nonce``).
        """
        if self._next is not None and self._next == nonce + 1:
            self._next = nonce
            return True
        return False

    def peek(self) -> int:
        if self._next is None:
            self.sync()
        return self._next
