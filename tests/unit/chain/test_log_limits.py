"""Providers' eth_getLogs refusals, in their own words, are understood; other errors are not mistaken for them."""

from __future__ import annotations

import pytest

from trade_executor.chain.log_limits import LimitKind, classify_log_error

RANGE, RESULTS = LimitKind.RANGE, LimitKind.RESULTS

# (error object as the provider answered it, kind, the span to use next or None, provider). Texts as users reported them.
REFUSALS = [
    (
        {"code": -32602, "message": "Log response size exceeded. You can make eth_getLogs requests with up to a 2K block range and no limit on the response size, "
         "or you can request any block range with a cap of 10K logs in the response. Based on your parameters and the response size limit, "
         "this block range should work: [0x0, 0x87fe9]"},
        RESULTS, 0x87FE9 + 1, "Alchemy",
    ),
    ({"code": -32602, "message": "Log response size exceeded. Please reduce query block range."}, RESULTS, None, "Alchemy"),
    (
        {"code": -32600, "message": "You can make eth_getLogs requests with up to a 500 block range. Based on your parameters, this block range should work: [0x123c9b2, 0x123cba5]"},
        RANGE, 500, "Alchemy",
    ),
    ({"code": -32005, "message": "query returned more than 10000 results"}, RESULTS, None, "Infura/geth"),
    ({"code": -32602, "message": "Query returned more than 10000 results. Try with this block range [0x0, 0x30f]."}, RESULTS, 0x310, "Infura/geth"),
    ({"code": -32602, "message": "range 1000000 exceeds limit of 10000"}, RANGE, 10_000, "Infura"),
    ({"code": -32614, "message": "eth_getLogs is limited to a 10,000 range"}, RANGE, 10_000, "QuickNode"),
    ({"code": -32600, "message": "block range is too wide"}, RANGE, None, "Ankr"),
    ({"code": -32000, "message": "block range is too wide (maximum 1024)"}, RANGE, 1024, "Ankr"),
    ({"code": -32602, "message": "Missing or invalid parameters.", "data": "maximum [from, to] blocks distance: 10000"}, RANGE, 10_000, "Ankr"),
    ({"code": -32602, "message": "query block range exceeds server limit, narrow your filter: 1000"}, RANGE, 1000, "Erigon"),
    ({"code": -32000, "message": "query returns too many logs, narrow your filter: 20000"}, RESULTS, None, "Erigon"),
    ({"code": -32000, "message": "limit exceeded"}, RANGE, None, "Erigon"),
    ({"code": -32602, "message": "query exceeds max block range 100000"}, RANGE, 100_000, "reth"),
    ({"code": -32602, "message": "query exceeds max results 20000, retry with the range 25766988-25775072"}, RESULTS, 25775072 - 25766988 + 1, "reth"),
    ({"code": -32000, "message": "exceed maximum block range: 5000"}, RANGE, 5000, "BNB Chain"),
    ({"code": -32602, "message": "invalid params", "data": {"error_id": "4ed9", "payload": "range 9009594 is bigger than range limit 2000"}}, RANGE, 2000, "Tenderly"),
    ({"code": -32000, "message": "Block range limit exceeded."}, RANGE, None, "Chainstack"),
    ({"code": -32000, "message": "block range too large"}, RANGE, None, "OP Stack"),
    ({"code": -32008, "message": "Response is too big", "data": "Exceeded max limit of 10485760"}, RESULTS, None, "zkSync"),
    ({"code": -32000, "message": "logs matched by query exceeds limit of 10000"}, RESULTS, None, "Arbitrum"),
    ({"code": -32701, "message": "maximum block range: 50,000"}, RANGE, 50_000, "PublicNode"),
]  # fmt: skip


@pytest.mark.parametrize(("error", "kind", "span", "provider"), REFUSALS, ids=[f"{r[3]}-{i}" for i, r in enumerate(REFUSALS)])
def test_a_provider_refusal_is_read_with_its_kind_and_span(error, kind, span, provider):
    limit = classify_log_error(error)
    assert limit is not None
    assert (limit.kind, limit.span, limit.provider) == (kind, span, provider)


@pytest.mark.parametrize(
    "error",
    [
        {"code": -32602, "message": "block range extends beyond current head block"},  # anvil: asking for the future, not a size limit
        {"code": -32000, "message": "execution reverted"},
        {"code": 429, "message": "Too Many Requests"},  # a rate limit is waited out, not halved
        {"code": -32005, "message": "Your app has exceeded its compute units per second capacity."},
        {"code": -32602, "message": "invalid argument 0: hex string without 0x prefix"},
        {"code": -32000, "message": "header not found"},
    ],
)
def test_other_errors_are_not_taken_for_a_limit(error):
    assert classify_log_error(error) is None


@pytest.mark.parametrize(
    ("message", "results"),
    [
        ("query returned more than 10000 results", 10_000),
        ("query returns too many logs, narrow your filter: 20000", 20_000),
        ("query exceeds max results 20000, retry with the range 1-2", 20_000),
        ("logs matched by query exceeds limit of 10000", 10_000),
        ("Log response size exceeded. Please reduce query block range.", None),
    ],
)
def test_a_result_cap_the_text_names_is_read(message, results):
    assert classify_log_error(message).results == results


def test_the_texts_of_the_strict_provider_proxy_are_recognised():
    from trade_executor.testing.strict_provider import ProviderLimits

    limits = ProviderLimits()
    assert classify_log_error(limits.range_error[1].format(limit=2000)).span == 2000
    assert classify_log_error(limits.results_error[1].format(limit=10_000)).kind is RESULTS
