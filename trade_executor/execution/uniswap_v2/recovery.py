"""On start, finish every trade a crash left between planned and confirmed, from the chain's word.

For each unfinished trade's recorded transaction:
- a receipt exists -> settle the trade from it (success or revert);
- no receipt, but the wallet's nonce has moved past it -> it was mined (look again) or replaced;
- not on chain and the nonce is free -> rebroadcast the same signed bytes (default), or cancel
  the nonce with a no-op and mark the trade failed, as the operator chooses;
- a trade never signed before the crash -> it never left; mark it failed (the strategy decides again).
Nothing here builds a new swap for an old decision.
"""

from __future__ import annotations

import logging
from enum import StrEnum

from trade_executor.chain.transactions import cancel_nonce, find_receipt
from trade_executor.errors import TransactionUnresolved
from trade_executor.execution.uniswap_v2.execution_model import UniswapV2ExecutionModel
from trade_executor.state import State, TradeExecution, TradeStatus

logger = logging.getLogger(__name__)


class UnresolvedPolicy(StrEnum):
    rebroadcast = "rebroadcast"
    fail = "fail"


def pending_trades(state: State) -> list[TradeExecution]:
    positions = list(state.portfolio.open_positions.values()) + list(state.portfolio.frozen_positions.values())
    return sorted((t for p in positions for t in p.trades.values() if t.is_pending), key=lambda t: t.trade_id)


def highest_nonce(state: State, address: str) -> int | None:
    nonces = [
        tx.nonce
        for p in state.portfolio.get_all_positions()
        for t in p.trades.values()
        for tx in t.blockchain_transactions
        if tx.from_address.lower() == address.lower()
    ]
    return max(nonces) if nonces else None


def recover(state: State, execution: UniswapV2ExecutionModel, policy: UnresolvedPolicy = UnresolvedPolicy.rebroadcast) -> list[str]:
    """Resolve every pending trade; return one line per trade saying what was done.

    ``execution.model_for(trade)`` settles each (the model of the trade's venue, when one wallet trades on several).
    """
    execution.builder.nonces.sync(highest_nonce(state, execution.wallet))
    report = []
    for trade in pending_trades(state):
        try:
            report.append(_resolve(state, execution.model_for(trade), trade, policy))
        except TransactionUnresolved as e:
            report.append(f"trade #{trade.trade_id}: still unresolved ({e})")
    return report


def settle_mined(state: State, execution: UniswapV2ExecutionModel, head: int) -> list[TradeExecution]:
    """Settle every sent trade the chain has mined at or below ``head``; leave the others pending.

    Called before each cycle and trigger check, so decisions see what the chain did. A trade still
    in flight stays in the books as pending: its cash is reserved and its tokens cannot be sold again.
    """
    settled = []
    for trade in pending_trades(state):
        if trade.status is not TradeStatus.broadcasted or not trade.blockchain_transactions:
            continue
        receipt = find_receipt(execution.web3, trade.blockchain_transactions[-1].tx_hash)
        if receipt is not None and receipt["blockNumber"] <= head:
            execution.model_for(trade).settle(state, trade, receipt)
            settled.append(trade)
    return settled


def _resolve(state: State, execution: UniswapV2ExecutionModel, trade: TradeExecution, policy: UnresolvedPolicy) -> str:
    web3 = execution.web3
    if not trade.blockchain_transactions:
        execution.fail(state, trade, "never signed before the executor stopped; nothing was sent")
        return f"trade #{trade.trade_id}: never sent, marked failed"
    tx = trade.blockchain_transactions[-1]
    receipt = find_receipt(web3, tx.tx_hash)
    if receipt is not None:
        execution.settle(state, trade, receipt)
        return f"trade #{trade.trade_id}: found on chain in block {receipt['blockNumber']}, settled ({trade.status.value})"
    mined_count = web3.eth.get_transaction_count(tx.from_address, "latest")
    if mined_count > tx.nonce:
        execution.fail(state, trade, f"nonce {tx.nonce} was used by another transaction; {tx.tx_hash} is not on chain")
        return f"trade #{trade.trade_id}: nonce taken by another transaction, marked failed"
    if policy is UnresolvedPolicy.rebroadcast:
        trade.status = TradeStatus.started
        execution.broadcast_and_settle(state, trade)
        if tx.revert_reason is not None and tx.broadcasted_at is None:
            return f"trade #{trade.trade_id}: was not on chain and would revert now ({tx.revert_reason}): not sent, marked failed"
        return f"trade #{trade.trade_id}: was not on chain, rebroadcast the same signed transaction: {trade.status.value}"
    cancel_nonce(execution.web3, execution.builder, tx.nonce, timeout=execution.confirmation_timeout)
    execution.fail(state, trade, "not on chain at restart; cancelled by the operator's policy")
    return f"trade #{trade.trade_id}: not on chain, nonce {tx.nonce} cancelled, marked failed"

