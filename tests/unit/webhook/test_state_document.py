"""A save costs the webhook nothing whatever the history: /state builds the whole document from the files
on request, once per save; the portfolio view counts each closed position's trades once."""

from __future__ import annotations

import httpx

from trade_executor.state import JSONFileStore, TradeStatus
from trade_executor.state.journaled_store import JournaledStore
from trade_executor.state.serialisation import state_to_json
from trade_executor.webhook.snapshot import MAX_TRADE_MARKERS, RECENT_TRADES, portfolio_view

from .conftest import _position, _trade, at, make_state


class CountingStore(JournaledStore):
    documents = 0

    def document(self) -> bytes:
        CountingStore.documents += 1
        return super().document()


def test_a_save_hands_over_a_handle_and_state_reads_the_files_once_when_asked(tracker, serve, tmp_path):
    state = make_state()
    store = CountingStore(tmp_path / "state.json", on_saved=tracker.state_saved)
    for cycle in range(5):  # a snapshot, then journal records
        state.cycle += 1
        state.stats.record(at(10 + cycle), 10_000.0, 7_150.0, 1)
        store.save(state)
    assert CountingStore.documents == 0  # no save built the document
    url = serve(tracker) + "/state"
    plain = httpx.get(url, headers={"Accept-Encoding": "identity"}).content
    compressed = httpx.get(url).content  # httpx asks for gzip and decodes it
    assert plain == compressed == state_to_json(state) == JSONFileStore(store.path).document()
    assert CountingStore.documents == 0  # the tracker follows the files itself (state_body.py)
    assert tracker.state_body.counters.builds == 1  # built once for this save, then served from memory
    state.cycle += 1
    store.save(state)
    assert httpx.get(url).content == state_to_json(state) and tracker.state_body.counters.builds == 2
    assert tracker.state_body.follower.counters.snapshot_reads == 1  # the second build read only the journal


def brute_force(state):
    """What the portfolio view showed before it tallied closed positions once: every trade, every time."""
    trades = sorted((t for p in state.portfolio.get_all_positions() for t in p.trades.values()), key=lambda t: t.trade_id)
    counts = {s.value: sum(t.status is s for t in trades) for s in TradeStatus}
    return counts, [t.trade_id for t in reversed(trades[-RECENT_TRADES:])], [t.trade_id for t in trades[-MAX_TRADE_MARKERS:] if t.is_success]


def test_the_portfolio_view_tallies_closed_positions_as_they_close():
    state = make_state()
    for round_ in range(3):
        for i in range(300):
            position = _position(state, at(5 + i), "1500")
            _trade(state, position, at(5 + i), "1", "1500")
            if i % 7 == 0:
                _trade(state, position, at(5 + i), "-1", "1", fail="reverted")
            _trade(state, position, at(5 + i), "-1", "1500")
            state.portfolio.close_position(position, at(6 + i))
        view = portfolio_view(state)
        counts, recent, markers = brute_force(state)
        assert dict(view.trade_counts) == counts, round_
        assert [row["trade_id"] for row in view.recent_trades] == recent
        assert len(view.trade_markers) == len(markers)
    other = make_state()  # another state (a test, a restart): counted afresh, not mixed with the first
    assert dict(portfolio_view(other).trade_counts) == brute_force(other)[0]
