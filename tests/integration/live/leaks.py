"""Helpers for the secret-leak tests: a local notification endpoint that records every body, a started `start`, the key's forms."""

from __future__ import annotations

import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import quote, quote_plus

import httpx

from .test_crash_recovery import TRADE_EXECUTOR


@contextmanager
def capture_posts() -> Iterator[tuple[str, list[str]]]:
    """A stand-in for Discord's and Telegram's endpoints on 127.0.0.1: (base URL, every request's path and body as text)."""
    received: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 - http.server's naming
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            received.append(self.path + "\n" + body.decode("utf-8", "replace"))
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", "11")
            self.end_headers()
            self.wfile.write(b'{"ok":true}')

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", received
    finally:
        server.shutdown()
        server.server_close()


def forms(key: str) -> set[str]:
    """The key as text may show it: itself, URL-encoded either way, lower-cased (masking ignores case, so must the check)."""
    return {f.lower() for f in (key, quote(key, safe=""), quote(key), quote_plus(key))}


def leaks(text: str, key: str, core: str) -> list[str]:
    """Each form of ``key`` (and its distinctive ``core``) found in ``text``, with some context."""
    lowered = text.lower()
    found = []
    for form in forms(key) | {core.lower()}:
        at = lowered.find(form)
        if at >= 0:
            found.append(f"{form!r} in ...{text[max(0, at - 120): at + 60]!r}...")
    return found


@dataclass
class Outputs:
    stdout: str = ""
    stderr: str = ""


@contextmanager
def started(env: dict, folder: Path) -> Iterator[tuple[subprocess.Popen, Outputs]]:
    """`trade-executor start` writing to files (debug lines would fill a pipe); SIGTERM, then the outputs, on leaving."""
    out, err = (folder / "stdout.txt").open("w+"), (folder / "stderr.txt").open("w+")
    process = subprocess.Popen([str(TRADE_EXECUTOR), "start"], env=env, cwd=folder, stdout=out, stderr=err, text=True)
    outputs = Outputs()
    try:
        yield process, outputs
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        out.close()
        err.close()
        outputs.stdout, outputs.stderr = (folder / "stdout.txt").read_text(), (folder / "stderr.txt").read_text()


def poll_json(url: str, predicate, process: subprocess.Popen, what: str, timeout: float = 90) -> dict:
    """GET ``url`` until ``predicate(json)`` holds; fail at once if the process ended."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"start exited ({process.returncode}) while waiting for {what}")
        try:
            answer = httpx.get(url, timeout=5).json()
            if predicate(answer):
                return answer
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def wait_for(predicate, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not predicate() and time.monotonic() < deadline:
        time.sleep(0.1)
