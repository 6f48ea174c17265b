"""A state document is checked whole: a missing field is an error naming it, never a default; files
written by old releases (tests/unit/state/old_files, made by those releases) still load."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from trade_executor.errors import StateError
from trade_executor.state import JSONFileStore, State, TradeStatus
from trade_executor.state.serialisation import state_from_json, state_to_json
from trade_executor.state.validation import FIRST_RELEASE_FIELDS

OLD_FILES = Path(__file__).parent / "old_files"
FIRST_BACKTEST = OLD_FILES / "first-release-backtest.json"
FIRST_LIVE = OLD_FILES / "first-live-release-live.json"


def document(path: Path = FIRST_LIVE) -> dict:
    return json.loads(path.read_bytes())


def load(doc) -> State:
    return state_from_json(json.dumps(doc).encode(), source="State file s.json")


@pytest.mark.parametrize("path", [FIRST_BACKTEST, FIRST_LIVE], ids=["first release (backtest)", "first live release"])
def test_files_written_by_old_releases_load_and_round_trip(path):
    state = JSONFileStore(path).load()
    position = state.portfolio.open_positions[1]
    assert position.trades[1].status is TradeStatus.success
    assert position.trades[1].blockchain_transactions[0].gas_used == 110_000
    assert state.portfolio.unfilled_trades == {}  # a field added later: its default
    assert state_from_json(state_to_json(state)) == state


def test_the_required_fields_exist_on_their_classes():
    """A rename of a first-release field must be a conscious schema change, not a silent loss of the check."""
    import trade_executor.identifiers as identifiers
    import trade_executor.state as state_package
    from trade_executor.state.visualisation import Plot

    classes = {name: getattr(state_package, name, None) or getattr(identifiers, name, None) for name in FIRST_RELEASE_FIELDS}
    classes["Plot"] = Plot
    for name, required in FIRST_RELEASE_FIELDS.items():
        fields = {f.name for f in dataclasses.fields(classes[name])}
        assert set(required) <= fields, name


def dropping(*keys):
    """A cut that deletes the item at ``keys`` from the document."""

    def cut(doc: dict) -> dict:
        container = doc
        for key in keys[:-1]:
            container = container[key]
        del container[keys[-1]]
        return doc

    return cut


@pytest.mark.parametrize(
    ("cut", "field", "where"),
    [
        (lambda doc: {"schema_version": 1}, "name", "at the top level"),
        (dropping("portfolio"), "portfolio", "at the top level"),
        (dropping("portfolio", "open_positions"), "open_positions", "in `portfolio`"),
        (dropping("portfolio", "open_positions", "1", "trades", "1", "status"), "status", 'in `portfolio.open_positions["1"].trades["1"]`'),
        (dropping("portfolio", "balance_updates", 0, "quantity"), "quantity", "in `portfolio.balance_updates[0]`"),
        (dropping("live", "hot_wallet"), "hot_wallet", "in `live`"),
    ],
    ids=["only-schema-version", "no-portfolio", "no-open-positions", "trade-without-status", "balance-update-without-quantity", "live-without-wallet"],
)
def test_a_missing_field_is_named_with_where_it_is_missing(cut, field, where):
    with pytest.raises(StateError) as info:
        load(cut(document()))
    message = str(info.value)
    assert f"State file s.json is missing `{field}` ({where})" in message
    assert "not modified" in message


def test_a_wrong_type_is_named_by_its_path():
    doc = document()
    doc["portfolio"]["next_trade_id"] = "two"
    with pytest.raises(StateError, match="Expected `int`, got `str` - at `portfolio.next_trade_id`"):
        load(doc)


def test_fields_added_after_the_first_release_may_be_missing():
    doc = json.loads(state_to_json(JSONFileStore(FIRST_LIVE).load()))
    doc["portfolio"].pop("unfilled_trades")
    doc["live"].pop("rehearsal")
    trade = doc["portfolio"]["open_positions"]["1"]["trades"]["1"]
    for name in ("spot_price", "reference_price", "gas_from_reserve"):
        trade.pop(name)
    assert load(doc).portfolio.open_positions[1].trades[1].gas_from_reserve is True


def test_not_an_object_is_not_a_state():
    with pytest.raises(StateError, match="not a trade-executor state"):
        state_from_json(b"[1, 2]", source="State file s.json")
