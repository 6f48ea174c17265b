"""Batched reads wait as a rate-limiting node asks, fall back from refused batches, and name the node redacted."""

from __future__ import annotations

import json

import pytest
import requests

from trade_executor.chain.rpc_calls import RpcCaller
from trade_executor.errors import NodeRateLimited

URL = "https://eth-mainnet.example.com/v2/SECRETKEY1234567890abcdef"


def http_error(status: int, body: object = None, headers: dict | None = None) -> requests.HTTPError:
    response = requests.Response()
    response.status_code = status
    response.headers.update(headers or {})
    response._content = json.dumps(body).encode() if body is not None else b"Too Many Requests"
    return requests.HTTPError(f"{status} error for url: {URL}", response=response)


class ScriptedProvider:
    """A web3 provider stand-in answering from a script: each entry an answer, or an exception to raise."""

    endpoint_uri = URL

    def __init__(self, *script):
        self.script = list(script)
        self.seen: list[list] = []

    def _next(self, calls):
        self.seen.append([method for method, _ in calls])
        step = self.script.pop(0)
        if isinstance(step, Exception):
            raise step
        return step(calls) if callable(step) else step

    def make_request(self, method, params):
        return self._next([(method, params)])

    def make_batch_request(self, calls):
        return self._next(calls)


def ok(calls):
    return [{"jsonrpc": "2.0", "id": i, "result": hex(i)} for i, _ in enumerate(calls)]


CALLS = [("eth_blockNumber", []), ("eth_chainId", []), ("eth_gasPrice", [])]


def test_http_429_waits_the_retry_after_seconds_then_asks_again():
    slept = []
    provider = ScriptedProvider(http_error(429, headers={"Retry-After": "2"}), ok)
    answers = RpcCaller(provider, sleep=slept.append).batch(CALLS)
    assert [a["result"] for a in answers] == ["0x0", "0x1", "0x2"]
    assert slept == [2.0]


def test_retry_after_as_a_date_and_a_5xx_without_it_back_off():
    slept = []
    provider = ScriptedProvider(http_error(503, headers={"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"}), http_error(502), ok)
    RpcCaller(provider, sleep=slept.append).batch(CALLS)
    assert slept == [0.0, 0.5]  # a date in the past: at once; then the second step of the back-off


def test_a_download_rides_out_a_long_run_of_5xx_asking_again_every_few_seconds():
    """Ten 502s in a row (a gateway's outage): the waits double up to 4 s, so the node's return is seen within seconds."""
    slept = []
    provider = ScriptedProvider(*[http_error(502) for _ in range(10)], ok)
    RpcCaller(provider, outage_attempts=None, sleep=slept.append).batch(CALLS)
    assert slept == [0.25, 0.5, 1.0, 2.0, 4.0, 4.0, 4.0, 4.0, 4.0, 4.0]


def test_by_default_a_run_of_5xx_is_raised_after_a_few_tries_for_the_live_loops_outage_handling():
    slept = []
    provider = ScriptedProvider(*[http_error(502) for _ in range(10)], ok)
    with pytest.raises(requests.HTTPError):
        RpcCaller(provider, sleep=slept.append).batch(CALLS)
    assert slept == [0.25, 0.5, 1.0] and len(provider.seen) == 4


def test_only_the_calls_answered_too_many_requests_are_asked_again():
    def one_limited(calls):
        answers = ok(calls)
        answers[1] = {"jsonrpc": "2.0", "id": 1, "error": {"code": -32005, "message": "Your app has exceeded its compute units per second capacity"}}
        return answers

    provider = ScriptedProvider(one_limited, {"jsonrpc": "2.0", "id": 0, "result": "again"})  # the one call left goes alone
    answers = RpcCaller(provider, sleep=lambda s: None).batch(CALLS)
    assert [a["result"] for a in answers] == ["0x0", "again", "0x2"]
    assert provider.seen == [["eth_blockNumber", "eth_chainId", "eth_gasPrice"], ["eth_chainId"]]


def test_a_node_that_never_stops_limiting_is_reported_by_its_redacted_url():
    slept = []
    provider = ScriptedProvider(*[http_error(429, headers={"Retry-After": "30"}) for _ in range(20)])
    with pytest.raises(NodeRateLimited) as raised:
        RpcCaller(provider, wait_budget=100, sleep=slept.append).batch(CALLS)
    assert sum(slept) <= 100
    assert "https://eth-mainnet.example.com" in str(raised.value)
    assert "SECRETKEY" not in str(raised.value)
    assert "run the command again later" in str(raised.value).lower()


def test_a_refused_batch_is_sent_call_by_call_from_then_on():
    refusal = {"jsonrpc": "2.0", "id": None, "error": {"code": -32600, "message": "batch requests are not supported"}}
    singles = [lambda calls, i=i: {"jsonrpc": "2.0", "id": 1, "result": f"single {i}"} for i in range(5)]
    provider = ScriptedProvider(refusal, *singles)
    caller = RpcCaller(provider, sleep=lambda s: None)
    assert [a["result"] for a in caller.batch(CALLS)] == ["single 0", "single 1", "single 2"]
    assert caller.batching is False
    assert [a["result"] for a in caller.batch(CALLS[:2])] == ["single 3", "single 4"]
    assert provider.seen[1:] == [["eth_blockNumber"], ["eth_chainId"], ["eth_gasPrice"], ["eth_blockNumber"], ["eth_chainId"]]


def test_an_http_413_with_a_json_rpc_error_is_the_nodes_answer():
    refusal = {"jsonrpc": "2.0", "id": 56, "error": {"code": -32614, "message": "eth_getLogs is limited to a 10,000 range"}}
    provider = ScriptedProvider(http_error(413, body=refusal))
    [answer] = RpcCaller(provider).batch([("eth_getLogs", [{}])])
    assert answer["error"]["message"] == "eth_getLogs is limited to a 10,000 range"


def test_a_node_that_does_not_answer_at_all_is_given_up_after_a_few_tries():
    provider = ScriptedProvider(*[requests.ConnectionError("refused") for _ in range(10)])
    with pytest.raises(requests.ConnectionError):
        RpcCaller(provider, sleep=lambda s: None).batch(CALLS)
    assert len(provider.seen) == 4
