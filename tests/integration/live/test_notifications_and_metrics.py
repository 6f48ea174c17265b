"""A live `start` on anvil with DISCORD_WEBHOOK_URL and STATSD_HOST set: the trades reach the chat, the timers reach statsd."""

from __future__ import annotations

import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from trade_executor.state import JSONFileStore

from .test_crash_recovery import live_env, start

WEBHOOK_PATH = "/api/webhooks/987654321/integration-webhook-token"


@pytest.fixture
def discord():
    """A local stand-in for Discord's webhook endpoint: records each JSON body, answers 204."""
    received: list[dict] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 - http.server's naming
            received.append({"path": self.path, "body": json.loads(self.rfile.read(int(self.headers["Content-Length"])))})
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}", received
    server.shutdown()
    server.server_close()


@pytest.fixture
def statsd_socket():
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    sock.setblocking(False)
    yield sock
    sock.close()


def drain(sock: socket.socket) -> list[str]:
    """Every metric line already delivered (the process that sent them has exited)."""
    lines = []
    while True:
        try:
            lines += sock.recv(65536).decode().split("\n")
        except BlockingIOError:
            return lines


def test_live_start_posts_trades_and_sends_cycle_timers(deployment, strategy_file, tmp_path, discord, statsd_socket):
    url, received = discord
    state_file = tmp_path / "state.json"
    env = live_env(
        deployment, strategy_file, state_file, DISCORD_WEBHOOK_URL=url + WEBHOOK_PATH, NOTIFY_CYCLE_SUMMARIES="true",
        STATSD_HOST=f"127.0.0.1:{statsd_socket.getsockname()[1]}", STATSD_PREFIX="alternate", LOG_LEVEL="info",
    )
    for _ in range(2):  # one cycle buys, the next sells
        run = start(env)
        assert run.returncode == 0, run.stderr
        assert "integration-webhook-token" not in run.stdout + run.stderr

    state = JSONFileStore(state_file).load()
    buy, sell = sorted((t for p in state.portfolio.get_all_positions() for t in p.trades.values()), key=lambda t: t.trade_id)
    texts = [r["body"]["content"] for r in received]
    assert {r["path"] for r in received} == {WEBHOOK_PATH}
    trade_messages = [t for t in texts if " trade(s)\nTrade #" in t]
    assert trade_messages == [
        f"alternate: 1 trade(s)\nTrade #1 buy ETH-USDC: value {buy.executed_reserve:,.2f} USDC, executed price {buy.executed_price:,.6g}, status success, tx {buy.blockchain_transactions[-1].tx_hash}",
        f"alternate: 1 trade(s)\nTrade #2 sell ETH-USDC: value {sell.executed_reserve:,.2f} USDC, executed price {sell.executed_price:,.6g}, status success, tx {sell.blockchain_transactions[-1].tx_hash}",
    ]
    assert [t.split(";")[0] for t in texts if t.startswith("alternate: trading started")] == ["alternate: trading started"] * 2
    assert sum(t.startswith("alternate: cycle ") for t in texts) == 2
    assert texts[-1] == "alternate: trading stopped after 1 cycle(s)"  # delivered before the process exited

    lines = drain(statsd_socket)
    names = [line.split(":")[0] for line in lines]
    for step in ("sync_treasury", "decide", "execute", "record_statistics", "total"):
        assert names.count(f"alternate.cycle.{step}") == 2, step
    assert names.count("alternate.cycle.revalue") == 1  # only the second cycle had a position to revalue
    assert "alternate.trades.success:1|c" in lines and names.count("alternate.trades.success") == 2
    assert names.count("alternate.cycles") == 2 and names.count("alternate.gas_balance") == 2
    assert "alternate.open_positions:1|g" in lines and "alternate.open_positions:0|g" in lines
    assert all(float(line.split(":")[1].split("|")[0]) >= 0 for line in lines if line.endswith("|ms"))
