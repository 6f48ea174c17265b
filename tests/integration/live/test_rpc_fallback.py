"""JSON_RPC_<CHAIN> with several URLs: a node that gives no answer hands the request to the next one.

Real anvil behind the fault-injecting proxy. A JSON-RPC answer, even an error, is final: it is never
asked of another node, so a transaction a node refused is not pushed through a second one.
"""

from __future__ import annotations

import socket
import subprocess

import pytest
import requests
from pydantic import SecretStr

from trade_executor.chain.connection import FallbackProvider, create_web3
from trade_executor.execution.uniswap_v2.treasury import check_accounts
from trade_executor.runner.live import LiveTrader
from trade_executor.state import TradeStatus
from trade_executor.testing.rpc_proxy import DropResponse, FaultyRpcProxy, Http502, NonceTooLow, Timeout

from .test_crash_recovery import TRADE_EXECUTOR, live_env, swaps_on_chain


def closed_port_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}"  # nothing listens there any more: connection refused


@pytest.fixture
def first(anvil):
    with FaultyRpcProxy(anvil.url, max_hold_seconds=10) as proxy:
        yield proxy


@pytest.fixture
def second(anvil):
    with FaultyRpcProxy(anvil.url, max_hold_seconds=10) as proxy:
        yield proxy


def trader_via(urls: str, live_config) -> LiveTrader:
    trader = LiveTrader(live_config.__class__(**{**live_config.__dict__, "json_rpc_url": SecretStr(urls)}))
    trader.recover()
    return trader


def test_a_closed_port_first_in_the_list_falls_back_to_the_next_node(anvil):
    web3 = create_web3(f"{closed_port_url()} {anvil.url}", timeout=2)
    assert isinstance(web3.provider, FallbackProvider)
    assert web3.eth.chain_id == 31337
    assert web3.eth.block_number == create_web3(anvil.url).eth.block_number


def test_http_5xx_moves_reads_to_the_next_node_which_keeps_them_until_the_first_is_tried_again(anvil, first, second):
    web3 = create_web3(f"{first.url} {second.url}", timeout=1)
    first.add_fault(Http502("eth_blockNumber"))
    web3.eth.get_block_number()
    assert (first.count("eth_blockNumber"), second.count("eth_blockNumber")) == (1, 1)
    web3.eth.get_block_number()  # the node that answered keeps the requests for a while
    assert (first.count("eth_blockNumber"), second.count("eth_blockNumber")) == (1, 2)
    web3.provider.primary_retry_seconds = 0  # ...then the first node is tried again
    web3.eth.get_block_number()
    assert (first.count("eth_blockNumber"), second.count("eth_blockNumber")) == (2, 2)


def test_a_node_that_does_not_answer_in_time_hands_over_to_the_next(anvil, first, second):
    web3 = create_web3(f"{first.url} {second.url}", timeout=1)
    first.add_fault(Timeout("eth_getBalance", max_seconds=5))
    assert web3.eth.get_balance("0x" + "00" * 20) == create_web3(anvil.url).eth.get_balance("0x" + "00" * 20)
    assert (first.count("eth_getBalance"), second.count("eth_getBalance")) == (1, 1)


def test_every_node_down_is_one_error_without_the_urls_keys(anvil):
    dead_a, dead_b = closed_port_url() + "/v3/key-aaaaaaa", closed_port_url() + "/v3/key-bbbbbbb"
    web3 = create_web3(f"{dead_a} {dead_b}", timeout=1, retries=1)
    with pytest.raises(requests.ConnectionError) as raised:  # the type callers already catch
        web3.eth.get_block_number()
    message = str(raised.value)
    assert message.startswith("No JSON-RPC node answered eth_blockNumber: http://127.0.0.1:")
    assert message.count("(ConnectionError)") == 2  # each node named once, though two rounds asked each of them
    assert "key-aaaaaaa" not in message and "key-bbbbbbb" not in message


def test_a_broadcast_the_first_node_fails_with_http_502_goes_to_the_next_and_trades_once(first, second, live_config, deployment):
    trader = trader_via(f"{first.url} {second.url}", live_config)
    trader.execution.ensure_approval(live_config.tokens["USDC"], 1)
    first.add_fault(Http502("eth_sendRawTransaction"))
    (buy,) = trader.run_cycle(trader.config.clock())
    assert buy.status is TradeStatus.success
    sent_first = [r["params"] for r in first.requests_seen if r["method"] == "eth_sendRawTransaction"]
    sent_second = [r["params"] for r in second.requests_seen if r["method"] == "eth_sendRawTransaction"]
    assert len(sent_first) == 2 and sent_second == [sent_first[-1]]  # the approval went through the first; the swap's same bytes to the second
    assert swaps_on_chain(deployment, trader.wallet.address) == 1
    check_accounts(trader.web3, trader.state, trader.wallet.address)


def test_an_answer_lost_after_the_first_node_took_the_transaction_sends_the_same_bytes_on_and_trades_once(first, second, live_config, deployment):
    """The double broadcast this choice allows: harmless, because the bytes (hash, nonce) are the same."""
    trader = trader_via(f"{first.url} {second.url}", live_config)
    trader.execution.ensure_approval(live_config.tokens["USDC"], 1)
    first.add_fault(DropResponse("eth_sendRawTransaction"))  # anvil mines it, the answer is lost
    (buy,) = trader.run_cycle(trader.config.clock())
    assert buy.status is TradeStatus.success
    raw_first = [r["params"] for r in first.requests_seen if r["method"] == "eth_sendRawTransaction"][-1]
    assert [r["params"] for r in second.requests_seen if r["method"] == "eth_sendRawTransaction"] == [raw_first]
    assert swaps_on_chain(deployment, trader.wallet.address) == 1
    check_accounts(trader.web3, trader.state, trader.wallet.address)


def test_a_node_that_refuses_a_transaction_is_final_and_no_other_node_gets_it(first, second, live_config, deployment):
    trader = trader_via(f"{first.url} {second.url}", live_config)
    trader.execution.ensure_approval(live_config.tokens["USDC"], 1)
    first.add_fault(NonceTooLow("eth_sendRawTransaction"))
    (buy,) = trader.run_cycle(trader.config.clock())
    assert buy.status is TradeStatus.failed and "never reached the chain" in buy.failure_reason
    assert second.count("eth_sendRawTransaction") == 0
    assert swaps_on_chain(deployment, trader.wallet.address) == 0


def test_check_wallet_through_the_cli_with_a_dead_first_node(deployment, strategy_file, tmp_path):
    env = live_env(deployment, strategy_file, tmp_path / "s.json", JSON_RPC_ANVIL=f"{closed_port_url()} {deployment.url}")
    result = subprocess.run([str(TRADE_EXECUTOR), "check-wallet"], env=env, capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    assert "Chain id is 31337" in result.stdout and "Balance of USDC: 10000 USDC" in result.stdout
