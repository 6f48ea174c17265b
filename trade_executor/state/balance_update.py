"""Balance updates: changes of what we hold that no trade made.

A deposit or withdrawal of the reserve, interest, or an operator's correction of the books to
what the chain holds (``trade-executor correct-accounts``). Both the portfolio (its reserve
ledger) and a position (corrections of its token) keep them, so the record lives apart from both.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from trade_executor.identifiers import AssetIdentifier


class BalanceUpdateCause(StrEnum):
    deposit = "deposit"
    withdrawal = "withdrawal"
    interest = "interest"
    correction = "correction"


@dataclass(slots=True)
class BalanceUpdate:
    """A change of a balance that no trade made, and why; ``position_id`` when it corrects a position's token."""

    balance_update_id: int
    cause: BalanceUpdateCause
    asset: AssetIdentifier
    quantity: Decimal
    timestamp: datetime.datetime
    block_number: int | None = None
    tx_hash: str | None = None
    notes: str = ""
    position_id: int | None = None
