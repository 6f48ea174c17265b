"""File-system faults under a live `start` on anvil, through the real CLI: a directory at the state
path, a read-only folder, a full disk, a file size limit and no file descriptors left are each one
line naming the path and the fix, exit non-zero, and the state file stays what it was (a save that
fails never lets a trade go out unrecorded). Temporary files of killed saves go at the next start.

The full disk is real: a 1 MiB tmpfs in a private mount namespace (`unshare -m`, which needs root or
user namespaces; skipped without them). Root ignores folder modes, so the read-only folder is tried
by root without the capabilities that let it. The file size limit (RLIMIT_FSIZE, with SIGXFSZ ignored as a
service manager may set it) and the descriptor limit (RLIMIT_NOFILE) are lowered with prlimit on
the running executor, after its first cycle, as when connections pile up.
"""

import ctypes
import errno
import os
import resource
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest

from trade_executor.state import JSONFileStore, TradeStatus

from .test_crash_recovery import TRADE_EXECUTOR, cache_path_for, live_env, start, swaps_on_chain
from .test_webhook_live import STRATEGY as TWO_SECOND_STRATEGY

PR_CAPBSET_DROP = 24


def one_error_line(stderr: str) -> str:
    """The only thing the operator reads: exactly one line, an Error, no traceback."""
    assert "Traceback" not in stderr, stderr
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("Error: "), stderr
    return lines[0]


def assert_intact(state_file, deployment) -> None:
    """The file loads, and it holds every swap the wallet made on chain: nothing went out unrecorded."""
    state = JSONFileStore(state_file).load()
    recorded = [t for p in state.portfolio.get_all_positions() for t in p.trades.values() if t.blockchain_transactions]
    assert all(t.status is TradeStatus.success for t in recorded)
    assert swaps_on_chain(deployment, state.live.hot_wallet) == len(recorded)
    assert [p.name for p in state_file.parent.glob(f".{state_file.name}.*.tmp")] == []


