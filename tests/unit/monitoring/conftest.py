"""Real local endpoints that record what they were sent: an HTTP server (Discord, Telegram), a TCP
listener (Logstash), a UDP socket (statsd); and a small live-like state with a settled trade."""

from __future__ import annotations

import datetime
import json
import logging
import socket
import socketserver
import threading
import time
from dataclasses import dataclass, field
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from trade_executor.identifiers import AssetIdentifier, TradingPairIdentifier
from trade_executor.secrets import _reset_for_tests
from trade_executor.state import (
    BlockchainTransaction,
    ReservePosition,
    State,
    TradeExecution,
    TradeStatus,
    TradeType,
    TradingPosition,
)

T0 = datetime.datetime(2024, 5, 1, 12, 0)
USDC = AssetIdentifier(31337, "0x" + "aa" * 20, "USDC", 6)
WETH = AssetIdentifier(31337, "0x" + "bb" * 20, "ETH", 18)
PAIR = TradingPairIdentifier(WETH, USDC, "0x" + "cc" * 20, "uniswap-v2")
TX_HASH = "0x" + "12" * 32


@dataclass
class Request:
    path: str
    headers: dict[str, str]
    body: dict
    at: float


@dataclass
class Answer:
    status: int = 204
    body: dict | None = None
    hang: bool = False


@dataclass
class RecordingServer:
    """An HTTP server on 127.0.0.1 that records each POST and answers from a script (then ``default``)."""

    url: str = ""
    requests: list[Request] = field(default_factory=list)
    script: list[Answer] = field(default_factory=list)
    default: Answer = field(default_factory=Answer)
    condition: threading.Condition = field(default_factory=threading.Condition)
    release: threading.Event = field(default_factory=threading.Event)

    def wait_for(self, count: int, timeout: float = 5.0) -> list[Request]:
        with self.condition:
            assert self.condition.wait_for(lambda: len(self.requests) >= count, timeout), f"{len(self.requests)} of {count} requests arrived"
            return list(self.requests)

    def texts(self) -> list[str]:
        return [r.body.get("content", r.body.get("text")) for r in self.requests]


def _handler(recorder: RecordingServer):
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 - http.server's naming
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            with recorder.condition:
                answer = recorder.script.pop(0) if recorder.script else recorder.default
                recorder.requests.append(Request(self.path, dict(self.headers), body, time.monotonic()))
                recorder.condition.notify_all()
            if answer.hang:
                recorder.release.wait(30)
                return
            payload = json.dumps(answer.body).encode() if answer.body is not None else b""
            self.send_response(answer.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args):
            pass

    return Handler


@pytest.fixture
def http_server():
    recorder = RecordingServer()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(recorder))
    server.daemon_threads = True
    recorder.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield recorder
    recorder.release.set()
    server.shutdown()
    server.server_close()


@dataclass
class LineListener:
    """A TCP server on 127.0.0.1 collecting newline-terminated lines (Logstash's json_lines input)."""

    port: int = 0
    lines: list[str] = field(default_factory=list)
    condition: threading.Condition = field(default_factory=threading.Condition)

    def wait_for(self, count: int, timeout: float = 5.0) -> list[str]:
        with self.condition:
            assert self.condition.wait_for(lambda: len(self.lines) >= count, timeout), f"{len(self.lines)} of {count} lines arrived: {self.lines}"
            return list(self.lines)


def start_line_listener(listener: LineListener, port: int = 0) -> socketserver.ThreadingTCPServer:
    class Handler(socketserver.StreamRequestHandler):
        def handle(self):
            for raw in self.rfile:
                with listener.condition:
                    listener.lines.append(raw.decode().rstrip("\n"))
                    listener.condition.notify_all()

    socketserver.ThreadingTCPServer.allow_reuse_address = True
    server = socketserver.ThreadingTCPServer(("127.0.0.1", port), Handler)
    server.daemon_threads = True
    listener.port = server.server_address[1]
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    return server


@pytest.fixture
def udp_listener():
    """A UDP socket on 127.0.0.1: what a statsd server would receive."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    sock.settimeout(5)
    yield sock
    sock.close()


def receive_lines(sock: socket.socket, count: int) -> list[str]:
    """Metric lines (a packet may carry several) until ``count`` arrived; the socket's timeout bounds the wait."""
    lines: list[str] = []
    while len(lines) < count:
        lines += sock.recv(65536).decode().split("\n")
    return lines


@pytest.fixture(autouse=True)
def clean_secrets_and_logging():
    """Tests register secrets and replace handlers: give each test a clean registry and restore the root logger."""
    _reset_for_tests()
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    for handler in root.handlers:
        if handler not in handlers:
            handler.close()
    root.handlers[:] = handlers
    root.setLevel(level)
    _reset_for_tests()


def make_trade(trade_id=1, *, buy=True, status=TradeStatus.success, trade_type=TradeType.rebalance) -> TradeExecution:
    sign = 1 if buy else -1
    trade = TradeExecution(
        trade_id=trade_id, position_id=1, pair=PAIR, reserve_currency=USDC, trade_type=trade_type, opened_at=T0,
        planned_quantity=Decimal("16.5") * sign, planned_reserve=Decimal("5000"), planned_price=Decimal("303.03"),
        blockchain_transactions=[BlockchainTransaction(31337, "0x" + "dd" * 20, 0, TX_HASH, "0x00")],
    )
    if status is TradeStatus.success:
        trade.mark_success(executed_at=T0, quantity=Decimal("16.5") * sign, reserve=Decimal("4987.25"), lp_fees=Decimal("15"), price_impact=Decimal("0.001"), gas_native=Decimal("0.001"), gas_usd=Decimal("0.3"))
    elif status is TradeStatus.failed:
        trade.mark_failed(T0, "execution reverted: UniswapV2Router: INSUFFICIENT_OUTPUT_AMOUNT")
    else:
        trade.status = status
    return trade


def make_state() -> State:
    """Cash 5,012.75 USDC plus one open position of 16.5 ETH at 305: equity 10,045.25."""
    state = State(name="eth-usd-sma", created_at=T0)
    state.portfolio.reserves[USDC.address] = ReservePosition(USDC, Decimal("5012.75"), T0)
    position = TradingPosition(1, PAIR, USDC, T0, Decimal("305"), T0)
    position.trades[1] = make_trade()
    state.portfolio.open_positions[1] = position
    return state
