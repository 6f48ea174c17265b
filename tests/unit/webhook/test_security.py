"""Who may read the webhook, from where, and that no answer ever carries a secret."""

from __future__ import annotations

import logging
import socket

import httpx
import pytest
from typer.testing import CliRunner

from trade_executor import secrets
from trade_executor.errors import ConfigurationError
from trade_executor.webhook import WebhookConfig, WebhookServer, create_app
from trade_executor.webhook import auth as auth_module

from .conftest import make_state, run_through_cycle

USER, PASSWORD = "operator", "correct horse battery"
PROTECTED = ["/", "/status", "/metadata", "/portfolio", "/state", "/logs", "/source", "/visualisation", "/metrics", "/docs", "/openapi.json", "/static/plotly.min.js"]


@pytest.fixture
def protected_url(tracker, serve):
    run_through_cycle(tracker, make_state())
    return serve(tracker, WebhookConfig(username=USER, password=PASSWORD), strategy_source="x = 1\n")


@pytest.mark.parametrize("path", PROTECTED)
def test_every_endpoint_but_ping_needs_the_credentials(protected_url, path):
    anonymous = httpx.get(protected_url + path)
    assert anonymous.status_code == 401
    assert anonymous.headers["www-authenticate"] == 'Basic realm="trade-executor", charset="UTF-8"'
    assert httpx.get(protected_url + path, auth=(USER, "wrong password")).status_code == 401
    assert httpx.get(protected_url + path, auth=("someone", PASSWORD)).status_code == 401
    assert httpx.get(protected_url + path, auth=(USER, PASSWORD)).status_code == 200


def test_ping_stays_open_for_health_checks(protected_url):
    assert httpx.get(protected_url + "/ping").json() == {"ping": "pong"}


def test_a_malformed_authorization_header_is_refused(protected_url):
    for header in ("Bearer abc", "Basic not-base64!!", "Basic " + "b3BlcmF0b3I=", ""):  # the last but one has no colon
        assert httpx.get(protected_url + "/status", headers={"Authorization": header}).status_code == 401


def test_credentials_are_compared_in_constant_time(protected_url, monkeypatch):
    calls = []
    real = auth_module.secrets.compare_digest

    def recording(a, b):
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(auth_module.secrets, "compare_digest", recording)
    assert httpx.get(protected_url + "/status", auth=("nobody", PASSWORD)).status_code == 401
    # Both parts are compared even when the username is already wrong: the timing tells nothing.
    assert calls == [(b"nobody", USER.encode()), (PASSWORD.encode(), PASSWORD.encode())]


def test_a_username_with_an_empty_password_is_refused():
    with pytest.raises(ConfigurationError, match="HTTP_USERNAME=operator is set but HTTP_PASSWORD is empty"):
        WebhookConfig(username=USER, password="")
    with pytest.raises(ConfigurationError, match="HTTP_PASSWORD is set but HTTP_USERNAME is empty"):
        WebhookConfig(password=PASSWORD)


def test_start_refuses_an_empty_password_with_exit_code_2(tmp_path):
    from trade_executor.cli.main import app

    strategy = tmp_path / "s.py"
    strategy.write_text("x = 1\n")
    env = {"EXECUTION_TYPE": "uniswap_v2_hot_wallet", "HTTP_ENABLED": "true", "HTTP_USERNAME": USER, "HTTP_PASSWORD": "", "LOG_LEVEL": "warning"}
    result = CliRunner().invoke(app, ["start", f"--strategy-file={strategy}"], env=env)
    assert result.exit_code == 2, result.output
    assert "HTTP_USERNAME=operator is set but HTTP_PASSWORD is empty" in result.output


