"""The portfolio: reserves, positions and the ledger of outside balance changes."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from trade_executor.identifiers import AssetIdentifier
from trade_executor.state.balance_update import BalanceUpdate, BalanceUpdateCause
from trade_executor.state.position import TradingPosition
from trade_executor.state.trade import TradeExecution

ZERO = Decimal(0)


@dataclass(slots=True)
class ReservePosition:
    """Cash held in the reserve stablecoin."""

    asset: AssetIdentifier
    quantity: Decimal
    last_sync_at: datetime.datetime | None = None


@dataclass(slots=True)
class Portfolio:
    next_position_id: int = 1
    next_trade_id: int = 1
    next_balance_update_id: int = 1
    open_positions: dict[int, TradingPosition] = field(default_factory=dict)
    closed_positions: dict[int, TradingPosition] = field(default_factory=dict)
    frozen_positions: dict[int, TradingPosition] = field(default_factory=dict)
    reserves: dict[str, ReservePosition] = field(default_factory=dict)
    balance_updates: list[BalanceUpdate] = field(default_factory=list)
    # Trades that moved no tokens (skipped by a safety rule, or reverted / refused), by trade id.
    unfilled_trades: dict[int, TradeExecution] = field(default_factory=dict)

    def get_reserve(self) -> ReservePosition:
        """The one reserve position; a strategy has exactly one reserve currency."""
        return next(iter(self.reserves.values()))

    def get_cash(self) -> Decimal:
        if len(self.reserves) == 1:
            for reserve in self.reserves.values():
                return reserve.quantity
        return sum((r.quantity for r in self.reserves.values()), ZERO)

    def adjust_cash(self, delta: Decimal) -> None:
        self.get_reserve().quantity += delta

    def get_open_position_value(self) -> Decimal:
        return sum((p.get_value() for p in self.open_positions.values()), ZERO)

    def get_total_equity(self) -> Decimal:
        """Cash plus open and frozen positions at their last valuation."""
        frozen = sum((p.get_value() for p in self.frozen_positions.values()), ZERO)
        return self.get_cash() + self.get_open_position_value() + frozen

    def get_all_positions(self) -> list[TradingPosition]:
        everything = {**self.closed_positions, **self.frozen_positions, **self.open_positions}
        return [everything[k] for k in sorted(everything)]

    def allocate_position_id(self) -> int:
        position_id = self.next_position_id
        self.next_position_id += 1
        return position_id

    def allocate_trade_id(self) -> int:
        trade_id = self.next_trade_id
        self.next_trade_id += 1
        return trade_id

    def record_balance_update(
        self, cause: BalanceUpdateCause, asset: AssetIdentifier, quantity: Decimal, timestamp: datetime.datetime, **extra
    ) -> BalanceUpdate:
        """Add ``quantity`` (negative for a withdrawal) to the reserve and keep a record of why."""
        update = BalanceUpdate(self.next_balance_update_id, cause, asset, quantity, timestamp, **extra)
        self.next_balance_update_id += 1
        self.balance_updates.append(update)
        reserve = self.reserves.get(asset.address)
        if reserve is None:
            reserve = self.reserves[asset.address] = ReservePosition(asset, ZERO)
        reserve.quantity += quantity
        reserve.last_sync_at = timestamp
        return update

    def record_position_balance_update(
        self, position: TradingPosition, cause: BalanceUpdateCause, quantity: Decimal, timestamp: datetime.datetime, **extra
    ) -> BalanceUpdate:
        """Add ``quantity`` of the position's token that no trade moved (a correction to the chain) to the position."""
        update = BalanceUpdate(self.next_balance_update_id, cause, position.pair.base, quantity, timestamp, position_id=position.position_id, **extra)
        self.next_balance_update_id += 1
        position.balance_updates[update.balance_update_id] = update
        return update

    def close_position(self, position: TradingPosition, when: datetime.datetime) -> None:
        position.closed_at = when
        del self.open_positions[position.position_id]
        self.closed_positions[position.position_id] = position

    def record_unfilled(self, trade: TradeExecution) -> None:
        """Take a trade that moved nothing out of its position; a position it would have opened goes too.

        The position keeps only trades that moved (or may have moved) tokens, so its quantity,
        profit and statistics stay true, and it stays open and tradable as it was.
        """
        self.unfilled_trades[trade.trade_id] = trade
        for positions in (self.open_positions, self.frozen_positions):
            position = positions.get(trade.position_id)
            if position is not None and position.trades.pop(trade.trade_id, None) is not None:
                if not position.trades:
                    del positions[position.position_id]
                return

    def freeze_position(self, position: TradingPosition, when: datetime.datetime, reason: str) -> None:
        """Park a position whose trade failed; it stays out of trading until repaired."""
        position.frozen_at = when
        position.frozen_reason = reason
        self.open_positions.pop(position.position_id, None)
        self.frozen_positions[position.position_id] = position
