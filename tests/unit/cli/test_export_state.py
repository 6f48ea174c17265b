"""export-state: a live state file and its journal as one JSON document, on stdout or in a file that loads as a state."""

from __future__ import annotations

import datetime

import msgspec
import pytest

from trade_executor.state import JSONFileStore, LiveInfo, State
from trade_executor.state.journaled_store import JournaledStore
from trade_executor.state.serialisation import state_to_json

from .cli_env import clean_env, invoke  # noqa: F401 - clean_env is a fixture

pytestmark = pytest.mark.usefixtures("clean_env")


@pytest.fixture
def journaled(tmp_path) -> tuple[State, JournaledStore]:
    """A live state with saves in its journal besides the snapshot."""
    state = State(name="exported", live=LiveInfo(chain_id=31337))
    store = JournaledStore(tmp_path / "live.json")
    store.save(state)
    for hour in range(3):
        state.stats.record(datetime.datetime(2024, 1, 1, hour), 100.0 + hour, 50.0, 0)
        store.save(state)
    assert store.journal_file().exists()
    return state, store


def test_the_state_and_its_journal_go_to_stdout_as_one_document(journaled):
    state, store = journaled
    result = invoke("export-state", f"--state-file={store.path}")
    assert result.exit_code == 0, result.output
    assert result.stdout_bytes == state_to_json(state)
    assert msgspec.json.decode(result.stdout_bytes)["stats"]["total_equity"]["values"] == [100.0, 101.0, 102.0]


def test_the_document_written_to_a_file_is_a_state_file_of_its_own(journaled, tmp_path):
    state, store = journaled
    output = tmp_path / "backup" / "exported.json"
    result = invoke("export-state", f"--state-file={store.path}", env={"EXPORT_STATE_OUTPUT": str(output)})
    assert result.exit_code == 0, result.output
    assert f"Wrote the state of {store.path} to {output}" in result.stderr
    assert JSONFileStore(output).load() == state
    assert sorted(p.name for p in output.parent.iterdir()) == ["exported.json"]


@pytest.mark.parametrize("target", ["the state file", "another live state file"])
def test_an_export_never_writes_over_a_state_in_use(journaled, tmp_path, target):
    _, store = journaled
    output = store.path if target == "the state file" else tmp_path / "other.json"
    if target != "the state file":
        other = JournaledStore(output)
        other.save(State(name="other"))
        other.save(State(name="other", cycle=1))
    before = output.read_bytes()
    result = invoke("export-state", f"--state-file={store.path}", f"--output={output}")
    assert result.exit_code == 2
    assert "Nothing was written" in result.stderr and str(output) in result.stderr
    assert output.read_bytes() == before


def test_without_a_state_file_or_strategy_it_says_which_to_give():
    result = invoke("export-state")
    assert result.exit_code == 2 and "Give --state-file=PATH (STATE_FILE), or --strategy-file (STRATEGY_FILE)" in result.stderr
