"""A backtest or a replay never writes over a live state, through the real CLI: with the documented
env file (STATE_FILE set for live) a backtest writes its own file; a live state, a file another
process writes, or a file that cannot be read is refused by name and left byte for byte."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from trade_executor.state import JSONFileStore

REPO = Path(__file__).resolve().parents[2]
STRATEGY = REPO / "tests" / "strategies" / "round_trip_strategy.py"  # 72 hourly cycles: a backtest in a second
LIVE_STATE = REPO / "tests" / "unit" / "state" / "old_files" / "first-live-release-live.json"  # a live run's file
DEVNET_ENV = REPO / "env" / "devnet-eth-usdc.env"  # STATE_FILE=state/devnet-eth-usdc.json, EXECUTION_TYPE=uniswap_v2_hot_wallet


def live_state_at(path: Path) -> bytes:
    path.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(LIVE_STATE, path)
    return path.read_bytes()


@pytest.mark.parametrize("command", [["backtest"], ["start", "--execution-type=backtest"]], ids=["backtest", "start-backtest"])
def test_a_backtest_with_the_documented_live_env_file_leaves_the_live_state_and_writes_its_own(te, tmp_path, command):
    live = tmp_path / "state" / "devnet-eth-usdc.json"
    before = live_state_at(live)
    result = te.run(f"--env-file={DEVNET_ENV}", *command, "--log-level=warning", cwd=tmp_path, env={"STRATEGY_FILE": str(STRATEGY)})
    assert live.read_bytes() == before, "the backtest wrote over the live state"
    assert result.returncode == 0, str(result)
    own = tmp_path / "state" / "round_trip_strategy-backtest.json"
    assert JSONFileStore(own).load().backtest is not None
    assert f"state saved to {Path('state') / own.name}" in result.stdout
    line = DEVNET_ENV.read_text().splitlines().index("STATE_FILE=state/devnet-eth-usdc.json") + 1
    assert f"Note: STATE_FILE=state/devnet-eth-usdc.json (in {DEVNET_ENV} line {line}) is the live executor's file" in result.stderr


@pytest.mark.parametrize("given_as", ["option", "environment"])
def test_a_backtest_refuses_a_live_state_file_by_name_and_writes_nothing(te, tmp_path, given_as):
    live = tmp_path / "live.json"
    before = live_state_at(live)
    if given_as == "option":
        result = te.run("backtest", f"--strategy-file={STRATEGY}", f"--state-file={live}", cwd=tmp_path)
        fix = "Fix: give --state-file=PATH for the backtest"
    else:
        result = te.run("backtest", f"--strategy-file={STRATEGY}", cwd=tmp_path, env={"STATE_FILE": str(live)})
        fix = "Fix: unset STATE_FILE (set in the shell) for backtests, or give --state-file=PATH"
    assert live.read_bytes() == before, "the backtest wrote over the live state"
    assert result.returncode == 2, str(result)
    assert (
        f"Error: State file {live} holds a live run (hot wallet 0x{'d4' * 20}, chain 31337, 1 cycles completed); "
        "a backtest never writes over it. Nothing was written." in result.stderr
    )
    assert fix in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["live.json"]  # no state/ folder, no backtest file, no lock left
    assert "Backtest summary" not in result.stdout  # refused before it ran


def test_a_backtest_never_writes_over_a_state_file_it_cannot_read(te, tmp_path):
    cut = tmp_path / "cut.json"
    cut.write_bytes(LIVE_STATE.read_bytes()[:500])  # a live state cut short (a full disk, a bad copy)
    result = te.run("backtest", f"--strategy-file={STRATEGY}", f"--state-file={cut}", cwd=tmp_path)
    assert cut.read_bytes() == LIVE_STATE.read_bytes()[:500]
    assert result.returncode == 1, str(result)
    assert f"Error: State file {cut} is not valid state JSON" in result.stderr and "It was not modified." in result.stderr


def test_a_backtest_replaces_its_own_earlier_file(te, tmp_path):
    first = te.run("backtest", f"--strategy-file={STRATEGY}", cwd=tmp_path)
    again = te.run("backtest", f"--strategy-file={STRATEGY}", cwd=tmp_path)
    assert (first.returncode, again.returncode) == (0, 0), str(again)
    assert JSONFileStore(tmp_path / "state" / "round_trip_strategy-backtest.json").load().backtest is not None


def test_a_backtest_writes_through_a_symlinked_state_file(te, tmp_path):
    (tmp_path / "runs").mkdir()
    (tmp_path / "latest.json").symlink_to(tmp_path / "runs" / "1.json")
    result = te.run("backtest", f"--strategy-file={STRATEGY}", f"--state-file={tmp_path / 'latest.json'}", cwd=tmp_path)
    assert result.returncode == 0, str(result)
    assert (tmp_path / "latest.json").is_symlink(), "the save replaced the link with a file"
    assert JSONFileStore(tmp_path / "runs" / "1.json").load().backtest is not None


def test_a_replay_refuses_a_live_state_file_by_name(te, tmp_path):
    live = tmp_path / "live.json"
    before = live_state_at(live)
    result = te.run("replay", f"--strategy-file={STRATEGY}", f"--state-file={live}", cwd=tmp_path)
    assert live.exists() and live.read_bytes() == before, "the replay deleted or replaced the live state"
    assert result.returncode == 2, str(result)
    assert f"Error: State file {live} holds a live run (hot wallet 0x{'d4' * 20}" in result.stderr and "a replay never writes over it" in result.stderr


def test_a_replay_ignores_state_file_from_the_environment_and_marks_its_own_file(te, tmp_path):
    live = tmp_path / "state" / "devnet-eth-usdc.json"
    before = live_state_at(live)
    result = te.run(f"--env-file={DEVNET_ENV}", "replay", cwd=tmp_path, env={"STRATEGY_FILE": str(STRATEGY)})
    assert live.read_bytes() == before, "the replay wrote over the live state"
    assert "Replayed 72 cycles" in result.stdout, str(result)  # exit 1 is the verdict on this strategy, not an error
    assert "Note: STATE_FILE=state/devnet-eth-usdc.json" in result.stderr and "is not a replay's file" in result.stderr
    replayed = JSONFileStore(tmp_path / "state" / "round_trip_strategy-replay.json").load()
    assert replayed.live.rehearsal == "replay"

    again = te.run("replay", f"--strategy-file={STRATEGY}", cwd=tmp_path)  # a replay replaces its own file
    assert "Replayed 72 cycles" in again.stdout, str(again)
    backtest = te.run("backtest", f"--strategy-file={STRATEGY}", f"--state-file={tmp_path / 'state' / 'round_trip_strategy-replay.json'}", cwd=tmp_path)
    assert backtest.returncode == 2 and "holds a replay on a throwaway chain" in backtest.stderr, str(backtest)
