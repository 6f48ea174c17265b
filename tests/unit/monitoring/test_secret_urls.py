"""Node URLs' keys are masked in every form text shows them: urllib3's path-only messages, encoded, decoded, any handler."""

from __future__ import annotations

import io
import logging
import subprocess
import sys

from trade_executor import secrets

KEY = "k3Y+s3cr3T/0123456789abcDEF=="
ENCODED = "k3Y%2Bs3cr3T%2F0123456789abcDEF%3D%3D"


def test_a_path_key_is_masked_in_urllib3_messages_and_the_url_keeps_its_host():
    secrets.register_url(f"http://127.0.0.1:8545/v3/{ENCODED}")
    urllib3 = f"HTTPConnectionPool(host='127.0.0.1', port=8545): Max retries exceeded with url: /v3/{ENCODED} (Caused by ...)"
    assert secrets.mask(urllib3) == "HTTPConnectionPool(host='127.0.0.1', port=8545): Max retries exceeded with url: *** (Caused by ...)"
    assert secrets.mask(f'http://127.0.0.1:8545 "POST /v3/{ENCODED} HTTP/1.1" 200') == 'http://127.0.0.1:8545 "POST *** HTTP/1.1" 200'
    assert secrets.mask(f"URI: http://127.0.0.1:8545/v3/{ENCODED}, Method: eth_chainId") == "URI: http://127.0.0.1:8545/***, Method: eth_chainId"
    for form in (KEY, ENCODED, ENCODED.lower(), "/v3/" + KEY):
        assert KEY.lower() not in secrets.mask(f"x {form} y").lower() and ENCODED.lower() not in secrets.mask(f"x {form} y").lower(), form


def test_query_and_user_parts_are_masked_but_ordinary_words_of_the_url_are_not():
    secrets.register_url(f"https://mainnet.example/rpc?network=mainnet&apikey={ENCODED}")
    secrets.register_url("https://operator:Passw0rd-4321@node.example")
    text = f"GET /rpc?network=mainnet&apikey={ENCODED}; apikey={KEY}; auth operator:Passw0rd-4321 and Passw0rd-4321"
    assert secrets.mask(text) == "GET /rpc?***; ***; auth *** and ***"
    assert secrets.mask("JSON_RPC_ETHEREUM on mainnet via /rpc") == "JSON_RPC_ETHEREUM on mainnet via /rpc"


def test_records_are_masked_before_any_handler_even_one_without_our_filter():
    secrets.install_masking()
    secrets.register_url(f"http://127.0.0.1:8545/v3/{ENCODED}")
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)  # a library's handler: no SecretMaskingFilter
    logger = logging.getLogger("test_secret_urls")
    logger.addHandler(handler)
    try:
        try:
            raise ConnectionError(f"Max retries exceeded with url: /v3/{ENCODED}")
        except ConnectionError:
            logger.error("node %s failed", f"http://127.0.0.1:8545/v3/{ENCODED}", exc_info=True)
    finally:
        logger.removeHandler(handler)
    written = stream.getvalue()
    assert "node http://127.0.0.1:8545/*** failed" in written and "url: ***" in written
    assert ENCODED.lower() not in written.lower()


def test_an_exception_no_one_caught_is_printed_masked():
    """In a process of its own: Python prints an uncaught exception (in a thread, then the main thread) through the hooks."""
    program = f"""
import threading
from trade_executor import secrets
secrets.install_masking()
secrets.register_url("http://127.0.0.1:8545/v3/{ENCODED}")
def fail():
    raise ConnectionError("url: /v3/{ENCODED}")
thread = threading.Thread(target=fail, name="worker")
thread.start()
thread.join()
fail()
"""
    run = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, timeout=60)
    assert run.returncode == 1
    assert "Exception in thread worker" in run.stderr and run.stderr.count("url: ***") == 2, run.stderr
    assert ENCODED.lower() not in run.stderr.lower()
