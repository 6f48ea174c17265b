"""Treasury sync and the accounting check: the state's books against the chain's.

Deposits and withdrawals are found as reserve-token Transfer events to or from the hot wallet
that are not part of our own swaps; everything else that moves a balance must be a trade in
state, so the accounting check can tell a lost trade from a deposit.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass, replace
from decimal import Decimal
from itertools import chain

from web3 import Web3

from trade_executor.chain.logs import LogReader
from trade_executor.chain.rpc_calls import RpcCaller
from trade_executor.errors import AccountingMismatch
from trade_executor.execution.uniswap_v2.receipts import TRANSFER_TOPIC
from trade_executor.identifiers import AssetIdentifier
from trade_executor.state import BalanceUpdateCause, LiveInfo, State


def _topic_for(address: str) -> str:
    return "0x" + "0" * 24 + address.lower().removeprefix("0x")


class OurTransactions:
    """Whether a transaction is one of our trades', looking from the newest trades back.

    A transfer being synced is almost always a swap made since the last sync, so it is found among
    the open positions or the last closed one; the whole history (a full set of every trade's
    hashes cost ~50 ms a cycle at 50,000 trades) is read only for a genuine deposit or withdrawal.
    """

    def __init__(self, state: State):
        portfolio = state.portfolio
        positions = chain(portfolio.open_positions.values(), portfolio.frozen_positions.values(), reversed(portfolio.closed_positions.values()))
        self._trades = chain((t for p in positions for t in reversed(p.trades.values())), reversed(portfolio.unfilled_trades.values()))
        self._seen: set[str] = set()

    def __contains__(self, tx_hash: str) -> bool:
        if tx_hash in self._seen:
            return True
        for trade in self._trades:
            self._seen.update(tx.tx_hash.lower() for tx in trade.blockchain_transactions)
            if tx_hash in self._seen:
                return True
        return False


def sync_treasury(web3: Web3, state: State, wallet: str, reserve: AssetIdentifier, timestamp: datetime.datetime, *, to_block: int | None = None) -> list[str]:
    """Record outside reserve transfers since the last synced block (up to ``to_block``, default the latest) as balance updates."""
    live = state.live or LiveInfo()
    state.live = live
    latest = web3.eth.block_number if to_block is None else to_block
    if live.treasury_synced_block is None:
        return _open_books(web3, state, wallet, reserve, timestamp, latest)
    start = live.treasury_synced_block + 1
    if start > latest:
        return []
    ours = OurTransactions(state)
    notes = []
    reader = LogReader(RpcCaller(web3.provider))  # chunked: a provider caps a log query's range and results
    for direction, cause, sign in (("to", BalanceUpdateCause.deposit, 1), ("from", BalanceUpdateCause.withdrawal, -1)):
        topics = [("0x" + TRANSFER_TOPIC), None, _topic_for(wallet)] if direction == "to" else [("0x" + TRANSFER_TOPIC), _topic_for(wallet)]
        for chunk in reader.read([reserve.address], topics, start, latest):
            for log in chunk.logs:
                tx_hash = log["transactionHash"].lower()
                if tx_hash in ours:
                    continue
                block = int(log["blockNumber"], 16)
                amount = Decimal(int(log["data"], 16)).scaleb(-reserve.decimals)
                state.portfolio.record_balance_update(cause, reserve, sign * amount, timestamp, block_number=block, tx_hash=tx_hash)
                notes.append(f"{cause.value} of {amount} {reserve.token_symbol} in block {block}")
    live.treasury_synced_block = latest
    return notes


def _open_books(web3: Web3, state: State, wallet: str, reserve: AssetIdentifier, timestamp: datetime.datetime, block: int) -> list[str]:
    """A new state: the wallet's reserve balance now is its opening deposit.

    The wallet's history before the first start is not the strategy's (and on a real chain it
    would be a scan from genesis); from here on every transfer is synced block by block.
    """
    balance = on_chain_balances(web3, wallet, [reserve], block)[reserve.address.lower()]
    state.live.treasury_synced_block = block
    if not balance:
        return []
    state.portfolio.record_balance_update(BalanceUpdateCause.deposit, reserve, balance, timestamp, block_number=block, notes="the wallet's balance at the first start")
    return [f"opening balance of {balance} {reserve.token_symbol} at block {block}"]


BALANCE_OF_SELECTOR = "0x70a08231"


def on_chain_balances(web3: Web3, wallet: str, assets: list[AssetIdentifier], block: int | None = None) -> dict[str, Decimal]:
    """Every token's balance of the wallet at ``block`` (default the latest), in one JSON-RPC batch."""
    if not assets:
        return {}
    data = BALANCE_OF_SELECTOR + "0" * 24 + wallet.lower().removeprefix("0x")
    at = "latest" if block is None else hex(block)
    calls = [("eth_call", [{"to": Web3.to_checksum_address(a.address), "data": data}, at]) for a in assets]
    responses = RpcCaller(web3.provider).batch(calls)  # a 429 from a provider is waited out, not a crash
    balances = {}
    for asset, response in zip(assets, responses, strict=True):
        if "error" in response:
            raise ConnectionError(f"balanceOf({wallet}) on {asset.token_symbol} failed: {response['error']}")
        balances[asset.address.lower()] = Decimal(int(response["result"], 16)).scaleb(-asset.decimals)
    return balances


