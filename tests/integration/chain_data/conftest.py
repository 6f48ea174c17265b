"""A 200,000-block devnet history with two busy Uniswap v2 pools, built once and loaded into each test's anvil.

Building it takes about 30 s (SwapChurner mines a block's swaps in one transaction, empty stretches
are mined in bulk); the chain is kept gzipped in pytest's cache folder under a key of everything
that shapes it, so later sessions only load it (a few seconds). See testing/chain_history.py.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
import requests

from trade_executor.chain.connection import create_web3
from trade_executor.chain.rpc_calls import RpcCaller
from trade_executor.devnet.anvil import Anvil
from trade_executor.execution.uniswap_v2.pool_discovery import pool_tokens
from trade_executor.execution.uniswap_v2.pool_download import SWAP_TOPIC, SYNC_TOPIC, PoolDownloader
from trade_executor.market.pool_history import PoolHistoryStore
from trade_executor.testing.chain_history import HistoryPlan, cached_history

PLAN = HistoryPlan()


@pytest.fixture(scope="session")
def chain_history(pytestconfig, tmp_path_factory):
    """(anvil state file, what the history holds)."""
    cache = pytestconfig.cache.mkdir("chain-history") if getattr(pytestconfig, "cache", None) is not None else Path(tempfile.gettempdir()) / "trade-executor-chain-history"
    return cached_history(Path(cache), tmp_path_factory.mktemp("chain-history"), PLAN)


@pytest.fixture(scope="session")
def history(chain_history):
    return chain_history[1]


@pytest.fixture(scope="session")
def history_node(chain_history):
    """An anvil holding the whole history, loaded once (seconds): tests only read it, or put it back (evm_revert)."""
    with Anvil(load_state=chain_history[0], long_history=True) as node:
        yield node


def reference_events(url: str, pools: list[str]) -> dict[str, dict[str, list[tuple]]]:
    """Every Sync and Swap of the pools, read the simplest way: one uncapped eth_getLogs straight from anvil,
    one batch of block headers, decoded here without the package's code. Pool (lower case) -> kind -> rows."""
    session = requests.Session()
    session.trust_env = False
    query = {"address": pools, "topics": [[SYNC_TOPIC, SWAP_TOPIC]], "fromBlock": "0x0", "toBlock": "latest"}
    logs = session.post(url, json={"jsonrpc": "2.0", "id": 1, "method": "eth_getLogs", "params": [query]}, timeout=120).json()["result"]
    blocks = sorted({int(log["blockNumber"], 16) for log in logs})
    calls = [{"jsonrpc": "2.0", "id": b, "method": "eth_getBlockByNumber", "params": [hex(b), False]} for b in blocks]
    stamps = {a["id"]: int(a["result"]["timestamp"], 16) for a in session.post(url, json=calls, timeout=120).json()}
    found: dict[str, dict[str, list[tuple]]] = {p.lower(): {"sync": [], "swap": []} for p in pools}
    for log in logs:
        data = bytes.fromhex(log["data"][2:])
        words = [int.from_bytes(data[i : i + 32], "big") for i in range(0, len(data), 32)]
        block, index = int(log["blockNumber"], 16), int(log["logIndex"], 16)
        kind = "sync" if log["topics"][0] == SYNC_TOPIC else "swap"
        found[log["address"].lower()][kind].append((block, index, stamps[block], *words))
    return found


def stored_events(store: PoolHistoryStore, chain_id: int, pool: str) -> dict[str, list[tuple]]:
    metadata = store.load(chain_id, pool)
    rows = {}
    for kind in ("sync", "swap"):
        table = store.read(metadata, kind)
        columns = [[int(v) for v in table[name].to_pylist()] for name in table.column_names]
        rows[kind] = list(zip(*columns, strict=True))
    return rows


@pytest.fixture(scope="session")
def reference(history_node, history):
    return reference_events(history_node.url, list(history.pools.values()))


def download_directly(url: str, cache_path: Path, pools: dict[str, str], end_block: int) -> PoolHistoryStore:
    """The package's downloader straight against anvil (no CLI, no proxy): data for backtests."""
    caller = RpcCaller(create_web3(url).provider)
    store = PoolHistoryStore(cache_path)
    downloader = PoolDownloader(caller, store, 31337)
    names = {address: ticker for ticker, address in pools.items()}
    opened = downloader.open(pool_tokens(caller, list(pools.values())), 0, names)
    downloader.run(opened, end_block)
    return store

