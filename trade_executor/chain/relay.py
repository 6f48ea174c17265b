"""Relay a local fork's reads to the real node, and refuse every transaction on the way.

``anvil --fork-url URL`` would put the node's URL (providers put their API key in it) on anvil's
command line, where ``ps`` shows it to anyone on the machine, and into anvil's own messages. The
relay listens on 127.0.0.1; anvil is told only the relay's URL. Each request body goes to the node
as it came and the node's answer comes back as it was, except that a request sending a transaction
(``eth_sendRawTransaction``, ``eth_sendTransaction``) is answered with a JSON-RPC error and never
forwarded: whatever happens on the fork, nothing reaches the real chain through here.
"""

from __future__ import annotations

import json
import logging
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import requests

logger = logging.getLogger(__name__)

SENDING = frozenset({"eth_sendRawTransaction", "eth_sendTransaction"})
CONNECT_ATTEMPTS = 3
REFUSED = {"code": -32601, "message": "a dress rehearsal never sends a transaction to the real node"}


def _methods(body: bytes) -> list[str]:
    try:
        parsed = json.loads(body)
    except ValueError:
        return []
    calls = parsed if isinstance(parsed, list) else [parsed]
    return [call.get("method", "") for call in calls if isinstance(call, dict)]


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # anvil keeps its connection to us open
    server: _Server

    def log_message(self, format: str, *args) -> None:  # noqa: A002 - the base class's name
        pass

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if SENDING & set(_methods(body)):
            self._answer(200, json.dumps({"jsonrpc": "2.0", "id": None, "error": REFUSED}).encode())
            return
        try:
            response = self.server.relay.forward(body)
            self._answer(response.status_code, response.content)
        except requests.RequestException as e:
            self._answer(502, json.dumps({"jsonrpc": "2.0", "id": None, "error": {"code": -32000, "message": f"node unreachable ({type(e).__name__})"}}).encode())

    def _answer(self, status: int, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128  # anvil opens many connections at once while it builds the fork's genesis
    relay: NodeRelay

    def handle_error(self, request, client_address) -> None:
        """anvil going away mid-answer (the fork discarded) is no error; anything else is logged, without the node's URL."""
        error = sys.exc_info()[1]
        if not isinstance(error, ConnectionError):
            logger.warning("The fork's relay failed on a request: %s", type(error).__name__)


class NodeRelay:
    """A relay on 127.0.0.1 (a free port) to ``node_url``; see the module. A context manager."""

    def __init__(self, node_url: str, *, timeout: float = 30.0):
        self.node_url = node_url
        self.timeout = timeout
        self._local = threading.local()
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.relay = self
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="NodeRelay", daemon=True)
        self._thread.start()

    def session(self) -> requests.Session:
        """One keep-alive session per handler thread (a TLS handshake per request would slow a remote fork down)."""
        session = getattr(self._local, "session", None)
        if session is None:
            session = self._local.session = requests.Session()
        return session

    def forward(self, body: bytes) -> requests.Response:
        """The node's answer to ``body``. Only reads pass the relay, so a connection the node dropped
        (a keep-alive it closed, a refused connect) is tried again on a new one, twice at most."""
        attempt = 1
        while True:
            try:
                return self.session().post(self.node_url, data=body, headers={"Content-Type": "application/json"}, timeout=self.timeout)
            except requests.ConnectionError:
                self._local.session = None
                if attempt == CONNECT_ATTEMPTS:
                    raise
                time.sleep(0.1 * attempt)
                attempt += 1

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)

    def __enter__(self) -> NodeRelay:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()
