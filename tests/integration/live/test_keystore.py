"""An encrypted keystore instead of PRIVATE_KEY: written by `new-wallet --keystore-file`, used by every live command."""

from __future__ import annotations

import json
import os
import pty
import select
import signal
import subprocess
import termios
import time

from .test_crash_recovery import TRADE_EXECUTOR, live_env

PASSPHRASE = "orange-kettle-52-ladder"


def run(env, *args) -> subprocess.CompletedProcess:
    return subprocess.run([str(TRADE_EXECUTOR), *args], env=env, capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)


def run_in_terminal(env, args: list[str], answers: list[tuple[str, str]], timeout: float = 60) -> tuple[int, str]:
    """Run the program with a pseudo-terminal as its controlling terminal, typing each answer once its prompt shows
    and the terminal's echo is off (a hidden prompt turns it off after printing its text, and drops what came before)."""
    pid, fd = pty.fork()
    if pid == 0:  # the child: becomes the program
        os.execve(str(TRADE_EXECUTOR), [str(TRADE_EXECUTOR), *args], env)
    screen, pending, answered_up_to = b"", list(answers), 0
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            if pending and pending[0][0].encode() in screen[answered_up_to:] and not termios.tcgetattr(fd)[3] & termios.ECHO:
                os.write(fd, pending.pop(0)[1].encode() + b"\n")
                answered_up_to = len(screen)
            if select.select([fd], [], [], 0.02)[0]:
                try:
                    chunk = os.read(fd, 4096)
                except OSError:  # the child closed the terminal: it exited
                    break
                if not chunk:
                    break
                screen += chunk
    finally:
        if time.monotonic() >= deadline:
            os.kill(pid, signal.SIGKILL)
        _, status = os.waitpid(pid, 0)
        os.close(fd)
    return os.waitstatus_to_exitcode(status), screen.decode(errors="replace")


def light_keystore(path, passphrase: str = PASSPHRASE) -> str:
    """A keystore like new-wallet's but with a cheap scrypt cost (n=2^12): readers take n from the file,
    so the commands under test work the same, without ~1 s and 256 MB of scrypt per command.
    new-wallet's own standard cost is tested by the new-wallet tests above."""
    from eth_account import Account

    account = Account.create()
    path.write_text(json.dumps(Account.encrypt(account.key, passphrase, kdf="scrypt", iterations=2**12)))
    return account.address


def wallet_env(deployment, strategy_file, tmp_path, **extra) -> dict:
    env = live_env(deployment, strategy_file, tmp_path / "state.json", **extra)
    del env["PRIVATE_KEY"]
    return env


def test_new_wallet_asks_twice_then_check_wallet_opens_the_keystore_and_shows_the_same_address(deployment, strategy_file, tmp_path):
    keystore = tmp_path / "wallet.json"
    env = wallet_env(deployment, strategy_file, tmp_path)
    code, screen = run_in_terminal(env, ["new-wallet", f"--keystore-file={keystore}"], [("Passphrase for the new keystore", PASSPHRASE), ("Repeat for confirmation", PASSPHRASE)])
    assert code == 0, screen
    address = screen.strip().splitlines()[-2].removeprefix("account=")  # the last line is the note on stderr
    assert len(address) == 42 and address.startswith("0x"), screen
    assert PASSPHRASE not in screen  # typed with the echo off

    document = json.loads(keystore.read_text())
    assert document["version"] == 3 and document["crypto"]["kdf"] == "scrypt"
    assert document["address"].lower() == address.lower().removeprefix("0x")
    assert oct(keystore.stat().st_mode & 0o777) == "0o600"

    checked = run({**env, "KEYSTORE_FILE": str(keystore), "KEYSTORE_PASSWORD": PASSPHRASE}, "check-wallet")
    assert checked.returncode == 0, checked.stderr
    assert f"Hot wallet is {address}" in checked.stdout
    assert "We have 0.000000 gas money left" in checked.stdout  # a fresh wallet
    assert PASSPHRASE not in checked.stdout + checked.stderr


def test_new_wallet_with_keystore_password_prints_only_the_address_and_never_overwrites(deployment, strategy_file, tmp_path):
    keystore = tmp_path / "wallet.json"
    env = {**wallet_env(deployment, strategy_file, tmp_path), "KEYSTORE_PASSWORD": PASSPHRASE}
    created = run(env, "new-wallet", f"--keystore-file={keystore}")
    assert created.returncode == 0, created.stderr
    (line,) = created.stdout.splitlines()
    assert line.startswith("account=0x") and "private key" not in created.stdout
    before = keystore.read_bytes()

    again = run(env, "new-wallet", f"--keystore-file={keystore}")
    assert again.returncode == 2
    assert again.stderr == f"Error: Keystore file {keystore} already exists; it is never overwritten (it may hold the only copy of a key). Fix: choose another --keystore-file path.\n"
    assert keystore.read_bytes() == before


def test_a_wrong_passphrase_exits_2_with_a_clear_message_and_no_secret(deployment, strategy_file, tmp_path):
    keystore = tmp_path / "wallet.json"
    env = wallet_env(deployment, strategy_file, tmp_path)
    light_keystore(keystore)
    for command in ("check-wallet", "start", "perform-test-trade", "close-all", "repair"):
        result = run({**env, "KEYSTORE_FILE": str(keystore), "KEYSTORE_PASSWORD": "not-the-passphrase"}, command)
        assert result.returncode == 2, (command, result.stderr)
        assert result.stderr == (
            f"Error: The passphrase does not open keystore file {keystore} (wrong passphrase). "
            "Fix: give the passphrase the file was written with (KEYSTORE_PASSWORD or the prompt).\n"
        ), command
        assert "not-the-passphrase" not in result.stdout + result.stderr


def test_no_passphrase_and_no_terminal_is_a_clear_error(deployment, strategy_file, tmp_path):
    keystore = tmp_path / "wallet.json"
    env = wallet_env(deployment, strategy_file, tmp_path)
    light_keystore(keystore)
    result = run({**env, "KEYSTORE_FILE": str(keystore)}, "check-wallet")
    assert result.returncode == 2
    assert result.stderr == (
        "Error: KEYSTORE_FILE is set, but KEYSTORE_PASSWORD is not set and there is no terminal to ask for the passphrase. "
        "Fix: set KEYSTORE_PASSWORD (in a secret .env file), or run the command in a terminal.\n"
    )


def test_the_passphrase_can_be_typed_for_a_live_command(deployment, strategy_file, tmp_path):
    keystore = tmp_path / "wallet.json"
    env = wallet_env(deployment, strategy_file, tmp_path)
    address = light_keystore(keystore)
    code, screen = run_in_terminal({**env, "KEYSTORE_FILE": str(keystore)}, ["check-wallet"], [("Passphrase of keystore", PASSPHRASE)])
    assert code == 0, screen
    assert f"Hot wallet is {address}" in screen and PASSPHRASE not in screen


def test_private_key_and_keystore_together_are_refused(deployment, strategy_file, tmp_path):
    keystore = tmp_path / "wallet.json"
    env = live_env(deployment, strategy_file, tmp_path / "state.json", KEYSTORE_FILE=str(keystore), KEYSTORE_PASSWORD=PASSPHRASE)
    result = run(env, "check-wallet")
    assert result.returncode == 2
    assert result.stderr == "Error: Both PRIVATE_KEY and KEYSTORE_FILE are set. Fix: keep one of them (the keystore file is the safer).\n"