def test_cors_headers_only_for_configured_origins(tracker, serve):
    allowed = "https://dashboard.example.com"
    url = serve(tracker, WebhookConfig(cors_origins=(allowed,)))
    assert httpx.get(url + "/status", headers={"Origin": allowed}).headers["access-control-allow-origin"] == allowed
    assert "access-control-allow-origin" not in httpx.get(url + "/status", headers={"Origin": "https://evil.example.com"}).headers
    preflight = httpx.options(url + "/status", headers={"Origin": allowed, "Access-Control-Request-Method": "GET", "Access-Control-Request-Headers": "authorization"})
    assert preflight.status_code == 200 and preflight.headers["access-control-allow-origin"] == allowed


def test_no_cors_headers_by_default(tracker, serve):
    url = serve(tracker)
    assert "access-control-allow-origin" not in httpx.get(url + "/status", headers={"Origin": "https://dashboard.example.com"}).headers


def test_cors_preflight_passes_authentication_but_the_request_still_needs_it(tracker, serve):
    allowed = "https://dashboard.example.com"
    url = serve(tracker, WebhookConfig(username=USER, password=PASSWORD, cors_origins=(allowed,)))
    preflight = httpx.options(url + "/status", headers={"Origin": allowed, "Access-Control-Request-Method": "GET", "Access-Control-Request-Headers": "authorization"})
    assert preflight.status_code == 200
    assert httpx.get(url + "/status", headers={"Origin": allowed}).status_code == 401
    answer = httpx.get(url + "/status", headers={"Origin": allowed}, auth=(USER, PASSWORD))
    assert answer.status_code == 200 and answer.headers["access-control-allow-credentials"] == "true"


def test_no_answer_carries_a_secret(tracker, serve, log_buffer):
    key = "0x" + "5e" * 32
    secrets.register_secret(key)
    state = make_state(frozen_reason=f"signing with {key} failed")
    logger = logging.getLogger("trade_executor.test_webhook")
    logger.warning("Loaded PRIVATE_KEY=%s", key)
    try:
        raise RuntimeError(f"bad key {key[2:]}")
    except RuntimeError as error:
        logger.exception("crash with the key in the traceback")
        run_through_cycle(tracker, state)
        tracker.crashed(error, state)
    url = serve(tracker, log_buffer=log_buffer, strategy_source=f'PRIVATE_KEY = "{key}"\n')
    answers = {path: httpx.get(url + path, headers={"Accept-Encoding": "identity"}).text for path in ("/status", "/metadata", "/portfolio", "/state", "/logs", "/source", "/metrics")}
    for path, text in answers.items():
        assert key[2:].lower() not in text.lower(), path
    assert "Loaded PRIVATE_KEY=***" in answers["/logs"]
    assert "bad key ***" in answers["/status"]
    assert "signing with *** failed" in answers["/portfolio"]
    assert 'PRIVATE_KEY = "***"' in answers["/source"]


def test_a_port_in_use_is_a_clear_configuration_error(tracker):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        with pytest.raises(ConfigurationError, match=f"could not listen on 127.0.0.1:{port}"):
            WebhookServer(create_app(tracker), "127.0.0.1", port).start()


def test_stop_closes_the_port(tracker):
    server = WebhookServer(create_app(tracker), "127.0.0.1", 0).start()
    url = server.url
    assert httpx.get(url + "/ping").status_code == 200
    server.stop()
    with pytest.raises(httpx.ConnectError):
        httpx.get(url + "/ping")


def test_the_state_document_is_masked_in_any_letter_case_and_kept_as_is_without_a_secret():
    from trade_executor.webhook.tracker import StateDocument

    key = "0x" + "ab" * 32
    secrets.register_secret(key)
    clean = b'{"name": "grid", "wallet": "0x' + b"cd" * 20 + b'"}'
    assert StateDocument(clean, 1.0).body() is clean  # nothing to mask: the saved bytes themselves
    ascii_only = b'{"a": "' + key.upper().encode() + b'", "b": "' + key[2:].encode() + b'"}'
    assert StateDocument(ascii_only, 1.0).body() == b'{"a": "***", "b": "***"}'
    not_ascii = '{"name": "café", "b": "'.encode() + key.encode() + b'"}'
    assert StateDocument(not_ascii, 1.0).body() == '{"name": "café", "b": "***"}'.encode()
