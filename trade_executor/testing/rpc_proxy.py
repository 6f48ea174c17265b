"""A fault-injecting JSON-RPC proxy, for testing how the executor copes with a bad node.

It sits on 127.0.0.1 between a client and a real node (anvil) and, for the JSON-RPC methods you
name, delays, hangs, answers HTTP 502, loses the answer after the node acted, answers a
JSON-RPC error instead of asking the node, or answers a receipt without its logs::

    with Anvil() as anvil, FaultyRpcProxy(anvil.url) as proxy:
        proxy.add_fault(DropResponse("eth_sendRawTransaction"))
        web3 = create_web3(proxy.url, timeout=1)
        ...

Faults wait in a queue in the order they were added. Each request takes the first queued fault
whose method matches it (``None`` or ``"*"`` matches any method; a batch matches if any call in
it does); a fault is removed once it has applied ``times`` times. Requests no fault matches are
forwarded unchanged, batches included.

Persistent limits, as a hosted provider has them (capped log queries, HTTP 429 rate limiting), are
set with ``proxy.limits = ProviderLimits(...)`` (testing/strict_provider.py); the one-shot faults
above still apply first.

Every answer closes its connection (HTTP/1.0), so no handler thread is left waiting on an idle
keep-alive socket and :meth:`FaultyRpcProxy.stop` can join them all. Standard library plus
``requests`` only.
"""

from __future__ import annotations

import json
import select
import socket
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import requests

from trade_executor.testing.strict_provider import ProviderLimits

__all__ = ["Delay", "DropResponse", "Fault", "FaultyRpcProxy", "Http502", "JsonRpcError", "NonceTooLow", "ProviderLimits", "ReceiptWithoutLogs", "Timeout"]

ANY_METHOD = "*"


class Fault:
    """Base of the faults; subclasses are dataclasses with at least ``method`` and ``times``."""

    method: str | None
    times: int

    def matches(self, methods: list[str | None]) -> bool:
        if self.method is None or self.method == ANY_METHOD:
            return True
        return self.method in methods


@dataclass
class Delay(Fault):
    """Forward the request after ``seconds``."""

    method: str | None
    seconds: float
    times: int = 1


@dataclass
class Timeout(Fault):
    """Never answer: hold the connection until the client gives up (or ``max_seconds``, or the proxy stops).

    The request is not forwarded. ``max_seconds=None`` uses the proxy's ``max_hold_seconds``.
    """

    method: str | None
    times: int = 1
    max_seconds: float | None = None


@dataclass
class Http502(Fault):
    """Answer HTTP 502 Bad Gateway without forwarding."""

    method: str | None
    times: int = 1


@dataclass
class DropResponse(Fault):
    """Forward the request (the node acts on it), then close the socket without answering."""

    method: str | None = "eth_sendRawTransaction"
    times: int = 1


@dataclass
class JsonRpcError(Fault):
    """Answer a JSON-RPC error without forwarding (in a batch: only the matching calls; the rest go on)."""

    method: str | None
    code: int = -32000
    message: str = "error"
    times: int = 1


@dataclass
class NonceTooLow(JsonRpcError):
    """What a node answers for a transaction whose nonce is already used; nothing is forwarded."""

    method: str | None = "eth_sendRawTransaction"
    code: int = -32000
    message: str = "nonce too low"
    times: int = 1


@dataclass
class ReceiptWithoutLogs(Fault):
    """Forward the request, then answer its receipt(s) with ``logs`` empty: a node that lost a receipt's logs
    (status, block and gas are right), so the fill cannot be read from it. ``times`` counts receipts: an answer of
    ``null`` (not mined yet) goes through untouched and does not use the fault up."""

    method: str | None = "eth_getTransactionReceipt"
    times: int = 1


def _without_logs(answer: bytes) -> bytes | None:
    """The answer with its receipts' logs emptied; None when it holds no receipt."""
    try:
        data = json.loads(answer)
    except ValueError:
        return None
    receipts = [item["result"] for item in (data if isinstance(data, list) else [data])
                if isinstance(item, dict) and isinstance(item.get("result"), dict) and "logs" in item["result"]]
    for receipt in receipts:
        receipt["logs"] = []
    return json.dumps(data).encode() if receipts else None


