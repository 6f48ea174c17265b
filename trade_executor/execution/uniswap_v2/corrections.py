"""Correct the books to the chain: an operator's way out of an accounting mismatch.

Each difference the accounting check found becomes a balance-update event (cause ``correction``)
with the operator's note, never a silent edit: the reserve's in the portfolio ledger
(``Portfolio.record_balance_update``), a token's on the position that holds it
(``TradingPosition.balance_updates``, counted by ``get_quantity``), so profit, selling and the next
check all see what the wallet really holds, and the history still shows what the trades did.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from trade_executor.execution.uniswap_v2.treasury import AccountRow
from trade_executor.identifiers import AssetIdentifier
from trade_executor.state import BalanceUpdate, BalanceUpdateCause, State, TradingPosition


def correct_books(state: State, rows: list[AccountRow], timestamp: datetime.datetime, note: str, *, block: int | None) -> list[BalanceUpdate]:
    """Write each differing row of the books into the state; return the balance updates made.

    Rows outside the books (a token no position holds) are left alone: see ``outside_assets``.
    """
    portfolio = state.portfolio
    updates = []
    for row in rows:
        if not row.in_books or not row.difference:
            continue
        notes = f"{note} (correct-accounts at {timestamp:%Y-%m-%d %H:%M:%S} UTC: state {row.state}, chain {row.chain} at block {block})"
        if row.reserve:
            updates.append(portfolio.record_balance_update(BalanceUpdateCause.correction, row.asset, row.difference, timestamp, block_number=block, notes=notes))
            continue
        positions = [portfolio.frozen_positions.get(i) or portfolio.open_positions[i] for i in row.positions]
        for position, quantity in _shares(row.difference, positions):
            updates.append(portfolio.record_position_balance_update(position, BalanceUpdateCause.correction, quantity, timestamp, block_number=block, notes=notes))
            if position.get_quantity() == 0 and position.position_id in portfolio.open_positions:
                portfolio.close_position(position, timestamp)  # nothing left to hold or to sell
    return updates


def _shares(difference: Decimal, positions: list[TradingPosition]) -> list[tuple[TradingPosition, Decimal]]:
    """Split a token's difference between the positions holding it (frozen ones first: their fill was unclear).

    An excess goes to the first position; a shortfall is taken from each in turn, down to zero (the
    chain holds at least nothing, so the shortfall is never more than the positions hold together).
    """
    if difference > 0:
        return [(positions[0], difference)]
    shares = []
    missing = -difference
    for position in positions:
        taken = min(missing, position.get_quantity())
        if taken > 0:
            shares.append((position, -taken))
            missing -= taken
    return shares


def outside_assets(state: State, known: list[AssetIdentifier]) -> list[AssetIdentifier]:
    """Tokens the executor knows of (``TOKEN_<SYMBOL>``, earlier positions) that the books do not hold now.

    The wallet may hold some (an airdrop, a stray transfer). They are listed, and not taken into
    the books: no position asked for them, so no strategy decision covers them, and a position
    made for an unknown token would let the strategy sell something nobody chose to trade (an
    airdropped token can be a scam contract). Move them out of the hot wallet, or sell them by hand.
    """
    held = {r.asset.address.lower() for r in state.portfolio.reserves.values()}
    held |= {p.pair.base.address.lower() for p in [*state.portfolio.open_positions.values(), *state.portfolio.frozen_positions.values()]}
    candidates = [*known, *(p.pair.base for p in state.portfolio.closed_positions.values())]
    outside = {}
    for asset in candidates:
        if asset.address.lower() not in held:
            outside.setdefault(asset.address.lower(), asset)
    return list(outside.values())
