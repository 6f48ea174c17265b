"""Trade markers: one per settled swap, by what made it; failed swaps are not drawn."""

from __future__ import annotations

import datetime
from decimal import Decimal

from trade_executor.reporting.markers import MarkerKind, trade_markers
from trade_executor.state import State, TradeType


def test_each_settled_swap_is_one_marker_of_its_kind(sample_state: State):
    markers = trade_markers(sample_state)

    counts = {ticker: {kind.value: len(found) for kind, found in per_kind.items()} for ticker, per_kind in markers.items()}
    # ETH: the winner's buy and sell, the open position's buy (its failed sell is not drawn); BTC: a buy, a stop loss.
    assert counts == {"WETH-USDC": {"entry": 2, "exit": 1}, "WBTC-USDC": {"entry": 1, "stop_loss": 1}}
    stop = markers["WBTC-USDC"][MarkerKind.stop_loss][0]
    assert (stop.trade_id, stop.position_id, stop.at, stop.price, stop.quantity) == (
        4, 2, datetime.datetime(2021, 1, 2, 5), Decimal(18000), Decimal("-0.1"),
    )  # fmt: skip
    assert [m.at.day for m in markers["WETH-USDC"][MarkerKind.entry]] == [1, 4]


def test_marker_counts_equal_the_state_counts(sample_state: State):
    """Whatever the state holds, the kinds add up: buys are entries, sells split by trade type."""
    settled = [t for p in sample_state.portfolio.get_all_positions() for t in p.trades.values() if t.is_success]
    markers = [m for per_kind in trade_markers(sample_state).values() for kind, found in per_kind.items() for m in found]
    by_kind = {kind: sum(len(v.get(kind, [])) for v in trade_markers(sample_state).values()) for kind in MarkerKind}

    assert len(markers) == len(settled) == 5
    assert by_kind[MarkerKind.entry] == sum(1 for t in settled if t.is_buy)
    assert by_kind[MarkerKind.stop_loss] == sum(1 for t in settled if t.trade_type is TradeType.stop_loss)
    assert by_kind[MarkerKind.exit] == sum(1 for t in settled if t.is_sell and t.trade_type is TradeType.rebalance)


def test_take_profit_and_trailing_stop_have_their_own_kinds(sample_state: State):
    closing = sample_state.portfolio.closed_positions[1].get_closing_trade()
    closing.trade_type = TradeType.take_profit
    closing.trigger_price = Decimal(1190)
    sample_state.portfolio.closed_positions[2].get_closing_trade().trade_type = TradeType.trailing_stop_loss

    markers = trade_markers(sample_state)

    assert [m.trigger_price for m in markers["WETH-USDC"][MarkerKind.take_profit]] == [Decimal(1190)]
    assert len(markers["WBTC-USDC"][MarkerKind.trailing_stop_loss]) == 1
    assert MarkerKind.exit not in markers["WETH-USDC"]
