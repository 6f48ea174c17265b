"""Log output as an operator or a log pipeline reads it: JSON lines that parse, Logstash over TCP, secrets masked."""

from __future__ import annotations

import datetime
import json
import logging
import time

import pytest

from trade_executor.cli.common import setup_logging
from trade_executor.devnet.anvil import free_port
from trade_executor.errors import ConfigurationError
from trade_executor.monitoring.logs import LogstashHandler
from trade_executor.secrets import SecretMaskingFilter, register_secret

from .conftest import LineListener, start_line_listener

PRIVATE_KEY = "0x" + "4f" * 32


def test_json_lines_parse_with_time_level_logger_message_and_exception(capsys):
    setup_logging("info", log_format="json")
    log = logging.getLogger("trade_executor.runner.live")
    log.info("Bought %s for %s USDC", "ETH", "5,000.00")
    log.debug("not shown at info")
    try:
        raise ValueError("pool has no liquidity")
    except ValueError:
        log.exception("Cycle failed")

    lines = capsys.readouterr().err.splitlines()
    first, second = (json.loads(line) for line in lines)
    assert {k: first[k] for k in ("level", "logger", "message")} == {"level": "INFO", "logger": "trade_executor.runner.live", "message": "Bought ETH for 5,000.00 USDC"}
    assert "exception" not in first
    assert abs(datetime.datetime.fromisoformat(first["time"]) - datetime.datetime.now(datetime.UTC)) < datetime.timedelta(minutes=1)
    assert first["time"].endswith("Z")
    assert second["message"] == "Cycle failed"
    assert second["exception"].startswith("Traceback (most recent call last)")
    assert second["exception"].endswith("ValueError: pool has no liquidity")


def test_log_format_is_read_from_the_environment_when_not_given(capsys, monkeypatch):
    monkeypatch.setenv("LOG_FORMAT", "JSON")
    setup_logging("warning")
    logging.getLogger("x").warning("hello")
    assert json.loads(capsys.readouterr().err)["message"] == "hello"


def test_human_format_is_the_default(capsys, monkeypatch):
    monkeypatch.delenv("LOG_FORMAT", raising=False)
    setup_logging("info")
    logging.getLogger("trade_executor.x").info("hello")
    assert capsys.readouterr().err.rstrip().endswith("INFO    trade_executor.x: hello")


def test_every_handler_masks_secrets_in_messages_and_tracebacks(capsys):
    register_secret(PRIVATE_KEY)
    listener = LineListener()
    server = start_line_listener(listener)
    try:
        setup_logging("info", log_format="json", logstash_server=f"127.0.0.1:{listener.port}")
        assert all(any(isinstance(f, SecretMaskingFilter) for f in h.filters) for h in logging.getLogger().handlers)
        try:
            raise RuntimeError(f"bad key {PRIVATE_KEY}")
        except RuntimeError:
            logging.getLogger("t").exception("Loaded key %s", PRIVATE_KEY)
        (shipped,) = listener.wait_for(1)
    finally:
        server.shutdown()
        server.server_close()
    printed = capsys.readouterr().err
    for text in (printed, shipped):
        assert PRIVATE_KEY[2:] not in text
        assert json.loads(text)["message"] == "Loaded key ***"
        assert json.loads(text)["exception"].endswith("RuntimeError: bad key ***")


def test_logstash_receives_json_lines_over_tcp():
    listener = LineListener()
    server = start_line_listener(listener)
    try:
        setup_logging("info", logstash_server=f"127.0.0.1:{listener.port}")
        for n in range(3):
            logging.getLogger("trade_executor.runner.live").warning("cycle %d done", n)
        lines = listener.wait_for(3)
    finally:
        server.shutdown()
        server.server_close()
    entries = [json.loads(line) for line in lines]
    assert [(e["level"], e["logger"], e["message"]) for e in entries] == [("WARNING", "trade_executor.runner.live", f"cycle {n} done") for n in range(3)]


def test_logstash_down_costs_the_logging_call_nothing_and_lines_arrive_when_it_comes_up():
    port = free_port()
    handler = LogstashHandler("127.0.0.1", port, timeout=0.5)
    log = logging.getLogger("logstash-test")
    log.propagate = False
    log.addHandler(handler)
    server = None
    try:
        started = time.perf_counter()
        for n in range(100):
            log.warning("line %d", n)
        assert time.perf_counter() - started < 0.5
        assert handler.flush(timeout=0.1) is False  # nothing can be sent yet

        listener = LineListener()
        server = start_line_listener(listener, port)
        lines = listener.wait_for(100, timeout=10)  # the handler reconnects on its own
        assert [json.loads(line)["message"] for line in lines] == [f"line {n}" for n in range(100)]
    finally:
        log.removeHandler(handler)
        handler.close()
        if server:
            server.shutdown()
            server.server_close()


def test_a_full_queue_drops_lines_and_says_how_many_when_the_server_is_back():
    port = free_port()
    handler = LogstashHandler("127.0.0.1", port, queue_size=3, timeout=0.5)
    log = logging.getLogger("logstash-drop-test")
    log.propagate = False
    log.addHandler(handler)
    server = None
    try:
        for n in range(10):
            log.warning("line %d", n)
        listener = LineListener()
        server = start_line_listener(listener, port)
        lines = listener.wait_for(4, timeout=10)
        messages = [json.loads(line)["message"] for line in lines]
        assert messages == ["7 log lines were dropped while the Logstash server was unreachable", "line 0", "line 1", "line 2"]
    finally:
        log.removeHandler(handler)
        handler.close()
        if server:
            server.shutdown()
            server.server_close()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"log_format": "xml"}, "LOG_FORMAT='xml' is not a log format: use human or json."),
        ({"logstash_server": "logs.example"}, "LOGSTASH_SERVER='logs.example' is not host:port (for example 127.0.0.1:5000)."),
        ({"logstash_server": "logs.example:http"}, "LOGSTASH_SERVER='logs.example:http' is not host:port (for example 127.0.0.1:5000)."),
    ],
)
def test_bad_settings_are_one_clear_error(kwargs, message):
    with pytest.raises(ConfigurationError) as error:
        setup_logging("info", **kwargs)
    assert str(error.value) == message
