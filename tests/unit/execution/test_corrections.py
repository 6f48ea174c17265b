"""correct-accounts' bookkeeping: each difference becomes a balance-update event where the token is held."""

import datetime
from dataclasses import replace
from decimal import Decimal

from trade_executor.execution.uniswap_v2.corrections import correct_books, outside_assets
from trade_executor.execution.uniswap_v2.treasury import AccountRow, expected_balances, format_accounts
from trade_executor.identifiers import AssetIdentifier, TradingPairIdentifier
from trade_executor.state import BalanceUpdateCause, ReservePosition, State, TradeExecution, TradeType, TradingPosition
from trade_executor.state.serialisation import state_from_json, state_to_json

T0 = datetime.datetime(2024, 5, 1, 12)
USDC = AssetIdentifier(31337, "0x" + "aa" * 20, "USDC", 6)
ETH = AssetIdentifier(31337, "0x" + "bb" * 20, "ETH", 18)
BTC = AssetIdentifier(31337, "0x" + "cc" * 20, "BTC", 8)
PAIR = TradingPairIdentifier(ETH, USDC, "0x" + "dd" * 20, "uniswap-v2")


def position(position_id: int, quantity: str) -> TradingPosition:
    trade = TradeExecution(position_id * 10, position_id, PAIR, USDC, TradeType.rebalance, T0, Decimal(quantity), Decimal(3000), Decimal(300))
    trade.mark_success(executed_at=T0, quantity=Decimal(quantity), reserve=Decimal(3000), lp_fees=Decimal(9), price_impact=Decimal(0), gas_native=Decimal(0), gas_usd=Decimal(0))
    return TradingPosition(position_id, PAIR, USDC, T0, Decimal(300), T0, trades={trade.trade_id: trade})


def state_with(*positions: TradingPosition, frozen: tuple[TradingPosition, ...] = ()) -> State:
    state = State()
    state.portfolio.reserves[USDC.address] = ReservePosition(USDC, Decimal("500"))
    state.portfolio.open_positions = {p.position_id: p for p in positions}
    for p in frozen:
        p.frozen_at = T0
        state.portfolio.frozen_positions[p.position_id] = p
    return state


def rows_for(state: State, chain: dict[str, str]) -> list[AccountRow]:
    return [replace(row, chain=Decimal(chain[row.asset.token_symbol])) for row in expected_balances(state).values()]


def test_a_reserve_difference_is_a_correction_in_the_portfolio_ledger():
    state = state_with(position(1, "10"))
    (update,) = correct_books(state, rows_for(state, {"USDC": "512.5", "ETH": "10"}), T0, "alice: rebase", block=7)
    assert (update.cause, update.quantity, update.block_number, update.position_id) == (BalanceUpdateCause.correction, Decimal("12.5"), 7, None)
    assert state.portfolio.balance_updates == [update] and state.portfolio.get_cash() == Decimal("512.5")
    assert update.notes == "alice: rebase (correct-accounts at 2024-05-01 12:00:00 UTC: state 500, chain 512.5 at block 7)"


def test_a_token_excess_goes_to_the_position_and_counts_in_its_quantity_after_a_round_trip():
    state = state_with(position(1, "10"))
    (update,) = correct_books(state, rows_for(state, {"USDC": "500", "ETH": "10.5"}), T0, "airdrop", block=7)
    assert update.position_id == 1 and update.asset == ETH
    restored = state_from_json(state_to_json(state))
    assert restored.portfolio.open_positions[1].get_quantity() == Decimal("10.5")
    assert restored.portfolio.balance_updates == []  # the reserve ledger holds reserve changes only


def test_a_shortfall_is_taken_from_the_frozen_position_first_then_the_open_one():
    state = state_with(position(2, "10"), frozen=(position(1, "4"),))
    updates = correct_books(state, rows_for(state, {"USDC": "500", "ETH": "8"}), T0, "moved out", block=7)
    assert [(u.position_id, u.quantity) for u in updates] == [(1, Decimal(-4)), (2, Decimal(-2))]
    assert state.portfolio.frozen_positions[1].get_quantity() == 0 and state.portfolio.open_positions[2].get_quantity() == 8


def test_an_open_position_corrected_to_nothing_is_closed():
    state = state_with(position(1, "10"))
    correct_books(state, rows_for(state, {"USDC": "500", "ETH": "0"}), T0, "all moved out", block=7)
    assert not state.portfolio.open_positions and state.portfolio.closed_positions[1].closed_at == T0


def test_a_token_outside_the_books_is_listed_but_never_corrected():
    state = state_with()
    outside = outside_assets(state, [USDC, BTC])
    assert outside == [BTC]  # the reserve is in the books
    row = AccountRow(BTC, Decimal(0), Decimal("0.1"))
    assert not row.in_books and correct_books(state, [row], T0, "stray", block=7) == []
    assert "BTC      not in the books" in format_accounts([row]) and "differs" not in format_accounts([row])
