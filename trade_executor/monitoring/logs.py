"""Log output: human-readable lines or JSON lines on stderr, and optionally JSON lines to Logstash.

Every handler carries SecretMaskingFilter, so a registered secret never reaches a terminal, a
log file or a log server. The Logstash handler only queues in the logging call; a thread owns
the TCP connection and reconnects, so a log server that is down or slow never holds up trading
(lines wait in a bounded queue; past that they are counted and dropped).
"""

from __future__ import annotations

import datetime
import json
import logging
import socket
import sys
import threading
import time
from collections import deque

from trade_executor.errors import ConfigurationError
from trade_executor.monitoring.addresses import parse_host_port
from trade_executor.secrets import SecretMaskingFilter, install_masking

HUMAN_FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"
LOG_FORMATS = ("human", "json")


class JsonLineFormatter(logging.Formatter):
    """One JSON object a line: time (UTC, ISO 8601), level, logger, message, exception when there is one."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.datetime.fromtimestamp(record.created, datetime.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["exception"] = record.exc_text
        return json.dumps(entry, ensure_ascii=False, default=str)


class LogstashHandler(logging.Handler):
    """JSON lines over TCP to ``host:port`` (Logstash's tcp input with the json_lines codec)."""

    def __init__(self, host: str, port: int, *, queue_size: int = 10_000, timeout: float = 2.0, max_backoff: float = 30.0):
        super().__init__()
        self.address = (host, port)
        self.timeout = timeout
        self.max_backoff = max_backoff
        self.queue_size = queue_size
        self.dropped = 0
        self.setFormatter(JsonLineFormatter())
        self.addFilter(SecretMaskingFilter())
        self._lines: deque[bytes] = deque()
        self._condition = threading.Condition()
        self._closing = threading.Event()
        self._socket: socket.socket | None = None
        self._sending = False
        self._outage_reported = False
        self._thread = threading.Thread(target=self._work, name=f"logstash {host}:{port}", daemon=True)
        self._thread.start()

    def emit(self, record: logging.LogRecord) -> None:
        try:
            line = (self.format(record) + "\n").encode()
        except Exception:
            self.handleError(record)
            return
        with self._condition:
            if len(self._lines) >= self.queue_size:
                self.dropped += 1
                return
            self._lines.append(line)
            self._condition.notify_all()

    def flush(self, timeout: float = 2.0) -> bool:
        """Wait at most ``timeout`` seconds until every queued line is sent."""
        deadline = time.monotonic() + timeout
        with self._condition:
            while self._lines or self._sending:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._condition.wait(remaining)
        return True

    def close(self) -> None:
        self.flush()
        with self._condition:
            self._closing.set()
            self._condition.notify_all()
        super().close()

    def _work(self) -> None:
        backoff = 0.5
        while True:
            with self._condition:
                while not self._lines and not self._closing.is_set():
                    self._condition.wait()
                if self._closing.is_set():
                    break
                line = self._lines[0]
                self._sending = True
            try:
                self._send(line)
            except OSError as error:
                self._disconnect(error)
                with self._condition:
                    self._sending = False
                    self._condition.notify_all()
                if self._closing.wait(backoff):
                    break
                backoff = min(backoff * 2, self.max_backoff)
                continue
            backoff = 0.5
            self._outage_reported = False
            with self._condition:
                self._lines.popleft()
                self._sending = False
                self._condition.notify_all()
        self._disconnect(None)

    def _send(self, line: bytes) -> None:
        if self._socket is None:
            self._socket = socket.create_connection(self.address, timeout=self.timeout)
            if self.dropped:
                note = logging.makeLogRecord({"name": __name__, "levelno": logging.WARNING, "levelname": "WARNING", "msg": f"{self.dropped} log lines were dropped while the Logstash server was unreachable"})
                self.dropped = 0
                self._socket.sendall((self.format(note) + "\n").encode())
        self._socket.sendall(line)

    def _disconnect(self, error: OSError | None) -> None:
        if self._socket is not None:
            self._socket.close()
            self._socket = None
        if error is not None and not self._outage_reported:
            self._outage_reported = True
            # Not through logging: that would queue more lines for the server that just failed.
            print(f"Logstash server {self.address[0]}:{self.address[1]} unreachable ({error}); log lines wait in memory", file=sys.stderr)


def configure_logging(level: str, log_format: str = "human", logstash_server: str | None = None) -> None:
    """Replace the root logger's handlers: stderr in the chosen format, plus Logstash when given."""
    if log_format not in LOG_FORMATS:
        raise ConfigurationError(f"LOG_FORMAT={log_format!r} is not a log format: use human or json.")
    install_masking()  # records masked as they are made, before any handler (ours, a library's, /logs) sees them
    console = logging.StreamHandler(sys.stderr)
    console.setFormatter(JsonLineFormatter() if log_format == "json" else logging.Formatter(HUMAN_FORMAT))
    console.addFilter(SecretMaskingFilter())
    handlers: list[logging.Handler] = [console]
    if logstash_server:
        host, port = parse_host_port(logstash_server, "LOGSTASH_SERVER")
        handlers.append(LogstashHandler(host, port))
    logging.basicConfig(level=getattr(logging, level.upper()), handlers=handlers, force=True)
    # One INFO line per HTTP request (notifications every cycle) is noise; warnings still show.
    logging.getLogger("httpx").setLevel(logging.WARNING)
