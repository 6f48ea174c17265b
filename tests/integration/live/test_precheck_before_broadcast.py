"""A signed swap is run as an eth_call before it is sent: one the market has made revert is never broadcast.

The saved bytes of a swap signed before a SIGKILL meet, at the restart, a pool an adversary has
moved so that the swap's minimum out can no longer be met. Sent, it would revert and burn gas.
"""

import signal
from dataclasses import replace

import pytest
from pydantic import SecretStr
from web3 import Web3

from trade_executor.chain.connection import create_web3
from trade_executor.execution.uniswap_v2.treasury import check_accounts
from trade_executor.runner.live import LiveTrader
from trade_executor.runner.outage import is_node_outage
from trade_executor.state import JSONFileStore, TradeStatus
from trade_executor.testing.adversary import Adversary
from trade_executor.testing.rpc_proxy import FaultyRpcProxy, Http502

from .conftest import HOT_WALLET_KEY
from .test_crash_recovery import live_env, start, swaps_on_chain

WALLET = Web3().eth.account.from_key(HOT_WALLET_KEY).address


@pytest.fixture
def proxy(anvil):
    with FaultyRpcProxy(anvil.url, max_hold_seconds=10) as running:
        yield running


def nonces(web3) -> tuple[int, int]:
    return web3.eth.get_transaction_count(WALLET, "latest"), web3.eth.get_transaction_count(WALLET, "pending")


def test_a_saved_swap_the_market_made_revert_is_not_sent_and_is_failed_with_the_reason(anvil, deployment, strategy_file, tmp_path, proxy):
    state_file = tmp_path / "state.json"
    bought = start(live_env(deployment, strategy_file, state_file))
    assert bought.returncode == 0, bought.stderr
    killed = start(live_env(deployment, strategy_file, state_file, TRADE_EXECUTOR_CRASH_AT="after_sign"))  # the sell is signed and saved
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    saved = JSONFileStore(state_file).load()
    (position,) = saved.portfolio.open_positions.values()
    quantity = position.get_quantity()
    saved_sell = position.trades[2].blockchain_transactions[-1]

    adversary = Adversary(anvil, deployment)
    adversary.dump("ETH-USDC", "0.05")  # the sell's minimum out (1% under the reference) can no longer be met
    web3 = create_web3(anvil.url)
    before = nonces(web3)

    restarted = start(live_env(deployment, strategy_file, state_file, JSON_RPC_ANVIL=proxy.url))
    assert restarted.returncode == 0, restarted.stderr
    assert proxy.count("eth_sendRawTransaction") == 0  # nothing broadcast: no gas burnt, no revert mined
    assert nonces(web3) == before
    state = JSONFileStore(state_file).load()
    failed = state.portfolio.unfilled_trades[2]
    assert failed.status is TradeStatus.failed  # failed, not skipped: it was signed
    assert "UniswapV2Router: INSUFFICIENT_OUTPUT_AMOUNT" in failed.failure_reason and "not sent" in failed.failure_reason
    assert failed.blockchain_transactions[-1].revert_reason == "UniswapV2Router: INSUFFICIENT_OUTPUT_AMOUNT"
    assert "would revert now" in restarted.stderr  # recovery says what it did
    assert not state.portfolio.frozen_positions
    assert state.portfolio.open_positions[position.position_id].get_quantity() == quantity  # the position as it was
    check_accounts(web3, state, WALLET)

    # The market comes back; the next cycle decides again and sells normally, with the nonce the failed bytes held.
    adversary.restore("ETH-USDC")
    again = start(live_env(deployment, strategy_file, state_file))
    assert again.returncode == 0, again.stderr
    state = JSONFileStore(state_file).load()
    assert not state.portfolio.open_positions and not state.portfolio.frozen_positions
    (closed,) = state.portfolio.closed_positions.values()
    sell = [t for t in closed.trades.values() if not t.is_buy][-1]
    assert sell.status is TradeStatus.success and sell.blockchain_transactions[-1].nonce == saved_sell.nonce
    assert swaps_on_chain(deployment, WALLET) == 2
    with pytest.raises(Exception):  # noqa: B017 - TransactionNotFound: the failed bytes were never sent and never can be mined
        web3.eth.get_transaction_receipt(saved_sell.tx_hash)
    check_accounts(web3, state, WALLET)


def test_a_node_error_on_the_check_is_an_outage_not_a_failed_trade(deployment, strategy_file, live_config, proxy):
    killed = start(live_env(deployment, strategy_file, live_config.state_file, TRADE_EXECUTOR_CRASH_AT="after_sign"))  # the buy is signed and saved
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    signed_hash = JSONFileStore(live_config.state_file).load().portfolio.open_positions[1].trades[1].blockchain_transactions[-1].tx_hash

    trader = LiveTrader(replace(live_config, json_rpc_url=SecretStr(proxy.url)))
    proxy.add_fault(Http502("eth_call", times=50))  # recovery's first call is the check of the saved buy
    with pytest.raises(Exception) as raised:  # noqa: B017 - whatever the transport raises; the outage handling decides by is_node_outage
        trader.recover()
    assert is_node_outage(raised.value)
    assert proxy.count("eth_sendRawTransaction") == 0
    buy = trader.state.portfolio.open_positions[1].trades[1]
    assert buy.status is TradeStatus.started and not trader.state.portfolio.unfilled_trades  # not failed: the node hiccupped

    proxy.clear()
    trader.recover()  # what the outage handling does once the node answers again: the same bytes, checked and sent
    assert buy.status is TradeStatus.success and buy.blockchain_transactions[-1].tx_hash == signed_hash
    assert swaps_on_chain(deployment, WALLET) == 1
    check_accounts(trader.web3, trader.state, WALLET)
