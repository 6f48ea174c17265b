"""What a dress rehearsal would have done, in a few lines: fills, gas, and what changed in the books and the wallet.

Functions of State (and of wallet balances the caller read), so the summary is the same whoever runs it.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from trade_executor.state import State, TradeExecution


@dataclass(frozen=True)
class Books:
    """The books before a rehearsal: what its summary compares the end with."""

    cash: Decimal
    open_positions: dict[int, tuple[str, Decimal]]  # position id -> (ticker, quantity)
    last_trade_id: int


def all_trades(state: State) -> list[TradeExecution]:
    portfolio = state.portfolio
    trades = [t for p in portfolio.get_all_positions() for t in p.trades.values()] + list(portfolio.unfilled_trades.values())
    return sorted(trades, key=lambda t: t.trade_id)


def books_of(state: State) -> Books:
    open_positions = {p.position_id: (p.pair.ticker, p.get_quantity()) for p in state.portfolio.open_positions.values()}
    return Books(state.portfolio.get_cash(), open_positions, max((t.trade_id for t in all_trades(state)), default=0))


def describe_trade(trade: TradeExecution) -> str:
    """One line: the fill and its gas, or why nothing moved."""
    side = "buy" if trade.is_buy else "sell"
    head = f"  #{trade.trade_id} {side} {trade.pair.ticker}"
    if not trade.is_success:
        return f"{head}: {trade.status.value}: {trade.failure_reason or 'no reason recorded'}"
    reserve, base = trade.reserve_currency.token_symbol, trade.pair.base.token_symbol
    tx = trade.blockchain_transactions[-1] if trade.blockchain_transactions else None
    gas = f"; gas {tx.gas_used:,} ({trade.gas_cost_native:f} native); tx {tx.tx_hash} in block {tx.block_number}" if tx and tx.gas_used else ""
    return (
        f"{head}: {abs(trade.executed_quantity):f} {base} at {trade.executed_price:.10g} {reserve} for {trade.executed_reserve:f} {reserve}, "
        f"LP fee {trade.lp_fees_paid:f} {reserve}{gas}"
    )


def rehearsal_summary(before: Books, after: State, wallet_before: dict[str, Decimal], wallet_after: dict[str, Decimal]) -> list[str]:
    """The lines to print: the trades made, gas, the books' and the wallet's changes (balances by symbol)."""
    trades = [t for t in all_trades(after) if t.trade_id > before.last_trade_id]
    lines = [f"Trades ({len(trades)}, {sum(t.is_success for t in trades)} filled):"]
    lines += [describe_trade(t) for t in trades] or ["  none: the strategy decided no trade"]
    gas_units = sum(tx.gas_used or 0 for t in trades for tx in t.blockchain_transactions)
    reserve_symbol = next((t.reserve_currency.token_symbol for t in trades), "")
    lines.append(f"Gas of the swaps: {gas_units:,} gas, {sum((t.gas_cost_native or Decimal(0) for t in trades), Decimal(0)):f} native")
    lines.append(f"Cash in the books: {before.cash:f} -> {after.portfolio.get_cash():f} {reserve_symbol}".rstrip())
    now_open = {p.position_id: (p.pair.ticker, p.get_quantity()) for p in after.portfolio.open_positions.values()}
    opened = sorted(set(now_open) - set(before.open_positions))
    closed = sorted(set(before.open_positions) - set(now_open))
    changed = sorted(i for i in set(now_open) & set(before.open_positions) if now_open[i] != before.open_positions[i])
    lines.append(
        f"Open positions: {len(before.open_positions)} -> {len(now_open)}"
        + "".join(f"; #{i} {now_open[i][0]} opened ({now_open[i][1]:f})" for i in opened)
        + "".join(f"; #{i} {before.open_positions[i][0]} closed" for i in closed)
        + "".join(f"; #{i} {now_open[i][0]} {before.open_positions[i][1]:f} -> {now_open[i][1]:f}" for i in changed)
    )
    if after.portfolio.frozen_positions:
        lines.append(f"Frozen positions: {', '.join(f'#{i}' for i in sorted(after.portfolio.frozen_positions))} (a real run would need repair)")
    lines.append("Wallet on the fork: " + "; ".join(f"{symbol} {wallet_before[symbol]:f} -> {wallet_after.get(symbol, Decimal(0)):f}" for symbol in wallet_before))
    return lines
