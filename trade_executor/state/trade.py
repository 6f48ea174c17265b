"""A trade: one swap the strategy decided, from plan to settled fill."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum

from trade_executor.identifiers import AssetIdentifier, TradingPairIdentifier
from trade_executor.money import ratio


class TradeStatus(StrEnum):
    """planned -> started -> broadcasted -> success | failed (| repaired); planned -> skipped.

    ``failed`` and ``skipped`` trades moved no tokens: ``skipped`` was refused by a safety rule
    before it was signed (nothing was sent), ``failed`` was sent and reverted or never reached the
    chain. ``Portfolio.unfilled_trades`` keeps them; their position stays as it was.
    """

    planned = "planned"
    started = "started"
    broadcasted = "broadcasted"
    success = "success"
    failed = "failed"
    skipped = "skipped"
    repaired = "repaired"


class TradeType(StrEnum):
    """Why the trade was made; stop-loss style triggers are counted apart in the summary."""

    rebalance = "rebalance"
    stop_loss = "stop_loss"
    take_profit = "take_profit"
    trailing_stop_loss = "trailing_stop_loss"
    repair = "repair"
    test = "test"

    @property
    def is_trigger(self) -> bool:
        return self in (TradeType.stop_loss, TradeType.take_profit, TradeType.trailing_stop_loss)


@dataclass(slots=True)
class BlockchainTransaction:
    """A signed transaction, recorded in state before it is broadcast so a restart can find it."""

    chain_id: int
    from_address: str
    nonce: int
    tx_hash: str
    signed_bytes: str
    contract_address: str = ""
    function_name: str = ""
    broadcasted_at: datetime.datetime | None = None
    confirmed_at: datetime.datetime | None = None
    block_number: int | None = None
    status: bool | None = None
    revert_reason: str | None = None
    gas_used: int | None = None
    effective_gas_price: int | None = None


@dataclass(slots=True)
class TradeExecution:
    """One swap of a position.

    Quantities are base tokens (+ buy, - sell). ``executed_reserve`` is the reserve-currency
    amount that went through the pool (paid in on a buy, received on a sell); gas is apart
    (``gas_cost_usd``), so ``executed_price`` is the pool's price including LP fee and
    price impact, comparable between a backtest and a chain.
    """

    trade_id: int
    position_id: int
    pair: TradingPairIdentifier
    reserve_currency: AssetIdentifier
    trade_type: TradeType
    opened_at: datetime.datetime
    planned_quantity: Decimal
    planned_reserve: Decimal
    planned_price: Decimal
    status: TradeStatus = TradeStatus.planned
    started_at: datetime.datetime | None = None
    executed_at: datetime.datetime | None = None
    executed_quantity: Decimal | None = None
    executed_reserve: Decimal | None = None
    executed_price: Decimal | None = None
    lp_fees_paid: Decimal | None = None
    price_impact: Decimal | None = None
    gas_cost_native: Decimal | None = None
    gas_cost_usd: Decimal | None = None
    trigger_price: Decimal | None = None
    slippage_tolerance: Decimal | None = None
    # Live: the pool's spot and the manipulation-resistant reference price when the swap was checked.
    spot_price: Decimal | None = None
    reference_price: Decimal | None = None
    failure_reason: str | None = None
    notes: str = ""
    blockchain_transactions: list[BlockchainTransaction] = field(default_factory=list)
    # A backtest pays gas out of the trade's value; a live wallet pays it in the native token.
    gas_from_reserve: bool = True
    # Paper trading: the block whose pool reserves (and base fee) the fill was computed at.
    priced_at_block: int | None = None

    @property
    def is_buy(self) -> bool:
        return self.planned_quantity > 0

    @property
    def is_sell(self) -> bool:
        return self.planned_quantity < 0

    @property
    def is_success(self) -> bool:
        return self.status is TradeStatus.success

    @property
    def is_pending(self) -> bool:
        """Neither settled nor failed: the chain may still hold the answer."""
        return self.status in (TradeStatus.planned, TradeStatus.started, TradeStatus.broadcasted)

    def mark_success(
        self,
        *,
        executed_at: datetime.datetime,
        quantity: Decimal,
        reserve: Decimal,
        lp_fees: Decimal,
        price_impact: Decimal,
        gas_native: Decimal,
        gas_usd: Decimal,
    ) -> None:
        """Record a settled fill. ``quantity`` is signed like ``planned_quantity``."""
        self.status = TradeStatus.success
        self.executed_at = executed_at
        self.executed_quantity = quantity
        self.executed_reserve = reserve
        self.executed_price = ratio(reserve, abs(quantity))
        self.lp_fees_paid = lp_fees
        self.price_impact = price_impact
        self.gas_cost_native = gas_native
        self.gas_cost_usd = gas_usd

    def mark_failed(self, when: datetime.datetime, reason: str, *, skipped: bool = False) -> None:
        """No tokens moved: ``skipped`` when nothing was sent, failed when it was sent and reverted or refused."""
        self.status = TradeStatus.skipped if skipped else TradeStatus.failed
        self.executed_at = when
        self.failure_reason = reason

    def get_cash_delta(self) -> Decimal:
        """Reserve-currency change this settled trade caused (gas too, when the reserve paid it)."""
        if not self.is_success:
            return Decimal(0)
        gas = (self.gas_cost_usd or Decimal(0)) if self.gas_from_reserve else Decimal(0)
        if self.executed_quantity > 0:
            return -(self.executed_reserve + gas)
        return self.executed_reserve - gas

    def get_value_with_gas(self) -> Decimal:
        """What a buy cost or a sell brought, gas counted wherever it was paid from (for profit)."""
        if not self.is_success:
            return Decimal(0)
        gas = self.gas_cost_usd or Decimal(0)
        return self.executed_reserve + gas if self.executed_quantity > 0 else self.executed_reserve - gas

    def __str__(self) -> str:
        side = "buy" if self.is_buy else "sell"
        return f"<Trade #{self.trade_id} {side} {abs(self.planned_quantity):.6f} {self.pair.ticker} {self.status.value}>"
