"""`trade-executor devnet` as a user runs it: a real process, a real anvil, stopped with Ctrl-C (SIGINT)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from dotenv import dotenv_values

from trade_executor.chain.abi import load_abi
from trade_executor.chain.connection import create_web3
from trade_executor.chain.wallet import HotWallet
from trade_executor.devnet.anvil import free_port

TRADE_EXECUTOR = Path(sys.executable).parent / "trade-executor"


def children(pid: int) -> list[tuple[int, str]]:
    """(pid, command name) of the processes whose parent is ``pid``."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            name = stat[stat.index("(") + 1 : stat.rindex(")")]
            if int(stat[stat.rindex(")") + 2 :].split()[1]) == pid:
                found.append((int(entry.name), name))
    return found


def port_open(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


@pytest.fixture
def devnet_process(tmp_path):
    """Start the command; always end it, even when the test fails half way."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("DEVNET_") and k != "LOG_LEVEL"}
    env["DEVNET_SIMULATOR_INTERVAL"] = "0.1"  # the environment variable route, alongside options
    stdout, stderr = (tmp_path / "stdout.txt").open("w+"), (tmp_path / "stderr.txt").open("w+")
    process = subprocess.Popen(
        [str(TRADE_EXECUTOR), "devnet", f"--port={port}", "--write-env-file=devnet.env", "--market-simulator", "--liquidity-usd=1000000"],
        cwd=tmp_path, env=env, stdout=stdout, stderr=stderr, stdin=subprocess.DEVNULL,
    )
    yield process, port, tmp_path / "devnet.env", stdout, stderr
    if process.poll() is None:
        process.kill()
        process.wait()
    stdout.close()
    stderr.close()


def test_devnet_command_serves_a_funded_chain_and_stops_cleanly_on_ctrl_c(devnet_process, wait_until):
    process, port, env_file, stdout, stderr = devnet_process

    def ready() -> bool:
        if process.poll() is not None:
            stderr.seek(0)
            pytest.fail(f"trade-executor devnet exited with {process.returncode}: {stderr.read()[-2000:]}")
        return env_file.exists()

    wait_until(ready, timeout=30, what="the devnet's env file")
    values = dotenv_values(env_file)
    assert values["JSON_RPC_ANVIL"] == f"http://127.0.0.1:{port}" and values["CHAIN_ID"] == "31337"
    web3 = create_web3(values["JSON_RPC_ANVIL"])
    assert len(web3.eth.get_code(values["UNISWAP_V2_ROUTER"])) > 0
    wallet = HotWallet(values["PRIVATE_KEY"])
    usdc = web3.eth.contract(address=values["TOKEN_USDC"], abi=load_abi("ERC20"))
    assert usdc.functions.balanceOf(wallet.address).call() == 10_000 * 10**6
    assert web3.eth.get_balance(wallet.address) == 10 * 10**18

    # The market simulator is walking ETH-USDC away from its first price (the first embedded close).
    pair = web3.eth.contract(address=values["PAIR_ETH_USDC"], abi=load_abi("UniswapV2Pair"))
    first = pair.functions.getReserves().call()[:2]
    wait_until(lambda: pair.functions.getReserves().call()[:2] != first, timeout=10, what="the market simulator's first swap")

    wait_until(lambda: "press Ctrl-C to stop" in Path(stdout.name).read_text(), timeout=10, what="the running message")
    anvils = [pid for pid, name in children(process.pid) if name == "anvil"]
    assert len(anvils) == 1

    process.send_signal(signal.SIGINT)
    assert process.wait(timeout=20) == 0
    assert not Path(f"/proc/{anvils[0]}").exists()
    assert not port_open(port)

    stdout.seek(0)
    stderr.seek(0)
    printed = stdout.read() + stderr.read()
    assert f"Devnet running on http://127.0.0.1:{port}; press Ctrl-C to stop" in printed
    assert values["UNISWAP_V2_ROUTER"] in printed and wallet.address in printed
    assert values["PRIVATE_KEY"] not in printed and values["PRIVATE_KEY"][2:] not in printed
    assert "Traceback" not in printed
