"""Run an anvil process on 127.0.0.1: found, started, waited for with a deadline, always stopped.

anvil comes from the npm package @foundry-rs/anvil-linux-amd64 (``./scripts/setup.sh``
installs it into node_modules/.bin); ``ANVIL_PATH`` or an anvil on PATH also work. The devnet
(devnet/anvil.py) and the dress rehearsal's fork (fork.py) are both an AnvilProcess with their
own arguments.
"""

from __future__ import annotations

import ctypes
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

from trade_executor.errors import ConfigurationError

REPO_ROOT = Path(__file__).resolve().parents[2]
PR_SET_PDEATHSIG = 1


def find_anvil() -> str:
    candidates = [os.environ.get("ANVIL_PATH"), str(REPO_ROOT / "node_modules" / ".bin" / "anvil"), shutil.which("anvil")]
    for candidate in candidates:
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return candidate
    raise ConfigurationError("anvil is not installed. Run ./scripts/setup.sh (it installs anvil from npm into node_modules/.bin), or set ANVIL_PATH.")


def _die_with_parent() -> None:
    """Linux: anvil gets SIGKILL when the process that started it dies, even by SIGKILL: no orphaned nodes."""
    if sys.platform.startswith("linux"):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class AnvilProcess:
    """A running anvil started with ``arguments`` (beyond host, port and --silent); a context manager, so it always stops.

    ``ready_timeout`` bounds the wait for its first answer (polled, never slept through).
    """

    def __init__(self, arguments: list[str], *, port: int | None = None, ready_timeout: float = 15.0, new_session: bool = False):
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        args = [find_anvil(), "--host", "127.0.0.1", "--port", str(self.port), "--silent", *arguments]
        self._log = tempfile.TemporaryFile()
        self.process = subprocess.Popen(
            args, stdout=self._log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=new_session, preexec_fn=_die_with_parent
        )
        try:
            self._wait_ready(timeout=ready_timeout)
        except BaseException:
            self.stop()
            raise

    def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                self._log.seek(0)
                raise ConfigurationError(f"anvil exited at start (code {self.process.returncode}): {self._log.read().decode(errors='replace')[-500:]}")
            try:
                response = requests.post(self.url, json={"jsonrpc": "2.0", "id": 1, "method": "eth_chainId", "params": []}, timeout=1)
                if response.ok:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.02)
        raise ConfigurationError(f"anvil did not answer on {self.url} within {timeout:.0f} s.")

    def rpc(self, method: str, *params):
        response = requests.post(self.url, json={"jsonrpc": "2.0", "id": 1, "method": method, "params": list(params)}, timeout=10)
        body = response.json()
        if "error" in body:
            raise RuntimeError(f"{method}: {body['error']}")
        return body["result"]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.stop()
