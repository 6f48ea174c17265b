"""The executor's JSON-RPC client and broadcaster against a real anvil behind a fault-injecting proxy."""

from __future__ import annotations

import threading
import time

import pytest
import requests

from trade_executor.chain.connection import create_web3
from trade_executor.chain.gas import fetch_gas_pricing
from trade_executor.chain.transactions import BroadcastOutcome, broadcast, wait_for_receipt
from trade_executor.chain.wallet import HotWallet, SignedTransaction
from trade_executor.devnet.anvil import ANVIL_CHAIN_ID, ANVIL_PRIVATE_KEYS, Anvil
from trade_executor.errors import TransactionUnresolved
from trade_executor.testing.rpc_proxy import (
    Delay,
    DropResponse,
    FaultyRpcProxy,
    Http502,
    NonceTooLow,
    ReceiptWithoutLogs,
    Timeout,
)
from trade_executor.testing.strict_provider import ProviderLimits

SENDER = HotWallet(ANVIL_PRIVATE_KEYS[0])
RECIPIENT = HotWallet(ANVIL_PRIVATE_KEYS[1]).address


@pytest.fixture(scope="module")
def anvil():
    with Anvil() as node:
        yield node


@pytest.fixture
def direct(anvil):
    """The executor's client talking to anvil itself, past the proxy: what the chain really saw."""
    return create_web3(anvil.url, timeout=5)


@pytest.fixture
def proxy(anvil):
    with FaultyRpcProxy(anvil.url, max_hold_seconds=10) as running:
        yield running
    assert not [t for t in threading.enumerate() if t.name.startswith(f"FaultyRpcProxy-{running.port}")], "stop() left threads behind"


@pytest.fixture
def web3(proxy):
    return create_web3(proxy.url, timeout=1, retries=2)


def sign_transfer(direct) -> SignedTransaction:
    """1 wei to another account, signed locally with the next nonce (read from anvil directly)."""
    transaction = {
        "to": RECIPIENT,
        "value": 1,
        "gas": 21_000,
        "nonce": direct.eth.get_transaction_count(SENDER.address, "pending"),
        "chainId": ANVIL_CHAIN_ID,
        **fetch_gas_pricing(direct).transaction_fields(),
    }
    return SENDER.sign(transaction)


def test_without_faults_calls_go_through_and_are_recorded(web3, proxy):
    assert web3.eth.chain_id == ANVIL_CHAIN_ID
    first = proxy.count("eth_chainId")
    assert first >= 1
    assert proxy.requests_seen[0]["method"] == "eth_chainId"
    assert proxy.requests_seen[0]["params"] == []
    assert web3.eth.chain_id == ANVIL_CHAIN_ID
    assert proxy.count("eth_chainId") == first  # the chain id is cached: web3 asks for it for every transaction


def test_batch_requests_are_forwarded_as_they_are(web3, proxy, direct):
    with web3.batch_requests() as batch:
        batch.add(web3.eth.get_block_number())
        batch.add(web3.eth.get_balance(SENDER.address))
        block_number, balance = batch.execute()
    assert block_number == direct.eth.block_number
    assert balance == direct.eth.get_balance(SENDER.address)
    assert [call["method"] for call in proxy.requests_seen] == ["eth_blockNumber", "eth_getBalance"]


def test_a_read_is_retried_after_http_502(web3, proxy, direct):
    proxy.add_fault(Http502("eth_blockNumber"))
    assert web3.eth.block_number == direct.eth.block_number
    assert proxy.count("eth_blockNumber") == 2  # the 502, then the retry that worked
    assert proxy.faults_left == []


def test_a_node_that_never_answers_times_out_within_seconds(web3, proxy):
    proxy.add_fault(Timeout("eth_blockNumber", times=3))  # every attempt: create_web3(retries=2) makes three
    started = time.monotonic()
    with pytest.raises(requests.Timeout):
        web3.eth.get_block_number()
    elapsed = time.monotonic() - started
    assert 1.0 <= elapsed < 8.0, elapsed
    assert proxy.count("eth_blockNumber") == 3


def test_an_answer_lost_after_the_node_accepted_leaves_the_broadcast_unresolved(web3, proxy, direct):
    signed = sign_transfer(direct)
    proxy.add_fault(DropResponse("eth_sendRawTransaction"))
    with pytest.raises(TransactionUnresolved):
        broadcast(web3, signed, attempts=1)
    assert proxy.count("eth_sendRawTransaction") == 1  # the client itself never resends a transaction
    # ...yet anvil got it, and (automine) mined it.
    receipt = wait_for_receipt(direct, signed.tx_hash, timeout=5)
    assert receipt["status"] == 1
    assert direct.eth.get_transaction_count(SENDER.address) == signed.nonce + 1


