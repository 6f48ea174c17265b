"""The pieces of the pre-broadcast check and of the fork's relay that need no chain."""

import json

import requests
from web3 import Web3
from web3.exceptions import ContractLogicError

from trade_executor.chain.precheck import call_fields, revert_message
from trade_executor.chain.relay import NodeRelay
from trade_executor.chain.wallet import HotWallet, NonceManager

KEY = "0x" + "33" * 32
ROUTER = "0x" + "ab" * 20
DATA = "0x38ed1739" + "00" * 32


def test_the_call_of_signed_bytes_is_the_transaction_itself_typed_or_legacy():
    wallet = HotWallet(KEY)
    common = {"to": Web3.to_checksum_address(ROUTER), "data": DATA, "value": 7, "gas": 250_000, "nonce": 4, "chainId": 31337}
    for fees in ({"maxFeePerGas": 10**10, "maxPriorityFeePerGas": 10**9}, {"gasPrice": 10**10}):
        signed = wallet.sign({**common, **fees})
        assert call_fields(signed.raw) == {"from": wallet.address, "to": common["to"], "data": DATA, "value": 7, "gas": 250_000}


def test_a_revert_message_is_the_contract_s_own_words():
    error = ContractLogicError("execution reverted: UniswapV2Router: INSUFFICIENT_OUTPUT_AMOUNT", "0x08c379a0")
    assert revert_message(error) == "UniswapV2Router: INSUFFICIENT_OUTPUT_AMOUNT"
    assert revert_message(ContractLogicError("execution reverted")) == "reverted without a reason"


class _Chain:
    """A NonceManager's view of the chain: a fixed pending count."""

    class eth:  # noqa: N801 - web3's attribute name
        @staticmethod
        def get_transaction_count(address, block):
            return 5


def test_only_the_last_nonce_handed_out_is_handed_out_again():
    nonces = NonceManager(_Chain(), "0x0")
    first, second = nonces.allocate(), nonces.allocate()
    assert (first, second) == (5, 6)
    assert not nonces.release(first)  # a later one is out: the gap must be filled on chain instead
    assert nonces.release(second) and nonces.allocate() == 6


def test_the_relay_refuses_transactions_and_never_names_the_node():
    with NodeRelay("http://127.0.0.1:9/v3/SECRETKEY", timeout=2) as relay:  # nothing listens on the discard port
        for method in ("eth_sendRawTransaction", "eth_sendTransaction"):
            answer = requests.post(relay.url, json={"jsonrpc": "2.0", "id": 1, "method": method, "params": ["0x00"]}, timeout=5)
            assert "never sends a transaction" in answer.json()["error"]["message"]
        batch = [{"jsonrpc": "2.0", "id": 1, "method": "eth_chainId", "params": []}, {"jsonrpc": "2.0", "id": 2, "method": "eth_sendRawTransaction", "params": ["0x00"]}]
        assert "error" in requests.post(relay.url, json=batch, timeout=5).json()  # a batch carrying a send is refused whole
        unreachable = requests.post(relay.url, json={"jsonrpc": "2.0", "id": 1, "method": "eth_chainId", "params": []}, timeout=5)
        assert unreachable.status_code == 502 and "SECRETKEY" not in unreachable.text
        assert json.loads(unreachable.text)["error"]["message"].startswith("node unreachable")


def test_a_read_whose_connection_the_node_dropped_is_asked_again_on_a_new_one():
    """Seen under load: one dropped connection while anvil built the fork's genesis stopped the whole rehearsal."""
    from trade_executor.devnet.anvil import Anvil
    from trade_executor.testing.rpc_proxy import DropResponse, FaultyRpcProxy

    with Anvil() as node, FaultyRpcProxy(node.url) as proxy, NodeRelay(proxy.url + "/v3/SECRETKEY", timeout=5) as relay:
        proxy.add_fault(DropResponse("eth_chainId", times=2))
        answer = requests.post(relay.url, json={"jsonrpc": "2.0", "id": 1, "method": "eth_chainId", "params": []}, timeout=10)
        assert answer.status_code == 200 and answer.json()["result"] == "0x7a69"
        assert proxy.count("eth_chainId") == 3  # two dropped, the third answered
