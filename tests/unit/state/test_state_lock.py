"""The writer lock beside a state file: one holder across processes, named when refused, gone with its process."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest

from trade_executor.errors import StateError, StateFileLocked
from trade_executor.state.lock import lock_state_file

HOLD = """
import sys, time
from trade_executor.state.lock import lock_state_file
lock_state_file(sys.argv[1], "trade-executor start")
print("held", flush=True)
time.sleep(60)
"""


@pytest.fixture
def holder(tmp_path):
    """Another process holding the lock of tmp_path/state.json (as a running `start` would)."""
    process = subprocess.Popen([sys.executable, "-c", HOLD, str(tmp_path / "state.json")], stdout=subprocess.PIPE, text=True)
    assert process.stdout.readline().strip() == "held"
    yield process
    process.kill()
    process.wait()


def test_a_second_process_is_refused_with_the_holders_pid_and_command(tmp_path, holder):
    with pytest.raises(StateFileLocked) as info:
        lock_state_file(tmp_path / "state.json", "trade-executor repair")
    assert (info.value.pid, info.value.command, info.value.exit_code) == (holder.pid, "trade-executor start", 2)
    assert str(info.value) == (
        f"State file {tmp_path / 'state.json'} is in use by trade-executor start (PID {holder.pid}); a second writer would lose trades. "
        "Stop that process first, or use read-only commands (show-positions, report)."
    )


def test_another_spelling_of_the_path_or_a_symlink_meets_the_same_lock(tmp_path, holder):
    (tmp_path / "sub").mkdir()
    (tmp_path / "link.json").symlink_to(tmp_path / "state.json")
    for path in (tmp_path / "sub" / ".." / "state.json", tmp_path / "link.json"):
        with pytest.raises(StateFileLocked):
            lock_state_file(path, "trade-executor repair")


def test_a_killed_holder_leaves_no_stale_lock(tmp_path, holder):
    holder.send_signal(signal.SIGKILL)
    holder.wait()
    with lock_state_file(tmp_path / "state.json", "trade-executor start") as lock:
        assert f'"pid": {os.getpid()}' in lock.lock_path.read_text()


def test_the_same_process_may_take_it_again_and_releases_it_when_the_last_user_does(tmp_path):
    outer = lock_state_file(tmp_path / "state.json", "trade-executor start")
    inner = lock_state_file(tmp_path / "state.json", "trade-executor start")
    assert inner is outer
    inner.release()
    refused = subprocess.run([sys.executable, "-c", HOLD, str(tmp_path / "state.json")], capture_output=True, text=True, timeout=60)
    assert "StateFileLocked" in refused.stderr
    outer.release()
    with lock_state_file(tmp_path / "state.json", "trade-executor start"):
        pass


def test_taking_the_lock_removes_leftover_temporary_files_of_this_state_file_only(tmp_path):
    leftovers = [tmp_path / ".state.json.k2j4h5.tmp", tmp_path / ".state.json.9aa8x.tmp"]
    others = [tmp_path / ".other.json.k2j4h5.tmp", tmp_path / "state.json.bak", tmp_path / "state.json"]
    for path in leftovers + others:
        path.write_text("x")
    with lock_state_file(tmp_path / "state.json", "trade-executor start"):
        assert [p for p in leftovers if p.exists()] == []
        assert all(p.exists() for p in others)


def test_a_directory_at_the_state_path_is_named_with_the_fix(tmp_path):
    (tmp_path / "state.json").mkdir()
    with pytest.raises(StateError, match=f"Cannot lock state file {tmp_path / 'state.json'}: .* is a directory .* Fix: point STATE_FILE"):
        lock_state_file(tmp_path / "state.json", "trade-executor start")


def test_the_holder_is_named_even_when_asked_the_moment_it_took_the_lock(tmp_path):
    """A holder writes its PID just after flock: a refusal in between waits briefly for it rather than saying "another process"."""
    import fcntl
    import threading

    lock_path = tmp_path / "state.json.lock"
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT)
    fcntl.flock(fd, fcntl.LOCK_EX)  # held through another open file description: the same as another process
    late = threading.Timer(0.1, lambda: os.pwrite(fd, b'{"pid": 42, "command": "x"}', 0))
    late.start()
    try:
        with pytest.raises(StateFileLocked, match=r"in use by x \(PID 42\)"):
            lock_state_file(tmp_path / "state.json", "trade-executor repair")
    finally:
        late.join()
        os.close(fd)


def test_a_released_lock_takes_its_file_with_it_and_a_check_for_a_holder_creates_nothing(tmp_path):
    from trade_executor.state.lock import raise_if_locked

    raise_if_locked(tmp_path / "state.json")
    assert list(tmp_path.iterdir()) == []
    with lock_state_file(tmp_path / "state.json", "trade-executor backtest") as lock:
        assert lock.lock_path.exists()
    assert list(tmp_path.iterdir()) == []


def test_a_check_for_a_holder_names_it(tmp_path, holder):
    from trade_executor.state.lock import raise_if_locked

    with pytest.raises(StateFileLocked, match=f"in use by trade-executor start \\(PID {holder.pid}\\)"):
        raise_if_locked(tmp_path / "state.json")
