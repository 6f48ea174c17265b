"""The journaled state through the real CLI on anvil: a SIGKILL in the middle of a compaction loses and doubles
nothing; a state file of schema version 1 is migrated at the first live start and kept as a backup; a newer
one is refused by name; a clean stop leaves the state file alone, holding everything."""

import json
import signal

import msgspec
import pytest

from trade_executor.chain.connection import create_web3
from trade_executor.execution.uniswap_v2.treasury import check_accounts
from trade_executor.state import JSONFileStore, TradeStatus

from .conftest import HOT_WALLET_KEY
from .test_crash_recovery import live_env, start, swaps_on_chain


def trades_of(state):
    return sorted((t for p in state.portfolio.get_all_positions() for t in p.trades.values()), key=lambda t: t.trade_id)


@pytest.mark.parametrize("crash_at", ["compaction_before_rename", "compaction_after_rename"])
def test_a_kill_during_a_compaction_loses_nothing_and_applies_nothing_twice(deployment, strategy_file, tmp_path, crash_at):
    state_file = tmp_path / "state.json"
    killed = start(live_env(deployment, strategy_file, state_file, TRADE_EXECUTOR_CRASH_AT=crash_at))
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    # Killed folding the first cycle's records (signed, sent, confirmed) into a new snapshot: the journal is still there.
    assert (tmp_path / "state.json.journal").exists()
    assert bool(list(tmp_path.glob(".state.json.*.tmp"))) == (crash_at == "compaction_before_rename")
    bought = JSONFileStore(state_file).load()
    assert [(t.trade_id, t.is_buy, t.status) for t in trades_of(bought)] == [(1, True, TradeStatus.success)]

    restarted = start(live_env(deployment, strategy_file, state_file))
    assert restarted.returncode == 0, restarted.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["alternate.py", "state.json"]  # a clean stop: one file, no leftovers

    state = JSONFileStore(state_file).load()
    assert [(t.trade_id, t.is_buy, t.status) for t in trades_of(state)] == [(1, True, TradeStatus.success), (2, False, TradeStatus.success)]
    wallet = create_web3(deployment.url).eth.account.from_key(HOT_WALLET_KEY).address
    assert swaps_on_chain(deployment, wallet) == 2
    assert len(state.portfolio.balance_updates) == 1  # the deposit, once
    # Before the rename the interrupted save (cycle 1's closing bookkeeping) never happened, as with a kill inside any save;
    # after it, the new snapshot holds it. Either way the journal's records were applied once.
    cycles = 2 if crash_at == "compaction_after_rename" else 1
    assert (len(state.stats), state.live.cycles_completed, state.cycle) == (cycles, cycles, cycles)
    check_accounts(create_web3(deployment.url), state, wallet)


def as_version_1(path) -> bytes:
    """The file as the releases before the journal wrote it: State as msgspec encodes it, schema version 1."""
    state = JSONFileStore(path).load()
    state.schema_version = 1
    return msgspec.json.Encoder(decimal_format="string").encode(state)


def test_a_version_1_state_is_migrated_at_the_first_live_start_and_kept_and_a_newer_one_is_refused(deployment, strategy_file, tmp_path):
    state_file = tmp_path / "state.json"
    env = live_env(deployment, strategy_file, state_file)
    assert start(env).returncode == 0  # the alternating strategy bought
    old = as_version_1(state_file)
    state_file.write_bytes(old)

    assert start(env).returncode == 0  # ...and now sells, from the migrated state
    assert (tmp_path / "state.json.v1.bak").read_bytes() == old
    assert json.loads(state_file.read_bytes())["schema_version"] == 2
    state = JSONFileStore(state_file).load()
    assert [(t.trade_id, t.is_buy, t.status) for t in trades_of(state)] == [(1, True, TradeStatus.success), (2, False, TradeStatus.success)]

    newer = json.loads(state_file.read_bytes())
    newer["schema_version"] = 3
    state_file.write_bytes(json.dumps(newer).encode())
    before = state_file.read_bytes()
    refused = start(env)
    assert refused.returncode == 1
    assert f"State file {state_file} has state schema version 3; this trade-executor reads version 2" in refused.stderr
    assert state_file.read_bytes() == before
    assert swaps_on_chain(deployment, state.live.hot_wallet) == 2
