"""A throwaway copy of the chain for a dress rehearsal: anvil forking the configured node at its latest block.

The fork holds the wallet's real balances and the pools' real reserves at that block; everything
sent to it stays in it, and it is gone when the context ends. anvil reaches the node through a
relay (relay.py) that keeps the node's URL off anvil's command line and refuses every transaction,
so nothing done on the fork can reach the real chain. The node is named redacted in every message.
"""

from __future__ import annotations

import datetime
import logging
import time

from web3 import Web3

from trade_executor.chain.anvil import AnvilProcess
from trade_executor.chain.connection import create_web3
from trade_executor.chain.relay import NodeRelay
from trade_executor.errors import ConfigurationError
from trade_executor.secrets import redact_url

logger = logging.getLogger(__name__)

READY_TIMEOUT_SECONDS = 60.0  # a fork of a remote node fetches its first block and chain id before it answers


class Fork:
    """anvil forking ``node_url`` at its latest block (``block``), on the node's chain id; a context manager.

    ``expected_chain_id``: refuse a node of another chain before anything starts.
    """

    def __init__(self, node_url: str, *, expected_chain_id: int | None = None, ready_timeout: float = READY_TIMEOUT_SECONDS):
        self.node = redact_url(node_url)
        started = time.perf_counter()
        node = create_web3(node_url)
        self.chain_id = node.eth.chain_id
        if expected_chain_id is not None and self.chain_id != expected_chain_id:
            raise ConfigurationError(f"The node at {self.node} is on chain {self.chain_id}, the strategy trades on chain {expected_chain_id}. Fix: give the node of chain {expected_chain_id} (JSON_RPC_URL or JSON_RPC_<CHAIN>).")
        self.block = node.eth.block_number
        self.relay = NodeRelay(node_url)
        try:
            self.anvil = AnvilProcess(
                ["--fork-url", self.relay.url, "--fork-block-number", str(self.block), "--chain-id", str(self.chain_id), "--no-storage-caching"],
                ready_timeout=ready_timeout,
            )
        except BaseException:
            self.relay.stop()
            raise
        self.url = self.anvil.url
        self.web3: Web3 = create_web3(self.url)
        self.start_seconds = time.perf_counter() - started
        logger.info("Forked chain %d at block %d from %s in %.2f s", self.chain_id, self.block, self.node, self.start_seconds)

    def now(self) -> datetime.datetime:
        """The fork's time: its latest block's timestamp, as a naive UTC datetime (the trader's clock on the fork)."""
        timestamp = self.web3.eth.get_block("latest")["timestamp"]
        return datetime.datetime.fromtimestamp(timestamp, datetime.UTC).replace(tzinfo=None)

    def advance_to(self, when: datetime.datetime) -> None:
        """Mine an empty block at ``when`` (no one else trades on a fork: the market stands still meanwhile)."""
        seconds = int(when.replace(tzinfo=datetime.UTC).timestamp())
        if seconds > int(self.now().replace(tzinfo=datetime.UTC).timestamp()):
            self.anvil.rpc("evm_mine", seconds)

    def stop(self) -> None:
        """Discard the fork: anvil stops (nothing of it is kept on disk), then the relay."""
        try:
            self.anvil.stop()
        finally:
            self.relay.stop()

    def __enter__(self) -> Fork:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()
