"""A live start on a real-sized chain through a strict provider: no FROM_BLOCK, a bounded warm-up, one read a cycle.

The node is the 200,000-block history (conftest.py) behind the proxy acting as a hosted provider
(2,000-block log range, 10,000 results, a 429 every tenth request). The strategy needs 200 hourly
candles: the start finds its first block by time, reads only that stretch into the cache, trades,
and each later cycle reads the new blocks of its pool in one log query. A restart reads the cache.
"""

from __future__ import annotations

import datetime
import time
from decimal import Decimal

import pandas as pd
import pytest
from pydantic import SecretStr

from trade_executor.chain.abi import load_abi
from trade_executor.chain.connection import create_web3
from trade_executor.chain.wallet import HotWallet
from trade_executor.runner.live import LiveConfig, LiveTrader
from trade_executor.state import TradeStatus
from trade_executor.testing.rpc_proxy import FaultyRpcProxy

from .test_download import strict

KEY = "0x" + "42" * 32
MINT_ABI = [
    {"name": "mint", "type": "function", "stateMutability": "nonpayable", "inputs": [{"name": "to", "type": "address"}, {"name": "amount", "type": "uint256"}], "outputs": []},
    {"name": "owner", "type": "function", "stateMutability": "view", "inputs": [], "outputs": [{"name": "", "type": "address"}]},
]
pytestmark = pytest.mark.xdist_group("chain-history")  # with -n, every test of the 200,000-block history in one worker: built once

STRATEGY = '''
from trade_executor.strategy.api import ChainId

trading_strategy_engine_version = "1.0"
trading_strategy_cycle = "1h"
chain_id = ChainId.anvil
exchange = "uniswap-v2"
reserve_currency = "USDC"


class Parameters:
    initial_cash = 10_000
    slippage_tolerance = 0.01
    required_history_period = "200h"


def create_trading_universe(timestamp, data, execution_context, options):
    return data.chain(["ETH"], time_frame="1h")


def decide_trades(input):
    pm = input.position_manager
    if pm.is_any_open() or len(input.universe.get_candles("ETH")) < 150:
        return []
    return pm.open_long("ETH", pm.get_current_cash())
'''


@pytest.fixture
def funded_node(history_node):
    """The shared history node with a funded hot wallet; put back as it was afterwards (evm_revert)."""
    snapshot = history_node.rpc("evm_snapshot")
    last = int(history_node.rpc("eth_getBlockByNumber", "latest", False)["timestamp"], 16)
    history_node.rpc("evm_setTime", last + 12)  # the chain's clock goes on from its history, not from today
    wallet = HotWallet(KEY).address
    history_node.rpc("anvil_setBalance", wallet, hex(10**20))
    yield history_node
    history_node.rpc("evm_revert", snapshot)


def chain_now(url: str) -> datetime.datetime:
    return datetime.datetime.fromtimestamp(create_web3(url).eth.get_block("latest")["timestamp"], datetime.UTC).replace(tzinfo=None)


def trader_for(tmp_path, history, url: str, clock_url: str, strategy_text: str = STRATEGY) -> LiveTrader:
    strategy = tmp_path / "chain_start.py"
    strategy.write_text(strategy_text)
    config = LiveConfig(
        strategy_file=strategy, state_file=tmp_path / "state.json", json_rpc_url=SecretStr(url), private_key=SecretStr(KEY),
        router=history.router, factory=history.factory, tokens=history.tokens, cache_path=tmp_path / "cache", confirmation_timeout=20,
        clock=lambda: chain_now(clock_url),  # the chain's history is in the past: its clock is the trader's (asked of the node directly)
    )
    return LiveTrader(config)


