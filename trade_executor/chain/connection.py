"""A JSON-RPC connection with timeouts, and retries only where a retry is harmless.

Reads are retried on transient failures (connection refused, HTTP 5xx, timeouts).
``eth_sendRawTransaction`` is never retried here: the broadcaster decides, because an answer
lost on the way back may mean the node did accept the transaction.
"""

from __future__ import annotations

import requests
from web3 import HTTPProvider, Web3
from web3.providers.rpc.utils import REQUEST_RETRY_ALLOWLIST, ExceptionRetryConfiguration

from trade_executor.errors import ConfigurationError

SAFE_TO_RETRY = [method for method in REQUEST_RETRY_ALLOWLIST if method != "eth_sendRawTransaction"]
TRANSIENT_ERRORS = (requests.ConnectionError, requests.HTTPError, requests.Timeout)


def create_web3(url: str, *, timeout: float = 10.0, retries: int = 3) -> Web3:
    if not url.startswith(("http://", "https://")):
        raise ConfigurationError(f"JSON-RPC URL {redact_url(url)!r} is not an http(s):// URL.")
    session = None
    if _is_loopback(url):
        # requests reads the proxy variables from the environment on every call (a third of a local
        # round trip); a node on this machine is never behind a proxy.
        session = requests.Session()
        session.trust_env = False
    provider = HTTPProvider(
        url,
        request_kwargs={"timeout": timeout},
        session=session,
        exception_retry_configuration=ExceptionRetryConfiguration(
            errors=TRANSIENT_ERRORS, retries=retries + 1, backoff_factor=0.1, method_allowlist=SAFE_TO_RETRY  # web3 counts attempts
        ),
    )
    # The chain id never changes under a connection, and web3 asks for it for every transaction.
    provider.cache_allowed_requests = True
    provider.cacheable_requests = {"eth_chainId", "net_version"}
    return Web3(provider)


def _is_loopback(url: str) -> bool:
    host = url.split("://", 1)[-1].split("/", 1)[0].rsplit(":", 1)[0].strip("[]")
    return host in ("127.0.0.1", "localhost", "::1") or host.startswith("127.")


def check_chain_id(web3: Web3, expected: int) -> int:
    """Refuse to trade on the wrong chain: the strategy declares which one it is for."""
    actual = web3.eth.chain_id
    if actual != expected:
        raise ConfigurationError(f"The JSON-RPC node is on chain {actual}, but the strategy trades on chain {expected}. Point the JSON-RPC URL at the right chain.")
    return actual


def redact_url(url: str) -> str:
    """Node URLs often carry an API key in the path or query: show scheme and host only."""
    if "://" not in url:
        return "<invalid url>"
    scheme, rest = url.split("://", 1)
    host = rest.split("/", 1)[0].split("?", 1)[0]
    if "@" in host:
        host = "***@" + host.split("@", 1)[1]
    return f"{scheme}://{host}/..." if rest != host else f"{scheme}://{host}"
