"""Treasury sync and the accounting check: the state's books against the chain's.

Deposits and withdrawals are found as reserve-token Transfer events to or from the hot wallet
that are not part of our own swaps; everything else that moves a balance must be a trade in
state, so the accounting check can tell a lost trade from a deposit.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from web3 import Web3

from trade_executor.errors import AccountingMismatch
from trade_executor.execution.uniswap_v2.receipts import TRANSFER_TOPIC
from trade_executor.identifiers import AssetIdentifier
from trade_executor.state import BalanceUpdateCause, LiveInfo, State


def _topic_for(address: str) -> str:
    return "0x" + "0" * 24 + address.lower().removeprefix("0x")


def our_transaction_hashes(state: State) -> set[str]:
    trades = [t for p in state.portfolio.get_all_positions() for t in p.trades.values()] + list(state.portfolio.unfilled_trades.values())
    return {tx.tx_hash.lower() for t in trades for tx in t.blockchain_transactions}


def sync_treasury(web3: Web3, state: State, wallet: str, reserve: AssetIdentifier, timestamp: datetime.datetime, *, to_block: int | None = None) -> list[str]:
    """Record outside reserve transfers since the last synced block (up to ``to_block``, default the latest) as balance updates."""
    live = state.live or LiveInfo()
    state.live = live
    latest = web3.eth.block_number if to_block is None else to_block
    start = (live.treasury_synced_block + 1) if live.treasury_synced_block is not None else 0
    if start > latest:
        return []
    ours: set[str] | None = None  # every trade's hashes: built only when a transfer needs classifying
    notes = []
    for direction, cause, sign in (("to", BalanceUpdateCause.deposit, 1), ("from", BalanceUpdateCause.withdrawal, -1)):
        topics = [("0x" + TRANSFER_TOPIC), None, _topic_for(wallet)] if direction == "to" else [("0x" + TRANSFER_TOPIC), _topic_for(wallet)]
        logs = web3.eth.get_logs({"address": reserve.address, "topics": topics, "fromBlock": start, "toBlock": latest})
        for log in logs:
            if ours is None:
                ours = our_transaction_hashes(state)
            tx_hash = Web3.to_hex(log["transactionHash"]).lower()
            if tx_hash in ours:
                continue
            amount = Decimal(int.from_bytes(bytes(log["data"]), "big")).scaleb(-reserve.decimals)
            state.portfolio.record_balance_update(cause, reserve, sign * amount, timestamp, block_number=log["blockNumber"], tx_hash=tx_hash)
            notes.append(f"{cause.value} of {amount} {reserve.token_symbol} in block {log['blockNumber']}")
    live.treasury_synced_block = latest
    return notes


BALANCE_OF_SELECTOR = "0x70a08231"


def on_chain_balances(web3: Web3, wallet: str, assets: list[AssetIdentifier], block: int | None = None) -> dict[str, Decimal]:
    """Every token's balance of the wallet at ``block`` (default the latest), in one JSON-RPC batch."""
    if not assets:
        return {}
    data = BALANCE_OF_SELECTOR + "0" * 24 + wallet.lower().removeprefix("0x")
    at = "latest" if block is None else hex(block)
    calls = [("eth_call", [{"to": Web3.to_checksum_address(a.address), "data": data}, at]) for a in assets]
    responses = web3.provider.make_batch_request(calls)
    balances = {}
    for asset, response in zip(assets, responses, strict=True):
        if "error" in response:
            raise ConnectionError(f"balanceOf({wallet}) on {asset.token_symbol} failed: {response['error']}")
        balances[asset.address.lower()] = Decimal(int(response["result"], 16)).scaleb(-asset.decimals)
    return balances


def expected_balances(state: State) -> dict[str, tuple[AssetIdentifier, Decimal]]:
    expected: dict[str, tuple[AssetIdentifier, Decimal]] = {}
    for reserve in state.portfolio.reserves.values():
        expected[reserve.asset.address.lower()] = (reserve.asset, reserve.quantity)
    for position in list(state.portfolio.open_positions.values()) + list(state.portfolio.frozen_positions.values()):
        asset = position.pair.base
        previous = expected.get(asset.address.lower(), (asset, Decimal(0)))[1]
        expected[asset.address.lower()] = (asset, previous + position.get_quantity())
    return expected


def check_accounts(web3: Web3, state: State, wallet: str, extra_assets: list[AssetIdentifier] = (), *, block: int | None = None) -> list[tuple[str, str, str]]:
    """Stop with a table when any token's on-chain balance differs from what the state says we hold.

    ``block``: compare with the chain at this block, the one the state was brought up to (trades
    mined after it are not in the state yet, and must not be in the balances either).
    """
    expected = expected_balances(state)
    for asset in extra_assets:
        expected.setdefault(asset.address.lower(), (asset, Decimal(0)))
    actual = on_chain_balances(web3, wallet, [asset for asset, _ in expected.values()], block)
    rows, wrong = [], False
    for address, (asset, quantity) in expected.items():
        chain = actual[address]
        rows.append((asset.token_symbol, f"{quantity}", f"{chain}"))
        wrong |= chain != quantity
    if wrong:
        table = "\n".join(f"  {symbol:<8} state {s:>28}  chain {c:>28}" + ("  <- differs" if Decimal(s) != Decimal(c) else "") for symbol, s, c in rows)
        raise AccountingMismatch(
            f"The state does not match the hot wallet {wallet} on chain:\n{table}\n"
            "Nothing more will trade. Find the cause (an unrecorded trade or transfer), then fix the state with `trade-executor repair`.",
            rows,
        )
    return rows