def test_a_live_start_reads_only_the_history_it_needs_then_one_query_a_cycle(tmp_path, funded_node, history):
    web3 = create_web3(funded_node.url)
    usdc = web3.eth.contract(address=history.tokens["USDC"], abi=load_abi("ERC20") + MINT_ABI)
    owner = usdc.functions.owner().call()  # the devnet's deployer, an unlocked anvil account
    tx = usdc.functions.mint(HotWallet(KEY).address, 10_000 * 10**6).transact({"from": owner})
    assert web3.eth.wait_for_transaction_receipt(tx)["status"] == 1
    with FaultyRpcProxy(funded_node.url) as proxy:
        proxy.limits = strict()
        trader = trader_for(tmp_path, history, proxy.url, funded_node.url)
        trader.recover()
        proxy.clear()
        started = time.monotonic()
        universe = trader.build_universe()  # the warm-up
        warm_up_seconds = time.monotonic() - started
        warm_up_requests = proxy.http_requests  # HTTP requests: a JSON-RPC batch is one
        candles = universe.candles["ETH-USDC"]
        hours = (candles.index[-1] - candles.index[0]) / datetime.timedelta(hours=1)
        assert 200 <= hours <= 210  # the strategy's 200 hours, not the chain's 666
        cached = trader.loader.history.cached_range(history.pools["ETH-USDC"])
        assert cached.first_block > history.last_block - 70_000  # ~60,000 blocks of 12 s: found by time, not block 0
        from collections import Counter
        assert warm_up_requests <= 70, (warm_up_requests, Counter(c["method"] for c in proxy.requests_seen), dict(proxy.limits.refused))
        assert warm_up_seconds < 10

        (buy,) = trader.run_cycle(chain_now(funded_node.url))
        assert buy.status is TradeStatus.success and buy.executed_reserve == Decimal(10_000)

        funded_node.rpc("anvil_mine", hex(300), hex(12))  # another hour of blocks
        proxy.clear()
        refused_before = proxy.limits.refused.get("rate", 0)
        started = time.monotonic()
        again = trader.build_universe()
        cycle_seconds = time.monotonic() - started
        get_logs = [call for call in proxy.requests_seen if call["method"] == "eth_getLogs" and not call.get("refused")]  # a 429 is asked again
        cycle_requests = proxy.http_requests - (proxy.limits.refused.get("rate", 0) - refused_before)  # a 429 is asked again
        # The latest block, one log query for the new blocks, their timestamps (this provider leaves them out of logs).
        assert len(get_logs) == 1 and cycle_requests <= 3, [(c["method"], c["params"]) for c in proxy.requests_seen]
        assert again.candles["ETH-USDC"].index[-1] > candles.index[-1]

        cached_to = trader.loader.history.cached_range(history.pools["ETH-USDC"]).next_block
        funded_node.rpc("anvil_mine", hex(10), hex(12))
        restarted = trader_for(tmp_path, history, proxy.url, funded_node.url)
        proxy.clear()
        restarted.build_universe()  # the cache, then only the blocks since
        (query,) = [c["params"][0] for c in proxy.requests_seen if c["method"] == "eth_getLogs" and not c.get("refused")]
        assert int(query["fromBlock"], 16) == cached_to
    print(f"\nwarm-up of 200 hourly candles: {warm_up_requests} requests, {warm_up_seconds:.2f} s; a cycle's read: {cycle_requests} requests, {cycle_seconds * 1000:.0f} ms")


QUARTER_HOUR_CYCLES_ON_HOURLY_CANDLES = STRATEGY.replace('trading_strategy_cycle = "1h"', 'trading_strategy_cycle = "15m"').replace('    required_history_period = "200h"\n', "")


def test_live_data_chain_gives_the_candles_of_its_time_frame_not_of_the_cycle(tmp_path, funded_node, history):
    """A 15-minute strategy on hourly candles (`data.chain(..., time_frame="1h")`) sees hourly candles live, as in its
    backtest, and as many of them as its indicators need (the history is sized in candles, not in cycles)."""
    trader = trader_for(tmp_path, history, funded_node.url, funded_node.url, QUARTER_HOUR_CYCLES_ON_HOURLY_CANDLES)
    universe = trader.build_universe()
    candles = universe.candles["ETH-USDC"]
    assert universe.time_frame == pd.Timedelta(hours=1)
    assert set(candles.index.to_series().diff().dropna()) == {pd.Timedelta(hours=1)}
    assert len(candles) >= 100  # at least 100 candles of the hour (was: 100 quarter-hours of 15-minute candles)
    window = trader.loader.history.history_seconds
    trader.build_universe()  # the next cycle
    assert trader.loader.history.history_seconds == window  # the window is widened once, not again every cycle