def test_nonce_too_low_means_the_nonce_is_used_and_nothing_reached_the_node(web3, proxy, direct):
    signed = sign_transfer(direct)
    proxy.add_fault(NonceTooLow())
    assert broadcast(web3, signed, attempts=1) == BroadcastOutcome(accepted=False, nonce_used=True)
    assert proxy.count("eth_sendRawTransaction") == 1
    assert direct.eth.get_transaction_count(SENDER.address, "pending") == signed.nonce
    assert anvil_knows_nothing_of(direct, signed.tx_hash)


def anvil_knows_nothing_of(direct, tx_hash: str) -> bool:
    return direct.provider.make_request("eth_getTransactionByHash", [tx_hash])["result"] is None


def test_a_delayed_answer_still_arrives(web3, proxy, direct):
    proxy.add_fault(Delay("eth_blockNumber", 0.3))
    started = time.monotonic()
    assert web3.eth.block_number == direct.eth.block_number
    assert time.monotonic() - started >= 0.3
    assert proxy.count("eth_blockNumber") == 1


def test_stop_releases_a_held_connection_and_joins_its_threads(anvil):
    proxy = FaultyRpcProxy(anvil.url, max_hold_seconds=30).start()
    proxy.add_fault(Timeout(None))
    outcome: list[BaseException | requests.Response] = []

    def patient_client():
        try:
            outcome.append(requests.post(proxy.url, json={"jsonrpc": "2.0", "id": 1, "method": "eth_chainId", "params": []}, timeout=30))
        except requests.RequestException as e:
            outcome.append(e)

    client = threading.Thread(target=patient_client)
    client.start()
    deadline = time.monotonic() + 5
    while proxy.count("eth_chainId") == 0 and time.monotonic() < deadline:
        time.sleep(0.01)  # polling for the request to arrive, not waiting for the fault
    assert proxy.count("eth_chainId") == 1, "the request never reached the proxy"

    started = time.monotonic()
    proxy.stop()
    assert time.monotonic() - started < 2
    client.join(timeout=5)
    assert not client.is_alive()
    assert isinstance(outcome[0], requests.ConnectionError)
    assert not [t for t in threading.enumerate() if t.name.startswith(f"FaultyRpcProxy-{proxy.port}")]
    proxy.stop()  # twice is harmless


# What the executor's chain code should do, and does not (yet).


def test_a_resend_after_a_lost_answer_reports_the_transaction_accepted(web3, proxy, direct):
    signed = sign_transfer(direct)
    proxy.add_fault(DropResponse("eth_sendRawTransaction"))
    outcome = broadcast(web3, signed, attempts=2)
    assert proxy.count("eth_sendRawTransaction") == 2
    assert wait_for_receipt(direct, signed.tx_hash, timeout=5)["status"] == 1
    assert outcome.accepted  # today: BroadcastOutcome(accepted=False, nonce_used=True)


def test_retries_1_retries_a_read_once(proxy, direct):
    web3 = create_web3(proxy.url, timeout=1, retries=1)
    proxy.add_fault(Http502("eth_blockNumber"))
    assert web3.eth.block_number == direct.eth.block_number


def test_retries_0_still_makes_one_attempt(proxy):
    web3 = create_web3(proxy.url, timeout=1, retries=0)
    assert web3.eth.chain_id == ANVIL_CHAIN_ID


def test_a_receipt_without_logs_is_spent_on_a_receipt_not_on_an_answer_of_null(web3, proxy, direct):
    """A client polling before the block is mined gets null; the fault waits for the first real receipt."""
    fault = ReceiptWithoutLogs()
    proxy.add_fault(fault)
    assert web3.provider.make_request("eth_getTransactionReceipt", ["0x" + "ab" * 32])["result"] is None
    assert proxy.faults_left == [(fault, 1)]
    signed = sign_transfer(direct)
    tx_hash = direct.eth.send_raw_transaction(signed.raw)
    direct.eth.wait_for_transaction_receipt(tx_hash, timeout=10)
    receipt = web3.provider.make_request("eth_getTransactionReceipt", [tx_hash.to_0x_hex()])["result"]
    assert receipt["status"] == "0x1" and receipt["logs"] == []
    assert proxy.faults_left == []


def test_a_call_answered_429_is_marked_refused_and_its_retry_is_seen_apart(web3, proxy):
    """A test that counts the calls a client made can leave out the ones the provider refused (they are asked again)."""
    proxy.limits = ProviderLimits(rate_limit_every=2)
    assert web3.eth.block_number >= 0
    assert web3.eth.get_balance(SENDER.address) > 0
    calls = [(c["method"], bool(c.get("refused"))) for c in proxy.requests_seen]
    assert calls.count(("eth_getBalance", False)) == 1 and ("eth_blockNumber", False) in calls
    assert [c for c in calls if c[1]], calls  # every second request was answered 429 and asked again
