"""Ctrl-C the devnet and start it again on the same port at once: the port's TIME_WAIT connections do not block it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import requests

from trade_executor.devnet.anvil import free_port

TRADE_EXECUTOR = Path(sys.executable).parent / "trade-executor"


def devnet(port: int, folder: Path, name: str) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DEVNET_") and k != "LOG_LEVEL"}
    return subprocess.Popen(
        [str(TRADE_EXECUTOR), "devnet", f"--port={port}", f"--write-env-file={name}", "--no-market-simulator"],
        cwd=folder, env=env, stdout=subprocess.DEVNULL, stderr=(folder / f"{name}.stderr").open("w"), stdin=subprocess.DEVNULL,
    )


def test_devnet_starts_again_on_its_port_right_after_ctrl_c(tmp_path, wait_until):
    port = free_port()
    first = devnet(port, tmp_path, "first.env")
    try:
        wait_until(lambda: (tmp_path / "first.env").exists() or first.poll() is not None, timeout=60, what="the first devnet")
        assert first.poll() is None, (tmp_path / "first.env.stderr").read_text()
        busy = subprocess.run([str(TRADE_EXECUTOR), "devnet", f"--port={port}", "--write-env-file=busy.env"], cwd=tmp_path, capture_output=True, text=True, timeout=60)
        assert busy.returncode == 2 and f"Port {port} on 127.0.0.1 is in use" in busy.stderr  # SO_REUSEADDR still sees a listener
        client = requests.Session()  # a client connected when the node stops: the node's side of it waits in TIME_WAIT
        client.post(f"http://127.0.0.1:{port}", json={"jsonrpc": "2.0", "id": 1, "method": "eth_chainId", "params": []}, timeout=5)
        first.send_signal(signal.SIGINT)
        assert first.wait(timeout=30) == 0
        client.close()
    finally:
        if first.poll() is None:
            first.kill()
            first.wait()

    second = devnet(port, tmp_path, "second.env")
    try:
        wait_until(lambda: (tmp_path / "second.env").exists() or second.poll() is not None, timeout=60, what="the second devnet")
        assert second.poll() is None, (tmp_path / "second.env.stderr").read_text()
        answer = requests.post(f"http://127.0.0.1:{port}", json={"jsonrpc": "2.0", "id": 1, "method": "eth_chainId", "params": []}, timeout=5)
        assert answer.json()["result"] == "0x7a69"
    finally:
        second.send_signal(signal.SIGINT)
        try:
            second.wait(timeout=30)
        except subprocess.TimeoutExpired:
            second.kill()
            second.wait()