class _Server(ThreadingHTTPServer):
    request_queue_size = 128  # a client opening many connections at once (anvil forking through us) is not refused
    daemon_threads = True  # never keep the interpreter alive...
    block_on_close = True  # ...but server_close() still joins every handler thread
    allow_reuse_address = False
    proxy: FaultyRpcProxy


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.0"  # one request per connection: nothing idles in keep-alive at stop()
    timeout = 10  # a client that connects and sends nothing cannot pin a handler thread

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
        pass

    def do_POST(self) -> None:
        threading.current_thread().name = f"FaultyRpcProxy-{self.server.server_address[1]}-handler"
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        self.server.proxy._handle(self, body)

    def do_GET(self) -> None:
        self.send_answer(405, b"JSON-RPC needs POST", "text/plain")

    def send_answer(self, status: int, body: bytes, content_type: str = "application/json", headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def drop(self) -> None:
        """Close the connection without a byte of answer."""
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def client_gone(self) -> bool:
        """True once the client closed its end (it gave up waiting)."""
        try:
            readable, _, _ = select.select([self.connection], [], [], 0)
            if not readable:
                return False
            return self.connection.recv(1, socket.MSG_PEEK) == b""
        except OSError:
            return True


class FaultyRpcProxy:
    """A JSON-RPC proxy on 127.0.0.1 (free port) that injects faults; see the module docstring."""

    def __init__(self, upstream_url: str, *, max_hold_seconds: float = 30.0, upstream_timeout: float = 30.0):
        self.upstream_url = upstream_url
        self.max_hold_seconds = max_hold_seconds
        self.upstream_timeout = upstream_timeout
        self._lock = threading.Lock()
        self._faults: list[list[Any]] = []  # [fault, applications left]
        self._seen: list[dict] = []
        self.http_requests = 0  # HTTP requests (a JSON-RPC batch is one): what a provider counts and rate-limits
        self._stopping = threading.Event()
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.proxy = self
        self.port: int = self._server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._thread: threading.Thread | None = None
        self._closed = False
        self.limits: ProviderLimits | None = None  # a hosted provider's limits on every request (see the module docstring)

    # Life cycle

    def start(self) -> FaultyRpcProxy:
        if self._closed:
            raise RuntimeError("This FaultyRpcProxy was stopped; create a new one.")
        if self._thread is None:
            self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name=f"FaultyRpcProxy-{self.port}", daemon=True)
            self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, release held connections and join every thread. Safe to call twice."""
        if self._closed:
            return
        self._closed = True
        self._stopping.set()  # held (Timeout) and delayed requests return at once
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join()
        self._server.server_close()  # joins the handler threads

    def __enter__(self) -> FaultyRpcProxy:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # Faults and records

    def add_fault(self, fault: Fault) -> None:
        if fault.times < 1:
            raise ValueError(f"{fault!r}: times must be at least 1.")
        with self._lock:
            self._faults.append([fault, fault.times])

    def clear(self) -> None:
        """Forget the queued faults and the requests seen."""
        with self._lock:
            self._faults.clear()
            self._seen.clear()
            self.http_requests = 0

    @property
    def faults_left(self) -> list[tuple[Fault, int]]:
        with self._lock:
            return [(fault, left) for fault, left in self._faults]

    @property
    def requests_seen(self) -> list[dict]:
        """A copy of every JSON-RPC call seen, in arrival order (a batch's calls one by one); a call the rate limit
        answered 429 has ``"refused": True``."""
        with self._lock:
            return list(self._seen)

    def count(self, method: str) -> int:
        with self._lock:
            return sum(1 for call in self._seen if call.get("method") == method)

    # Request handling (handler threads)

    def _take_fault(self, methods: list[str | None]) -> Fault | None:
        with self._lock:
            for entry in self._faults:
                fault, _ = entry
                if fault.matches(methods):
                    entry[1] -= 1
                    if entry[1] <= 0:
                        self._faults.remove(entry)
                    return fault
        return None

    def _handle(self, handler: _Handler, body: bytes) -> None:
        try:
            payload = json.loads(body)
        except ValueError:
            payload = None
        if isinstance(payload, list):
            calls = [c for c in payload if isinstance(c, dict)]
        else:
            calls = [payload] if isinstance(payload, dict) else []
        seen = [{"method": c.get("method"), "params": c.get("params"), "id": c.get("id")} for c in calls] or [{"method": None, "params": None, "id": None}]
        with self._lock:
            self.http_requests += 1
            self._seen.extend(seen)
        limits = self.limits
        if limits is not None and limits.rate_limited():
            with self._lock:
                for call in seen:
                    call["refused"] = True  # answered 429: the client asks again, and that is seen as another call
            return handler.send_answer(429, b'{"jsonrpc":"2.0","id":null,"error":{"code":429,"message":"Too Many Requests"}}', headers=limits.headers_429())
        fault = self._take_fault([c.get("method") for c in calls])

        if isinstance(fault, Delay):
            if self._stopping.wait(fault.seconds):
                return handler.drop()
        elif isinstance(fault, Timeout):
            return self._hold(handler, fault.max_seconds if fault.max_seconds is not None else self.max_hold_seconds)
        elif isinstance(fault, Http502):
            return handler.send_answer(502, b"Bad Gateway", "text/plain")
        elif isinstance(fault, JsonRpcError):
            return self._answer_error(handler, fault, payload, body)

        if limits is not None:
            status, answer, content_type = limits.answer(payload, body, self._forward)
        else:
            status, answer, content_type = self._forward(body)
        self._send(handler, fault, status, answer, content_type)

    def _send(self, handler: _Handler, fault: Fault | None, status: int, answer: bytes, content_type: str) -> None:
        """The node's answer as the fault leaves it: lost after the node acted, or a receipt without its logs."""
        if isinstance(fault, DropResponse):
            return handler.drop()
        if isinstance(fault, ReceiptWithoutLogs):
            stripped = _without_logs(answer)
            if stripped is None:
                self._give_back(fault)
            answer = stripped or answer
        handler.send_answer(status, answer, content_type)

    def _give_back(self, fault: Fault) -> None:
        """Undo one use of ``fault`` (it had nothing to act on)."""
        with self._lock:
            for entry in self._faults:
                if entry[0] is fault:
                    entry[1] += 1
                    return
            self._faults.insert(0, [fault, 1])

    def _forward(self, body: bytes) -> tuple[int, bytes, str]:
        try:
            response = requests.post(self.upstream_url, data=body, headers={"Content-Type": "application/json"}, timeout=self.upstream_timeout)
        except requests.RequestException as e:
            return 502, f"Upstream unreachable: {type(e).__name__}".encode(), "text/plain"
        return response.status_code, response.content, response.headers.get("Content-Type", "application/json")

    def _hold(self, handler: _Handler, max_seconds: float) -> None:
        """Answer nothing until the client leaves, the proxy stops or ``max_seconds`` pass."""
        waited = 0.0
        while waited < max_seconds and not handler.client_gone():
            if self._stopping.wait(0.05):
                break
            waited += 0.05
        handler.drop()

    def _answer_error(self, handler: _Handler, fault: JsonRpcError, payload: Any, body: bytes) -> None:
        def error(call: dict) -> dict:
            return {"jsonrpc": "2.0", "id": call.get("id"), "error": {"code": fault.code, "message": fault.message}}

        if not isinstance(payload, list):
            return handler.send_answer(200, json.dumps(error(payload if isinstance(payload, dict) else {})).encode())
        hit = [c for c in payload if isinstance(c, dict) and fault.matches([c.get("method")])]
        answers = {id(c): error(c) for c in hit}
        rest = [c for c in payload if isinstance(c, dict) and id(c) not in answers]
        if rest:
            status, answer, content_type = self._forward(json.dumps(rest).encode())
            try:
                forwarded = json.loads(answer)
            except ValueError:
                forwarded = None
            if status != 200 or not isinstance(forwarded, list):
                return handler.send_answer(status, answer, content_type)
            by_id = {r.get("id"): r for r in forwarded if isinstance(r, dict)}
            answers.update({id(c): by_id.get(c.get("id")) for c in rest})
        handler.send_answer(200, json.dumps([answers[id(c)] for c in payload if answers.get(id(c)) is not None]).encode())
