"""A live `start` on anvil never takes a damaged or foreign state file for a new one: a file missing
fields, or a backtest's file, is refused with the path and the field, exit non-zero, byte for byte intact."""

import json
import subprocess
from pathlib import Path

from trade_executor.chain.wallet import HotWallet
from trade_executor.state import JSONFileStore

from .conftest import HOT_WALLET_KEY
from .test_crash_recovery import TRADE_EXECUTOR, live_env, start, swaps_on_chain

BACKTESTABLE = Path(__file__).resolve().parents[2] / "strategies" / "round_trip_strategy.py"


# What is cut from a genuine state (the item at a key path; None: all but the schema version), and what the refusal says.
CUTS = {
    "only the schema version": (None, "is missing `name` (at the top level)"),
    "no portfolio": (("portfolio",), "is missing `portfolio` (at the top level)"),
    "a trade without its status": (("portfolio", "open_positions", "1", "trades", "1", "status"), 'is missing `status` (in `portfolio.open_positions["1"].trades["1"]`)'),
    "a position without its pair": (("portfolio", "open_positions", "1", "pair"), 'is missing `pair` (in `portfolio.open_positions["1"]`)'),
}


def cut(genuine: bytes, keys) -> bytes:
    if keys is None:
        return b'{"schema_version": 1}'
    document = json.loads(genuine)
    *parents, last = keys
    container = document
    for key in parents:
        container = container[key]
    del container[last]
    return json.dumps(document).encode()


def test_a_state_file_missing_fields_is_refused_with_the_field_and_left_intact(deployment, strategy_file, tmp_path):
    state_file = tmp_path / "state.json"
    env = live_env(deployment, strategy_file, state_file)
    assert start(env).returncode == 0  # a genuine state: the alternating strategy bought
    genuine = state_file.read_bytes()
    wallet = JSONFileStore(state_file).load().live.hot_wallet

    outcomes = {}
    for name, (keys, _) in CUTS.items():
        damaged = cut(genuine, keys)
        state_file.write_bytes(damaged)
        result = start(env)
        shown = subprocess.run([str(TRADE_EXECUTOR), "show-positions"], env=env, capture_output=True, text=True, timeout=60)
        outcomes[name] = (state_file.read_bytes() == damaged, result.returncode != 0, result.stderr, shown.returncode, shown.stderr)
    assert {name: outcome[:2] for name, outcome in outcomes.items()} == dict.fromkeys(CUTS, (True, True)), {n: o[2][-300:] for n, o in outcomes.items()}
    for name, (_, expected) in CUTS.items():
        _, _, stderr, shown_code, shown_stderr = outcomes[name]
        assert f"Error: State file {state_file} {expected}" in stderr, stderr
        assert "It was not modified. Restore it from a backup" in stderr
        assert "Traceback" not in stderr and len(stderr.strip().splitlines()) == 1, stderr
        assert shown_code == 1 and expected in shown_stderr  # read-only commands refuse it the same way
    assert swaps_on_chain(deployment, wallet) == 1  # nothing traded on a damaged state

    state_file.write_bytes(genuine)
    restored = start(env)  # the genuine file carries on: the sell of the position it holds
    assert restored.returncode == 0, restored.stderr
    assert swaps_on_chain(deployment, wallet) == 2


def test_a_live_start_on_a_backtests_state_file_is_refused_by_name(deployment, strategy_file, tmp_path):
    state_file = tmp_path / "backtest.json"
    made = subprocess.run(
        [str(TRADE_EXECUTOR), "backtest", f"--strategy-file={BACKTESTABLE}", f"--state-file={state_file}"], capture_output=True, text=True, timeout=120,
        env={**live_env(deployment, strategy_file, state_file), "EXECUTION_TYPE": "backtest"},
    )
    assert made.returncode == 0, made.stderr
    before = state_file.read_bytes()

    result = start(live_env(deployment, strategy_file, state_file))
    assert state_file.read_bytes() == before, "the live start rewrote the backtest's state"
    assert result.returncode == 2, result.stderr
    assert f"Error: State file {state_file} holds a backtest of {BACKTESTABLE} from 2021-03-01 00:00:00 to 2021-03-03 23:00:00, not a live run" in result.stderr
    assert "Fix: point STATE_FILE (or --state-file) at the live run's file (by default state/alternate.json)" in result.stderr
    assert swaps_on_chain(deployment, HotWallet(HOT_WALLET_KEY).address) == 0


def test_a_live_start_on_another_chains_run_is_refused_by_name(deployment, strategy_file, tmp_path):
    state_file = tmp_path / "state.json"
    env = live_env(deployment, strategy_file, state_file)
    assert start(env).returncode == 0  # a genuine state of this chain (31337): the strategy bought
    document = json.loads(state_file.read_bytes())
    document["live"]["chain_id"] = 56  # as if STATE_FILE named the BNB Chain run's file
    state_file.write_bytes(json.dumps(document).encode())
    before = state_file.read_bytes()

    result = start(env)
    assert state_file.read_bytes() == before, "the live start rewrote another chain's run"
    assert result.returncode == 2, result.stderr
    assert f"Error: State file {state_file} is a live run on chain 56; this strategy trades on chain 31337. Use the STATE_FILE of this chain's run." in result.stderr
    assert swaps_on_chain(deployment, HotWallet(HOT_WALLET_KEY).address) == 1