@dataclass(frozen=True, slots=True)
class AccountRow:
    """One token at one block: what the books say the wallet holds, and what it holds on chain.

    ``positions``: the open and frozen positions holding the token. A token neither the reserve nor
    a position holds is outside the books (an airdrop, a stray transfer): listed, never a mismatch.
    """

    asset: AssetIdentifier
    state: Decimal
    chain: Decimal
    reserve: bool = False
    positions: tuple[int, ...] = ()

    @property
    def difference(self) -> Decimal:
        return self.chain - self.state

    @property
    def in_books(self) -> bool:
        return self.reserve or bool(self.positions)

    @property
    def held_by(self) -> str:
        if not self.in_books:
            return "not in the books"
        return ", ".join((["reserve"] if self.reserve else []) + [f"position #{i}" for i in self.positions])


def expected_balances(state: State) -> dict[str, AccountRow]:
    """What the books say the wallet holds, by token address (lower case); ``chain`` still zero."""
    expected: dict[str, AccountRow] = {}
    for reserve in state.portfolio.reserves.values():
        expected[reserve.asset.address.lower()] = AccountRow(reserve.asset, reserve.quantity, Decimal(0), reserve=True)
    for position in list(state.portfolio.frozen_positions.values()) + list(state.portfolio.open_positions.values()):
        asset = position.pair.base
        row = expected.get(asset.address.lower(), AccountRow(asset, Decimal(0), Decimal(0)))
        expected[asset.address.lower()] = replace(row, state=row.state + position.get_quantity(), positions=(*row.positions, position.position_id))
    return expected


def account_rows(web3: Web3, state: State, wallet: str, outside_assets: Iterable[AssetIdentifier] = (), *, block: int | None = None) -> list[AccountRow]:
    """Every token of the books against the chain at ``block``, then ``outside_assets`` the books do not hold (state 0)."""
    expected = expected_balances(state)
    for asset in outside_assets:
        expected.setdefault(asset.address.lower(), AccountRow(asset, Decimal(0), Decimal(0)))
    actual = on_chain_balances(web3, wallet, [row.asset for row in expected.values()], block)
    return [replace(row, chain=actual[address]) for address, row in expected.items()]


def format_accounts(rows: list[AccountRow]) -> str:
    """The table operators read: asset, who holds it in the books, state, chain, difference."""
    lines = [f"  {'asset':<8} {'held by':<18} {'state':>30} {'chain':>30} {'difference':>30}"]
    for row in rows:
        flag = "  <- differs" if row.in_books and row.difference else ""
        lines.append(f"  {row.asset.token_symbol:<8} {row.held_by:<18} {row.state:>30f} {row.chain:>30f} {row.difference:>+30f}{flag}")
    return "\n".join(lines)


def check_accounts(web3: Web3, state: State, wallet: str, *, block: int | None = None) -> list[AccountRow]:
    """Stop with a table when any token's on-chain balance differs from what the state says we hold.

    ``block``: compare with the chain at this block, the one the state was brought up to (trades
    mined after it are not in the state yet, and must not be in the balances either).
    """
    rows = account_rows(web3, state, wallet, block=block)
    if any(row.difference for row in rows):
        at = f" at block {block}" if block is not None else ""
        raise AccountingMismatch(
            f"The state does not match the hot wallet {wallet} on chain{at}:\n{format_accounts(rows)}\n"
            f"Nothing more will trade. {MISMATCH_FIX}",
            [(row.asset.token_symbol, f"{row.state}", f"{row.chain}") for row in rows],
        )
    return rows


MISMATCH_FIX = (
    "Find the cause (a transfer to or from the wallet outside the executor, an unrecorded trade). "
    "`trade-executor check-accounts` shows this table at any time (it writes nothing); once you know the chain is right, "
    "`trade-executor correct-accounts --note \"who: why\"` writes the differences into the state as balance corrections, "
    "after you confirm them. Then start again."
)
