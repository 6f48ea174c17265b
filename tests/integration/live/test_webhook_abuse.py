"""The webhook under abuse: slow connections cannot take what the trader needs; off loopback it needs credentials."""

from __future__ import annotations

import resource
import shlex
import socket
import subprocess
import time
from pathlib import Path

import httpx

from trade_executor.devnet.anvil import free_port
from trade_executor.state import JSONFileStore

from .test_crash_recovery import TRADE_EXECUTOR, live_env
from .test_webhook_live import STRATEGY

DOCKERFILE = Path(__file__).resolve().parents[3] / "Dockerfile"
SLOW_CONNECTIONS = 500
OPEN_FILES = 256  # the old server took one per connection until saving the state failed (EMFILE)


def dockerfile_environment() -> dict[str, str]:
    """The variables the image's ENV instructions set (continuation lines joined)."""
    text = DOCKERFILE.read_text().replace("\\\n", " ")
    lines = [line.strip() for line in text.splitlines() if line.strip().upper().startswith("ENV ")]
    return dict(word.split("=", 1) for line in lines for word in shlex.split(line[4:]))


def few_open_files() -> None:
    resource.setrlimit(resource.RLIMIT_NOFILE, (OPEN_FILES, OPEN_FILES))


def cycles_saved(state_file) -> int:
    try:
        return JSONFileStore(state_file).load().live.cycles_completed
    except Exception:  # noqa: BLE001 - not written yet
        return 0


def wait_until(predicate, timeout: float, what: str, process: subprocess.Popen):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"start exited ({process.returncode}) while waiting for {what}")
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


def slow_clients(port: int) -> list[socket.socket]:
    """Half send part of a request line and headers, half send nothing; none ever finishes."""
    clients = []
    for number in range(SLOW_CONNECTIONS):
        client = socket.create_connection(("127.0.0.1", port), timeout=5)
        if number % 2:
            client.sendall(b"GET /status HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
        clients.append(client)
    return clients


def cut(client: socket.socket) -> bool:
    """The server closed this connection (possibly after a 503)."""
    client.setblocking(False)
    try:
        while client.recv(4096):
            pass
    except BlockingIOError:
        return False
    except OSError:
        return True
    return True


def ping(url: str) -> bool:
    try:
        return httpx.get(url + "/ping", timeout=2).status_code == 200
    except httpx.TransportError:
        return False


def test_five_hundred_slow_connections_do_not_stop_trading(deployment, tmp_path):
    strategy = tmp_path / "alternate_2s.py"
    strategy.write_text(STRATEGY)
    state_file = tmp_path / "state.json"
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = live_env(deployment, strategy, state_file, RUN_SINGLE_CYCLE="false", HTTP_ENABLED="true", HTTP_PORT=str(port), LOG_LEVEL="info")
    with (tmp_path / "stderr.txt").open("w+") as stderr:
        process = subprocess.Popen([str(TRADE_EXECUTOR), "start"], env=env, stdout=subprocess.DEVNULL, stderr=stderr, preexec_fn=few_open_files)
        clients: list[socket.socket] = []
        try:
            wait_until(lambda: cycles_saved(state_file) >= 1, 90, "the first saved cycle", process)
            clients = slow_clients(port)
            before = cycles_saved(state_file)
            # Trading goes on while the slow clients hold their connections: cycles complete and the state saves.
            wait_until(lambda: cycles_saved(state_file) >= before + 3, 60, "three more saved cycles during the attack", process)
            # The server cuts them (a request head is due within seconds), then answers again.
            wait_until(lambda: all(cut(client) for client in clients), 30, "the slow connections to be cut", process)
            wait_until(lambda: ping(url), 15, "/ping to answer", process)
            status = httpx.get(url + "/status").json()
            assert status["executor_running"] is True and status["exception"] is None
        finally:
            for client in clients:
                client.close()
            process.kill()
            process.wait()
        stderr.seek(0)
        log = stderr.read()
    assert "Too many open files" not in log
    assert "refusing connections" in log  # said once, not per connection
    assert log.count("refusing connections") == 1


def test_a_webhook_off_loopback_without_credentials_is_refused(deployment, strategy_file, tmp_path):
    env = live_env(deployment, strategy_file, tmp_path / "state.json", HTTP_ENABLED="true", HTTP_HOST="0.0.0.0", HTTP_PORT=str(free_port()))
    run = subprocess.run([str(TRADE_EXECUTOR), "start"], env=env, capture_output=True, text=True, timeout=60)
    assert run.returncode == 2, run.stderr[-2000:]
    assert "HTTP_HOST=0.0.0.0" in run.stderr and "set HTTP_USERNAME and HTTP_PASSWORD" in run.stderr and "HTTP_HOST=127.0.0.1" in run.stderr
    assert not (tmp_path / "state.json").exists()  # refused before anything ran


def test_the_images_http_host_default_starts_with_credentials(deployment, tmp_path):
    """The Dockerfile's ENV (HTTP_HOST=0.0.0.0) plus an env file's credentials: serving, with Basic auth on all but /ping."""
    strategy = tmp_path / "alternate_2s.py"
    strategy.write_text(STRATEGY)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    image = dockerfile_environment()
    assert image["HTTP_HOST"] == "0.0.0.0"
    env = live_env(
        deployment, strategy, tmp_path / "state.json", **image, RUN_SINGLE_CYCLE="false", MAX_CYCLES="2", HTTP_ENABLED="true",
        HTTP_PORT=str(port), HTTP_USERNAME="operator", HTTP_PASSWORD="a-long-webhook-passphrase",
    )
    process = subprocess.Popen([str(TRADE_EXECUTOR), "start"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        wait_until(lambda: ping(url), 60, "/ping on 0.0.0.0", process)
        assert httpx.get(url + "/status").status_code == 401
        assert httpx.get(url + "/status", auth=("operator", "a-long-webhook-passphrase")).status_code == 200
        assert process.wait(timeout=90) == 0, process.stderr.read()[-2000:]
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
