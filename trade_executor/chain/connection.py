"""A JSON-RPC connection with timeouts, retries only where a retry is harmless, and fallback nodes.

Reads are retried on transient failures (connection refused, HTTP 5xx, timeouts).
``eth_sendRawTransaction`` is never retried here: the broadcaster decides, because an answer
lost on the way back may mean the node did accept the transaction.

A URL value may list several nodes separated by spaces (``JSON_RPC_ETHEREUM="https://a https://b"``):
a node that does not answer, or answers with an HTTP error, hands the request to the next one.
Any JSON-RPC answer (a result or an error) is final and never asked of another node.

``eth_sendRawTransaction`` follows the same rule, once through the list and without the retry
rounds: when the first node gave no JSON-RPC answer (refused, dropped the connection, timed out,
HTTP 5xx) the same signed bytes go to the next node. That node may be the second to receive a
transaction the first one did accept; sending identical bytes twice is harmless (same hash and
nonce, so at most one is mined, and a node that already has it answers "already known", which the
broadcaster counts as accepted). A node that answered, accepting or refusing, is never second-guessed.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

import requests
from web3 import HTTPProvider, Web3
from web3._utils.caching import handle_request_caching
from web3.providers.base import JSONBaseProvider
from web3.providers.rpc.utils import REQUEST_RETRY_ALLOWLIST, ExceptionRetryConfiguration

from trade_executor.errors import ConfigurationError
from trade_executor.secrets import redact_url, register_url

logger = logging.getLogger(__name__)

SAFE_TO_RETRY = [method for method in REQUEST_RETRY_ALLOWLIST if method != "eth_sendRawTransaction"]
TRANSIENT_ERRORS = (requests.ConnectionError, requests.HTTPError, requests.Timeout)
BACKOFF_SECONDS = 0.1
# After a fallback, requests stay on the node that answered; the first node is tried again after this.
PRIMARY_RETRY_SECONDS = 60.0


def create_web3(url: str, *, timeout: float = 10.0, retries: int = 3) -> Web3:
    """A Web3 for one node URL, or for several separated by spaces (tried in order, see the module)."""
    urls = url.split()
    if not urls:
        raise ConfigurationError("No JSON-RPC URL given. Set JSON_RPC_<CHAIN> (or --json-rpc-url) to the node's http(s):// URL.")
    for each in urls:
        register_url(each)  # a key in the path, query or user part: masked in logs and errors from now on
        if not each.startswith(("http://", "https://")):
            raise ConfigurationError(f"JSON-RPC URL {redact_url(each)!r} is not an http(s):// URL.")
    if len(urls) == 1:
        provider = _http_provider(urls[0], timeout, retries=retries)
    else:
        provider = FallbackProvider([_http_provider(each, timeout, retries=None) for each in urls], retries=retries)
    # The chain id never changes under a connection, and web3 asks for it for every transaction.
    provider.cache_allowed_requests = True
    provider.cacheable_requests = {"eth_chainId", "net_version"}
    return Web3(provider)


def _http_provider(url: str, timeout: float, *, retries: int | None) -> HTTPProvider:
    session = None
    if _is_loopback(url):
        # requests reads the proxy variables from the environment on every call (a third of a local
        # round trip); a node on this machine is never behind a proxy.
        session = requests.Session()
        session.trust_env = False
    retry = None
    if retries is not None:
        retry = ExceptionRetryConfiguration(
            errors=TRANSIENT_ERRORS, retries=retries + 1, backoff_factor=BACKOFF_SECONDS, method_allowlist=SAFE_TO_RETRY  # web3 counts attempts
        )
    return HTTPProvider(url, request_kwargs={"timeout": timeout}, session=session, exception_retry_configuration=retry)


class FallbackProvider(JSONBaseProvider):
    """Several HTTP nodes in order of preference; a transport failure moves the request to the next."""

    def __init__(self, nodes: list[HTTPProvider], *, retries: int = 3, primary_retry_seconds: float = PRIMARY_RETRY_SECONDS):
        super().__init__()
        self.nodes = nodes
        self.retries = retries
        self.primary_retry_seconds = primary_retry_seconds
        self.endpoint_uri = nodes[0].endpoint_uri  # what callers that show "the" node read
        self._lock = threading.Lock()
        self._current = 0
        self._since = 0.0

    def __str__(self) -> str:
        return "JSON-RPC nodes " + " ".join(redact_url(str(node.endpoint_uri)) for node in self.nodes)

    @handle_request_caching
    def make_request(self, method, params: Any):
        return self._ask(lambda node: node.make_request(method, params), [method])

    def make_batch_request(self, batch_requests):
        return self._ask(lambda node: node.make_batch_request(batch_requests), [method for method, _ in batch_requests])

    def _ask(self, call, methods: list[str]):
        rounds = self.retries + 1 if all(m in SAFE_TO_RETRY for m in methods) else 1
        failures: list[str] = []
        last: Exception | None = None
        for attempt in range(rounds):
            if attempt:
                time.sleep(BACKOFF_SECONDS * 2 ** (attempt - 1))
            for index in self._order():
                node = self.nodes[index]
                try:
                    answer = call(node)
                except TRANSIENT_ERRORS as e:
                    failures.append(f"{redact_url(str(node.endpoint_uri))} ({_reason(e)})")
                    logger.warning("JSON-RPC node %s gave no answer to %s (%s); trying the next node", redact_url(str(node.endpoint_uri)), methods[0], _reason(e))
                    last = e
                    continue
                self._answered(index)
                return answer
        raise _sanitised(last, f"No JSON-RPC node answered {methods[0]}: {', '.join(dict.fromkeys(failures))}")  # each node once, however many rounds

    def _order(self) -> list[int]:
        with self._lock:
            if self._current and time.monotonic() - self._since >= self.primary_retry_seconds:
                self._current = 0
            start = self._current
        return [(start + offset) % len(self.nodes) for offset in range(len(self.nodes))]

    def _answered(self, index: int) -> None:
        with self._lock:
            if index != self._current:
                logger.warning("Using JSON-RPC node %s from now on", redact_url(str(self.nodes[index].endpoint_uri)))
                self._current, self._since = index, time.monotonic()


def _reason(error: Exception) -> str:
    if isinstance(error, requests.HTTPError) and error.response is not None:
        return f"HTTP {error.response.status_code}"
    return type(error).__name__


def _sanitised(error: Exception, message: str) -> Exception:
    """The same kind of error (callers catch requests' types), without the URLs requests puts in its text."""
    if isinstance(error, requests.HTTPError):
        return requests.HTTPError(message, response=error.response)
    return type(error)(message)


def node_failure_message(error: BaseException) -> str | None:
    """One line for an error that means the node did not answer usefully, naming it redacted; None for other errors.

    Without it an operator whose devnet is not running reads a 145-line traceback that ends in
    urllib3's "Max retries exceeded with url: /v3/KEY" (the API key included).
    """
    seen = 0
    while error is not None and seen < 10:
        if isinstance(error, (requests.ConnectionError, requests.Timeout, requests.HTTPError)):
            return _describe_failure(error)
        error, seen = error.__cause__ or error.__context__, seen + 1
    return None


def _describe_failure(error: requests.RequestException) -> str:
    request = getattr(error, "request", None)
    node = redact_url(str(request.url)) if request is not None and request.url else None
    if node is None:  # FallbackProvider's error lists each node (redacted) and why it failed
        return f"{error}: is the node running? Check the JSON-RPC URL (JSON_RPC_<CHAIN> or --json-rpc-url)."
    response = error.response if isinstance(error, requests.HTTPError) else None
    if response is not None and response.status_code < 500 and response.status_code != 429:
        return (
            f"The JSON-RPC node {node} answered HTTP {response.status_code} {response.reason or ''}".rstrip()
            + ": is the URL right? Check its path and API key (JSON_RPC_<CHAIN> or --json-rpc-url)."
        )
    if response is not None:
        why = f"HTTP {response.status_code}"
    elif isinstance(error, requests.Timeout):
        why = "no answer in time"
    elif "Name or service not known" in str(error) or "NameResolutionError" in str(error):
        why = "host name not found"
    elif "refused" in str(error).lower():
        why = "connection refused"
    else:
        why = type(error).__name__
    return f"No answer from the JSON-RPC node {node} ({why}): is the node running? Check the JSON-RPC URL (JSON_RPC_<CHAIN> or --json-rpc-url)."


def _is_loopback(url: str) -> bool:
    host = url.split("://", 1)[-1].split("/", 1)[0].rsplit(":", 1)[0].strip("[]")
    return host in ("127.0.0.1", "localhost", "::1") or host.startswith("127.")


def check_chain_id(web3: Web3, expected: int) -> int:
    """Refuse to trade on the wrong chain: the strategy declares which one it is for."""
    actual = web3.eth.chain_id
    if actual != expected:
        raise ConfigurationError(f"The JSON-RPC node is on chain {actual}, but the strategy trades on chain {expected}. Point the JSON-RPC URL at the right chain.")
    return actual