def running_after_one_cycle(env, state_file, preexec_fn=None) -> subprocess.Popen:
    process = subprocess.Popen([str(TRADE_EXECUTOR), "start"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, preexec_fn=preexec_fn)
    deadline = time.monotonic() + 90
    while True:
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, "no cycle in time"
        try:
            if JSONFileStore(state_file).load().live.cycles_completed >= 1:
                return process
        except Exception:  # noqa: BLE001 - not written yet
            pass
        time.sleep(0.05)


def ignore_sigxfsz() -> None:
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit then fails with EFBIG instead of killing


@pytest.fixture
def fast_strategy(tmp_path):
    path = tmp_path / "alternate_2s.py"
    path.write_text(TWO_SECOND_STRATEGY)
    return path


def fast_env(deployment, strategy, state_file, **extra):
    return live_env(deployment, strategy, state_file, RUN_SINGLE_CYCLE="false", MAX_CYCLES="20", POSITION_TRIGGER_CHECK_MINUTES="0.01", **extra)


def test_a_directory_at_the_state_path_is_named_with_the_fix(deployment, strategy_file, tmp_path):
    folder = tmp_path / "state"
    folder.mkdir()
    backtest = ["backtest", f"--strategy-file={Path(__file__).resolve().parents[2] / 'strategies' / 'round_trip_strategy.py'}", f"--state-file={folder}"]
    # start locks the file first; a backtest reads what is there first (it locks only to save)
    for args, first_step in ((["start"], "lock"), (backtest, "read")):
        result = subprocess.run([str(TRADE_EXECUTOR), *args], env=live_env(deployment, strategy_file, folder), cwd=tmp_path, capture_output=True, text=True, timeout=120)
        line = one_error_line(result.stderr)
        assert result.returncode == 1
        assert line == (
            f"Error: Cannot {first_step} state file {folder}: {folder} is a directory (Is a directory).{' Nothing was written.' if first_step == 'lock' else ''} "
            f"Fix: point STATE_FILE (or --state-file) at a file inside it, e.g. {folder}/<strategy-id>.json."
        )
        assert "Backtest summary" not in result.stdout  # refused before it ran
    assert os.listdir(folder) == []


def without_root_powers() -> None:
    """Root writes anywhere: drop the capabilities that let it (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH), so folder modes apply as to any user."""
    libc = ctypes.CDLL(None, use_errno=True)
    for capability in (1, 2):
        if libc.prctl(PR_CAPBSET_DROP, capability, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP)")


def test_a_read_only_state_folder_is_named_with_the_fix_before_anything_trades(deployment, strategy_file, tmp_path):
    folder = tmp_path / "state"
    state_file = folder / "alternate.json"
    env = live_env(deployment, strategy_file, state_file)
    assert start(env).returncode == 0  # a genuine state: the alternating strategy bought
    before = state_file.read_bytes()
    folder.chmod(0o555)
    try:
        result = subprocess.run([str(TRADE_EXECUTOR), "start"], env=env, capture_output=True, text=True, timeout=120, preexec_fn=without_root_powers if os.geteuid() == 0 else None)
    finally:
        folder.chmod(0o755)
    assert state_file.read_bytes() == before
    line = one_error_line(result.stderr)
    assert result.returncode == 1
    assert line == (
        f"Error: Cannot lock state file {state_file}: this user may not write in {folder} (Permission denied). Nothing was written. "
        f"Fix: make {folder} writable for the user running trade-executor, or point STATE_FILE at a writable folder."
    )
    assert swaps_on_chain(deployment, JSONFileStore(state_file).load().live.hot_wallet) == 1


def _can_mount_tmpfs(where) -> bool:
    probe = subprocess.run(["unshare", "-m", "sh", "-c", f"mount -t tmpfs -o size=64k tmpfs {where}"], capture_output=True)
    return probe.returncode == 0


def test_a_disk_that_fills_up_mid_run_stops_the_executor_with_one_line_and_the_state_intact(deployment, fast_strategy, tmp_path):
    disk = tmp_path / "disk"
    disk.mkdir()
    if shutil.which("unshare") is None or not _can_mount_tmpfs(disk):
        pytest.skip("no private mount namespace here (unshare -m needs root or user namespaces): the file size limit test covers the same path")
    state_file = disk / "state.json"
    after = tmp_path / "after.json"
    script = f'mount -t tmpfs -o size=1m tmpfs {disk} && {TRADE_EXECUTOR} start; code=$?; cp {state_file} {after}; ls -a {disk} > {tmp_path / "listing"}; exit $code'
    process = subprocess.Popen(["unshare", "-m", "sh", "-c", script], env=fast_env(deployment, fast_strategy, state_file), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    inside = f"/proc/{process.pid}/root{disk}"  # the executor's view of its tmpfs
    try:
        deadline = time.monotonic() + 90
        while not os.path.exists(f"{inside}/{state_file.name}") or JSONFileStore(f"{inside}/{state_file.name}").load().live.cycles_completed < 1:
            assert process.poll() is None and time.monotonic() < deadline, process.communicate()
            time.sleep(0.05)
        with open(f"{inside}/filler", "wb") as filler:  # fill the disk
            with pytest.raises(OSError) as full:
                while True:
                    filler.write(b"\0" * 65536)
                    filler.flush()
            assert full.value.errno == errno.ENOSPC
        _, stderr = process.communicate(timeout=120)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    line = one_error_line(stderr)
    assert process.returncode == 1
    assert line == (
        f"Error: Cannot save state file {state_file}: the disk is full (No space left on device). The state file was not modified (the last save is intact). "
        f"Fix: free space on the disk that holds {disk}, then start again."
    )
    assert_intact(after, deployment)
    assert sorted((tmp_path / "listing").read_text().split()) == [".", "..", "filler", "state.json"]  # no temporary file; the lock went with the command


@pytest.mark.parametrize(
    ("limit", "expected"),
    [
        (resource.RLIMIT_FSIZE, "the file would exceed this process's file size limit (File too large). The state file was not modified (the last save is intact). Fix: raise the limit (`ulimit -f unlimited`, or the service's LimitFSIZE), then start again."),
        (resource.RLIMIT_NOFILE, "this process is out of file descriptors (Too many open files). The state file was not modified (the last save is intact). Fix: raise the limit (`ulimit -n`, Docker's `--ulimit nofile=`), and look for what holds them (many open connections?), then start again."),
    ],
    ids=["file-size-limit", "no-file-descriptors"],
)
def test_a_process_limit_reached_mid_run_stops_the_executor_with_one_line_and_the_state_intact(deployment, fast_strategy, tmp_path, limit, expected):
    state_file = tmp_path / "state.json"
    process = running_after_one_cycle(fast_env(deployment, fast_strategy, state_file), state_file, preexec_fn=ignore_sigxfsz)
    try:
        if limit == resource.RLIMIT_FSIZE:
            value = 1000  # smaller than the state
        else:
            used = {int(fd) for fd in os.listdir(f"/proc/{process.pid}/fd")}
            value = min(set(range(len(used) + 1)) - used)  # the lowest free descriptor: no new one can be opened
        resource.prlimit(process.pid, limit, (value, value))
        _, stderr = process.communicate(timeout=120)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    cache = cache_path_for(state_file) / "chain-data"  # the cycle's chain-data commit may meet the limit first: as clear a line
    assert one_error_line(stderr) in (
        f"Error: Cannot save state file {state_file}: {expected}",
        f"Error: Cannot write the chain-data cache {cache}: {expected.replace('The state file was not modified (the last save is intact).', 'What it held before is intact (a later run reads the missing blocks again).')}",
    )
    assert process.returncode == 1
    assert_intact(state_file, deployment)


def test_temporary_files_of_killed_saves_are_removed_at_the_next_start(deployment, strategy_file, tmp_path):
    state_file = tmp_path / "state.json"
    env = live_env(deployment, strategy_file, state_file)
    assert start(env).returncode == 0
    genuine = state_file.read_bytes()
    leftovers = [tmp_path / f".state.json.{suffix}.tmp" for suffix in ("k2j4h5_x", "9aa8x0qz", "zz01mmkq")]
    for leftover in leftovers:  # what a save killed between its write and its rename leaves
        leftover.write_bytes(genuine[: len(genuine) // 2])
    others = [tmp_path / ".other.json.k2j4h5_x.tmp", tmp_path / "state.json.bak"]
    for other in others:
        other.write_bytes(b"not ours")

    shown = subprocess.run([str(TRADE_EXECUTOR), "show-positions"], env=env, capture_output=True, text=True, timeout=60)
    assert shown.returncode == 0 and all(p.exists() for p in leftovers)  # a reader never removes them: a writer may be saving

    restarted = start(env)
    assert [p.name for p in leftovers if p.exists()] == [], "leftovers of killed saves are still there"
    assert restarted.returncode == 0, restarted.stderr
    assert all(p.read_bytes() == b"not ours" for p in others)
    state = JSONFileStore(state_file).load()  # the state carried on from the genuine file: the position it held was sold
    assert len(state.portfolio.closed_positions) == 1
