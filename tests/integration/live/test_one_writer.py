"""One writer per state file, through the real CLI on anvil: a second `start`, `repair`, `console`,
`close-all`, `perform-test-trade` or backtest beside a running `start` stops at once with exit 2
naming the holder; read-only commands work meanwhile; a SIGKILLed holder leaves no stale lock."""

import os
import signal
import subprocess
import time
from pathlib import Path

from trade_executor.chain.connection import create_web3
from trade_executor.execution.uniswap_v2.treasury import check_accounts
from trade_executor.state import JSONFileStore, TradeStatus

from .test_crash_recovery import TRADE_EXECUTOR, live_env, swaps_on_chain
from .test_webhook_live import STRATEGY as TWO_SECOND_STRATEGY

BACKTESTABLE = Path(__file__).resolve().parents[2] / "strategies" / "round_trip_strategy.py"


def launch(env, *args: str) -> subprocess.Popen:
    return subprocess.Popen([str(TRADE_EXECUTOR), "start", *args], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def run(env, *args: str, cwd=None, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([str(TRADE_EXECUTOR), *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=120, input=stdin)


def wait_until_running(process: subprocess.Popen, state_file, timeout: float = 60) -> None:
    """Until the executor has saved its state once (after start-up recovery): it is then the file's writer."""
    deadline = time.monotonic() + timeout
    while not state_file.exists():
        if process.poll() is not None:
            raise AssertionError(f"the executor exited ({process.returncode}) before it ran: {process.stderr.read()}")
        assert time.monotonic() < deadline, "the executor did not save its state in time"
        time.sleep(0.05)


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.kill()
        process.wait()


def in_use_by_start(process: subprocess.Popen, state_file) -> str:
    return f"State file {state_file} is in use by trade-executor start (PID {process.pid}); a second writer would lose trades."


def test_a_second_start_on_the_same_state_file_stops_at_once_and_the_first_trades_on_losing_nothing(deployment, tmp_path):
    strategy_file = tmp_path / "alternate_2s.py"
    strategy_file.write_text(TWO_SECOND_STRATEGY)
    state_file = tmp_path / "state.json"
    first = launch(live_env(deployment, strategy_file, state_file, RUN_SINGLE_CYCLE="false", MAX_CYCLES="4", POSITION_TRIGGER_CHECK_MINUTES="0.01"))
    try:
        wait_until_running(first, state_file)
        second = run(live_env(deployment, strategy_file, state_file), "start")
        assert second.returncode == 2, f"the second writer ran: exit {second.returncode}\n{second.stdout}\n{second.stderr}"
        assert in_use_by_start(first, state_file) in second.stderr
        assert "Trading" not in second.stdout
        assert first.wait(timeout=120) == 0, first.stderr.read()
    finally:
        stop(first)
    assert "Completed 4 cycle(s)" in first.stdout.read()

    state = JSONFileStore(state_file).load()
    trades = [t for p in state.portfolio.get_all_positions() for t in p.trades.values()]
    assert len(trades) == 4 and all(t.status is TradeStatus.success for t in trades)
    assert swaps_on_chain(deployment, state.live.hot_wallet) == len(trades)  # every swap on chain is in the state
    check_accounts(create_web3(deployment.url), state, state.live.hot_wallet)


def test_repair_console_close_all_perform_test_trade_and_a_backtest_are_refused_beside_a_running_start_and_readers_work(deployment, strategy_file, tmp_path):
    state_file = tmp_path / "state.json"
    env = live_env(deployment, strategy_file, state_file, RUN_SINGLE_CYCLE="false", POSITION_TRIGGER_CHECK_MINUTES="0.01")
    holder = launch(env)  # an hourly strategy: it waits for the next hour, checking triggers
    try:
        wait_until_running(holder, state_file)
        before = state_file.read_bytes()
        writers = {
            "repair": run(env, "repair"),
            "console": run(env, "console", stdin="print('console opened')\n"),
            "close-all": run(env, "close-all"),
            "perform-test-trade": run(env, "perform-test-trade"),
            "backtest": run(env, "backtest", f"--strategy-file={BACKTESTABLE}", f"--state-file={state_file}"),
        }
        assert {name: result.returncode for name, result in writers.items()} == dict.fromkeys(writers, 2), {n: r.stderr for n, r in writers.items()}
        for result in writers.values():
            assert in_use_by_start(holder, state_file) in result.stderr
            assert "Stop that process first, or use read-only commands (show-positions, report)." in result.stderr
        assert swaps_on_chain(deployment, create_web3(deployment.url).eth.account.from_key(env["PRIVATE_KEY"]).address) == 0
        assert state_file.read_bytes() == before

        shown = run(env, "show-positions")
        assert shown.returncode == 0, shown.stderr
        assert "Open positions: 0" in shown.stdout
        checked = run(env, "check-wallet")
        assert checked.returncode == 0, checked.stderr
        assert holder.poll() is None  # the writer runs on
    finally:
        stop(holder)


def test_a_killed_holder_leaves_no_stale_lock_and_other_spellings_of_the_path_meet_the_lock(deployment, strategy_file, tmp_path):
    state_file = tmp_path / "state.json"
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "link.json").symlink_to(state_file)
    env = live_env(deployment, strategy_file, state_file, RUN_SINGLE_CYCLE="false", POSITION_TRIGGER_CHECK_MINUTES="0.01")
    holder = launch(env)
    try:
        wait_until_running(holder, state_file)
        relative = run(live_env(deployment, strategy_file, "../state.json"), "start", cwd=tmp_path / "elsewhere")
        linked = run(live_env(deployment, strategy_file, tmp_path / "link.json"), "start")
        assert (relative.returncode, linked.returncode) == (2, 2), (relative.stderr, linked.stderr)
        assert f"(PID {holder.pid})" in relative.stderr and f"(PID {holder.pid})" in linked.stderr
        holder.send_signal(signal.SIGKILL)
        holder.wait()
    finally:
        stop(holder)

    after = run(live_env(deployment, strategy_file, state_file), "start")  # one cycle: the alternating strategy buys
    assert after.returncode == 0, after.stderr
    assert "Completed 1 cycle(s)" in after.stdout
    state = JSONFileStore(state_file).load()
    assert len(state.portfolio.open_positions) == 1
    assert os.path.islink(tmp_path / "link.json")
