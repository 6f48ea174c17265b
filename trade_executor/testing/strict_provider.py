"""A hosted node's limits, for FaultyRpcProxy: capped log queries and rate limiting, on every request.

Hosted providers (Alchemy, Infura, QuickNode...) refuse an ``eth_getLogs`` over too many blocks
or with too many logs, and answer HTTP 429 when asked too often. anvil does none of that, so a
download that works on anvil proves nothing; behind the proxy with these limits it meets them::

    proxy.limits = ProviderLimits(max_block_range=2_000, max_results=10_000, rate_limit_every=10)

Unlike the proxy's faults (a queue of one-shot events) these hold for every request until
``proxy.limits = None``. The result cap is real: the query is forwarded and the logs of the
answer counted. The texts default to real providers' (QuickNode's range cap, Infura's result cap)
and can be set to any other.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

Forward = Callable[[bytes], tuple[int, bytes, str]]


@dataclass
class ProviderLimits:
    max_block_range: int | None = 2_000
    max_results: int | None = 10_000
    rate_limit_every: int | None = None  # every Nth HTTP request is answered 429
    retry_after: str | None = "0"  # the Retry-After header of a 429 (None: no header)
    batches: bool = True  # False: a batch is answered with one JSON-RPC error, as nodes without batch support do
    delay_seconds: float = 0.0  # added to every request: a distant node (and a download slow enough to interrupt)
    block_timestamps: bool = False  # logs keep their blockTimestamp (anvil, recent geth and reth give it; many providers do not)
    range_error: tuple[int, str] = (-32614, "eth_getLogs is limited to a {limit:,} range")  # QuickNode
    results_error: tuple[int, str] = (-32005, "query returned more than {limit} results")  # Infura, geth
    http_requests: int = 0
    refused: dict[str, int] = field(default_factory=lambda: {"range": 0, "results": 0, "rate": 0, "batch": 0})
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def rate_limited(self) -> bool:
        """Count an HTTP request; True when this one is to be answered 429."""
        if self.delay_seconds:
            time.sleep(self.delay_seconds)
        with self._lock:
            self.http_requests += 1
            hit = bool(self.rate_limit_every) and self.http_requests % self.rate_limit_every == 0
            if hit:
                self.refused["rate"] += 1
            return hit

    def headers_429(self) -> dict[str, str]:
        return {"Retry-After": self.retry_after} if self.retry_after is not None else {}

    def answer(self, payload: object, body: bytes, forward: Forward) -> tuple[int, bytes, str]:
        """The node's answer with the limits applied; calls within them are forwarded."""
        if isinstance(payload, list):
            if not self.batches and len(payload) > 1:
                self._count("batch")
                return 200, json.dumps({"jsonrpc": "2.0", "id": None, "error": {"code": -32600, "message": "batch requests are not supported"}}).encode(), "application/json"
            if not any(_is_get_logs(call) for call in payload):
                return forward(body)
            answers = [self._one(call, forward) for call in payload if isinstance(call, dict)]
            return 200, json.dumps(answers).encode(), "application/json"
        if _is_get_logs(payload):
            return 200, json.dumps(self._one(payload, forward)).encode(), "application/json"
        return forward(body)

    def _one(self, call: dict, forward: Forward) -> dict:
        if not _is_get_logs(call):
            return _single(forward, call)
        query = (call.get("params") or [{}])[0]
        span = _block(query.get("toBlock")) - _block(query.get("fromBlock")) + 1 if "toBlock" in query and "fromBlock" in query else None
        if self.max_block_range is not None and (span is None or span > self.max_block_range):
            self._count("range")
            return _error(call, self.range_error, self.max_block_range)
        answer = _single(forward, call)
        if self.max_results is not None and len(answer.get("result") or []) > self.max_results:
            self._count("results")
            return _error(call, self.results_error, self.max_results)
        if not self.block_timestamps:
            for log in answer.get("result") or []:
                log.pop("blockTimestamp", None)
        return answer

    def _count(self, kind: str) -> None:
        with self._lock:
            self.refused[kind] += 1


def _is_get_logs(call: object) -> bool:
    return isinstance(call, dict) and call.get("method") == "eth_getLogs"


def _block(value: object) -> int:
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.startswith("0x"):
        return int(value, 16)
    return 1 << 62  # "latest" and the like: an open range, as wide as it gets


def _single(forward: Forward, call: dict) -> dict:
    status, answer, _ = forward(json.dumps(call).encode())
    try:
        decoded = json.loads(answer)
    except ValueError:
        decoded = None
    if status != 200 or not isinstance(decoded, dict):
        return {"jsonrpc": "2.0", "id": call.get("id"), "error": {"code": -32603, "message": f"upstream answered HTTP {status}"}}
    return decoded


def _error(call: dict, error: tuple[int, str], limit: int) -> dict:
    code, text = error
    return {"jsonrpc": "2.0", "id": call.get("id"), "error": {"code": code, "message": text.format(limit=limit)}}
