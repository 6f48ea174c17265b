"""check-accounts and correct-accounts: the operator's way out of an accounting mismatch.

The live cycle stops when the state's balances differ from the hot wallet's on chain (an outside
transfer, an unrecorded trade). ``check-accounts`` shows the table at any time and writes
nothing, so it runs beside a live executor. ``correct-accounts`` writes the differences into the
state as balance-update events with the operator's note, after confirmation, so ``start`` can
trade again and the history still says what happened.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated

import typer

from trade_executor.cli.common import reports_errors, setup_logging
from trade_executor.cli.live_options import Factory, JsonRpcUrl, KeystoreFile, KeystorePassword, PrivateKey, Router
from trade_executor.cli.options import LogLevel, LogLevelOption, StateFile, StrategyFile
from trade_executor.errors import ConfigurationError, StateError, StopError

if TYPE_CHECKING:
    from trade_executor.execution.uniswap_v2.treasury import AccountRow
    from trade_executor.state import TradeExecution

Note = Annotated[
    str | None,
    typer.Option(
        "--note", envvar="CORRECTION_NOTE", show_envvar=True,
        help="Who corrects the books and why, kept with each correction in the state, e.g. \"alice: 0.5 WETH sent to the wallet by hand\".",
    ),
]
Yes = Annotated[
    bool,
    typer.Option(
        "--yes", envvar="CORRECTION_CONFIRMED", show_envvar=True,
        help="Write the corrections without asking (for scripts, after reading the table). Without it the command asks at a terminal and refuses in a pipe. Never set it in an env file.",
    ),
]


@dataclass
class Books:
    """The books brought up to one confirmed block in memory, against the chain at that block."""

    rows: list[AccountRow]
    block: int
    unresolved: list[TradeExecution]

    @property
    def differing(self) -> list[AccountRow]:
        return [row for row in self.rows if row.in_books and row.difference]


class _NotWritten:
    """A state store that keeps every save in memory: a check must never write the state file."""

    def __init__(self, path):
        self.path = path

    def save(self, state) -> None:
        pass


def read_books(trader) -> Books:
    """Settle mined trades and sync deposits up to the confirmed head, as the next cycle would, without saving; then compare.

    Without this a deposit since the last cycle would show as a difference, and correcting it would
    count it twice (once more when the cycle's treasury sync finds it).
    """
    from trade_executor.execution.uniswap_v2.corrections import outside_assets
    from trade_executor.execution.uniswap_v2.recovery import pending_trades
    from trade_executor.execution.uniswap_v2.treasury import account_rows, sync_treasury
    from trade_executor.state import ReservePosition

    store, trader.store = trader.store, _NotWritten(trader.store.path)
    try:
        now = trader.config.clock()
        head = trader.confirmed_head()
        trader.settle_mined(head)
        sync_treasury(trader.web3, trader.state, trader.wallet.address, trader.reserve, now, to_block=head)
        portfolio = trader.state.portfolio
        if not portfolio.reserves:
            portfolio.reserves[trader.reserve.address] = ReservePosition(trader.reserve, Decimal(0), now)
        known = [trader.loader.asset(symbol) for symbol in trader.loader.tokens]
        rows = account_rows(trader.web3, trader.state, trader.wallet.address, outside_assets(trader.state, known), block=head)
    finally:
        trader.store = store
    return Books(rows, head, pending_trades(trader.state))


def _load(strategy_file, state_file, json_rpc_url, private_key, router, factory, log_level, keystore_file, keystore_password, *, writer: str | None = None):
    """The trader and its books; ``writer`` (correct-accounts) takes the state file's writer lock first, a check takes none."""
    setup_logging(log_level.value)
    from trade_executor.cli.live_wiring import build_live_trader

    trader = build_live_trader(
        strategy_file, state_file, json_rpc_url=json_rpc_url, private_key=private_key, router=router, factory=factory,
        keystore_file=keystore_file, keystore_password=keystore_password, writer=writer,
    )
    if not trader.store.exists():
        raise StateError(f"State file {trader.store.path} does not exist: there are no books to check yet (`trade-executor start` creates them). Check STATE_FILE.")
    return trader, read_books(trader)


def show(trader, books: Books) -> None:
    from trade_executor.execution.uniswap_v2.treasury import format_accounts

    typer.echo(f"Hot wallet {trader.wallet.address}, state file {trader.store.path}, at block {books.block}:")
    typer.echo(format_accounts([row for row in books.rows if row.in_books or row.chain]))
    for trade in books.unresolved:
        tx = trade.blockchain_transactions[-1].tx_hash if trade.blockchain_transactions else "not sent"
        typer.echo(f"Unresolved: trade #{trade.trade_id} {trade.pair.ticker} {trade.status.value} ({tx}): counted once the chain settles it; `start` or `repair` resolves it.")
    for row in books.rows:
        if not row.in_books and row.chain:
            typer.echo(f"Outside the books: {row.chain:f} {row.asset.token_symbol} no position holds (an airdrop, a stray transfer). Not traded, not counted, never corrected: move it out of the wallet by hand if it matters.")


@reports_errors
def check_accounts(strategy_file: StrategyFile, state_file: StateFile = None, json_rpc_url: JsonRpcUrl = None, private_key: PrivateKey = None,
                   keystore_file: KeystoreFile = None, keystore_password: KeystorePassword = None,
                   uniswap_v2_router: Router = None, uniswap_v2_factory: Factory = None, log_level: LogLevelOption = LogLevel.warning) -> None:
    """Compare every token the state holds (reserve, open and frozen positions) with the hot wallet on chain; exit 1 on a difference.

    Writes nothing, so it is safe beside a running executor.
    """
    trader, books = _load(strategy_file, state_file, json_rpc_url, private_key, uniswap_v2_router, uniswap_v2_factory, log_level, keystore_file, keystore_password)
    show(trader, books)
    if books.differing:
        typer.echo(f"{len(books.differing)} token(s) differ. Find the cause, then `trade-executor correct-accounts --note \"who: why\"` writes the differences into the state.", err=True)
        raise typer.Exit(1)
    typer.echo("The books match the chain.")


@reports_errors
def correct_accounts(strategy_file: StrategyFile, state_file: StateFile = None, json_rpc_url: JsonRpcUrl = None, private_key: PrivateKey = None,
                     keystore_file: KeystoreFile = None, keystore_password: KeystorePassword = None,
                     uniswap_v2_router: Router = None, uniswap_v2_factory: Factory = None, log_level: LogLevelOption = LogLevel.warning,
                     note: Note = None, yes: Yes = False) -> None:
    """Write the differences check-accounts shows into the state as balance corrections, with a note, after confirmation."""
    from trade_executor.execution.uniswap_v2.corrections import correct_books
    from trade_executor.execution.uniswap_v2.treasury import check_accounts as check

    if not note or not note.strip():
        raise ConfigurationError("correct-accounts needs --note (or CORRECTION_NOTE): who corrects the books and why, kept with each correction. Fix: add --note \"alice: 0.5 WETH sent by hand\".")
    trader, books = _load(
        strategy_file, state_file, json_rpc_url, private_key, uniswap_v2_router, uniswap_v2_factory, log_level, keystore_file, keystore_password, writer="correct-accounts",
    )
    show(trader, books)
    if not books.differing:
        typer.echo("Nothing to correct: the books match the chain.")
        return
    if books.unresolved:
        raise StopError("Trades are unresolved (above): their tokens may still move, and correcting now would count them twice. Nothing was written. Fix: run `trade-executor repair` to resolve them from the chain, then correct-accounts again.")
    _confirm(len(books.differing), yes)
    now = trader.config.clock()
    for update in correct_books(trader.state, books.rows, now, note.strip(), block=books.block):
        where = f"position #{update.position_id}" if update.position_id is not None else "reserve"
        typer.echo(f"Recorded balance update #{update.balance_update_id}: {update.quantity:+f} {update.asset.token_symbol} ({where}, correction)")
    check(trader.web3, trader.state, trader.wallet.address, block=books.block)
    trader.save()
    typer.echo(f"The books match the chain at block {books.block}; saved {trader.store.path}. `trade-executor start` trades again.")


def stop_if_books_differ(trader, done: str) -> None:
    """After a command that cannot correct balances (``repair``): show a remaining difference and name the commands that can."""
    books = read_books(trader)
    if books.differing:
        show(trader, books)
        raise StopError(
            f"{done}, but the books still differ from the chain (table above); that needs a correction, not a repair. "
            "Fix: find the cause, then `trade-executor correct-accounts --note \"who: why\"` (check-accounts shows the table again)."
        )


def _confirm(count: int, yes: bool) -> None:
    """Ask at a terminal; a pipe or a service has no one to answer, so it is refused unless --yes says so."""
    if yes:
        return
    if not sys.stdin.isatty():
        raise ConfigurationError(
            "correct-accounts asks for confirmation, but there is no terminal to ask. Nothing was written. "
            "Fix: run it in a terminal, or add --yes once you have read the table and know the chain is right."
        )
    if not typer.confirm(f"Write these {count} correction(s) into the state?", default=False):
        typer.echo("Not confirmed: nothing was written.")
        raise typer.Exit(1)
