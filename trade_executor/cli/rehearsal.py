"""Dress rehearsal: `perform-test-trade --simulate` and `start --simulate`, on a throwaway fork of the configured node.

The real execution path (approve, sign, the eth_call check, broadcast, confirm, treasury sync,
accounting check) runs against anvil forking the node at its latest block (chain/fork.py), with
the wallet's real balances there, from a throwaway copy of the live state in a temporary folder:
the rehearsal starts from the real positions and the real state file is never written (nor
locked). Webhook, notifications and metrics stay off, so nothing a rehearsal does is announced as
a trade. At the end it prints what would have happened; the fork and the copy are discarded.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import typer

from trade_executor.errors import ConfigurationError

REHEARSAL = "dress rehearsal"
# start's options that shape a rehearsal's cycles; the rest (webhook, notifications, schedule) do not apply.
START_SETTINGS = (
    "confirmation_block_count", "confirmation_timeout", "max_data_delay_minutes", "max_price_deviation", "twap_window_minutes",
    "min_gas_balance", "from_block",
)


@dataclass
class Rehearsal:
    trader: object  # runner.live.LiveTrader on the fork
    fork: object  # chain.fork.Fork
    real_state: Path


def copy_live_state(real: Path, copy: Path) -> str:
    """Write the live state's whole document (snapshot and journal, read only) to ``copy``, marked as a rehearsal."""
    from trade_executor.state.ownership import describe_run
    from trade_executor.state.store import JSONFileStore

    if not real.exists():
        return f"a new state (no live state at {real} yet)"
    state = JSONFileStore(real).load()
    if state.backtest is not None or state.live is None or state.live.rehearsal:
        raise ConfigurationError(f"State file {real} holds {describe_run(state)}; a dress rehearsal starts from a live state. Fix: point STATE_FILE at the live run's file.")
    state.live.rehearsal = REHEARSAL
    JSONFileStore(copy).save(state)
    return f"a copy of {real} ({len(state.portfolio.open_positions)} open position(s), cash {state.portfolio.get_cash():f})"


@contextmanager
def rehearsal(strategy_file: Path, state_file: Path | None, json_rpc_url: str | None, **live) -> Iterator[Rehearsal]:
    """A LiveTrader on a fork of the node, on a throwaway copy of the live state; the summary is printed at the end."""
    from trade_executor.chain.fork import Fork
    from trade_executor.cli.live_wiring import build_live_trader, json_rpc_url_for
    from trade_executor.cli.state_files import live_state_file
    from trade_executor.reporting.rehearsal import books_of, rehearsal_summary
    from trade_executor.secrets import redact_url, register_secret
    from trade_executor.strategy.module import load_strategy_module

    strategy = load_strategy_module(strategy_file)
    node_url = json_rpc_url_for(strategy.chain_id, json_rpc_url).split()[0]  # the first node: what a live start asks first
    register_secret(node_url, replacement=redact_url(node_url))
    real_state = live_state_file(state_file, strategy_file)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="trade-executor-rehearsal-") as folder:
        copy = Path(folder) / real_state.name
        source = copy_live_state(real_state, copy)
        with Fork(node_url, expected_chain_id=strategy.chain_id) as fork:
            typer.echo(f"Dress rehearsal on a fork of chain {fork.chain_id} at block {fork.block:,} of {fork.node} (forked in {fork.start_seconds:.2f} s), from {source}.")
            typer.echo("Nothing is sent to the node; the fork and the state copy are discarded at the end.")
            trader = build_live_trader(strategy_file, copy, json_rpc_url=fork.url, cache_path=Path(folder) / "cache", clock=fork.now, **live)
            trader.state.live.rehearsal = REHEARSAL  # before the first save, as a new state has no mark yet
            before = books_of(trader.state)
            trading = time.perf_counter()
            try:
                yield Rehearsal(trader, fork, real_state)
            finally:
                trading = time.perf_counter() - trading
                try:
                    wallet_before, wallet_after = _wallet(trader, fork.block), _wallet(trader, None)
                    lines = rehearsal_summary(before, trader.state, wallet_before, wallet_after)
                except Exception as e:  # noqa: BLE001 - the rehearsal's own error is the one to report
                    lines = [f"(no summary: the fork could not be read: {type(e).__name__})"]
                typer.echo("What would have happened:")
                for line in lines:
                    typer.echo(f" {line}")
    typer.echo(
        f"Fork discarded; {real_state} was not modified. The rehearsal took {time.perf_counter() - started:.2f} s "
        f"(fork start {fork.start_seconds:.2f} s, trading {trading:.2f} s)."
    )


def _wallet(trader, block: int | None) -> dict[str, Decimal]:
    """The hot wallet's native, reserve and traded tokens on the fork, by symbol; ``block`` None: now."""
    from trade_executor.execution.uniswap_v2.treasury import on_chain_balances

    assets = {trader.reserve.address.lower(): trader.reserve}
    pairs = list(trader.universe.pairs.values()) if trader.universe is not None else []
    pairs += [p.pair for p in trader.state.portfolio.get_all_positions()]
    assets.update((p.base.address.lower(), p.base) for p in pairs)
    balances = on_chain_balances(trader.web3, trader.wallet.address, list(assets.values()), block=block)
    native = Decimal(trader.web3.eth.get_balance(trader.wallet.address, "latest" if block is None else block)).scaleb(-18)
    return {"native": native, **{asset.token_symbol: balances[address] for address, asset in assets.items()}}


def rehearse_start(params: dict) -> None:
    """`start --simulate`: recovery, then MAX_CYCLES cycles (default 1) on the fork, the first now and each next one
    at its cycle boundary in the fork's time (an empty block is mined there: no one else trades on the fork)."""
    from trade_executor.cli.common import setup_logging

    if not params["execution_type"].is_hot_wallet:
        raise ConfigurationError(
            f"--simulate rehearses live trading on a fork of the node; EXECUTION_TYPE={params['execution_type'].value} does not trade live. "
            "Fix: set EXECUTION_TYPE=uniswap_v2_hot_wallet (uniswap_v3_hot_wallet for a strategy on a Uniswap v3 exchange), or drop --simulate."
        )
    setup_logging(params["log_level"].value)
    cycles = 1 if params["run_single_cycle"] else (params["max_cycles"] or 1)
    settings = {name: params[name] for name in START_SETTINGS}
    with rehearsal(
        params["strategy_file"], params["state_file"], params["json_rpc_url"], private_key=params["private_key"], router=params["uniswap_v2_router"],
        factory=params["uniswap_v2_factory"], keystore_file=params["keystore_file"], keystore_password=params["keystore_password"],
        unresolved_trades=params["unresolved_trades"].value, execution_type=params["execution_type"].value, **settings,
    ) as run:
        trader, fork = run.trader, run.fork
        trader.recover()
        for number in range(1, cycles + 1):
            at = fork.now() if number == 1 else trader.next_cycle_at(fork.now())
            fork.advance_to(at)
            trades = trader.run_cycle(at)
            typer.echo(f"Cycle {number} of {cycles} at {at} (fork time): {len(trades)} trade(s)")
