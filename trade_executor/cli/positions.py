"""show-positions (the state file alone) and show-valuation (open positions at the pools' prices now).

Both only read: no writer lock, so they run beside a live executor.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import typer

from trade_executor.cli.common import reports_errors
from trade_executor.cli.live_options import Factory, JsonRpcUrl, KeystoreFile, KeystorePassword, PrivateKey, Router, TwapWindow
from trade_executor.cli.options import LogLevel, LogLevelOption, StateFile, StrategyFile


def _number(value: Decimal | None, places: int = 6) -> str:
    return "-" if value is None else f"{value:,.{places}f}"


def _position_line(row, symbol: str) -> str:
    """One position: what a trader asks first (how much, bought at, sold at, made or lost, fees)."""
    line = f"  #{row.position_id} {row.pair} quantity {row.quantity:f} opened {row.opened_at} at {_number(row.entry_price)}"
    if row.closed_at is not None:
        line += f", closed {row.closed_at} at {_number(row.exit_price)} ({row.reason})"
        pnl = "P&L"
    else:
        pnl = "P&L at the last revaluation"
    fees = row.lp_fees + row.gas
    return f"{line}: {pnl} {_number(row.profit, 2)} {symbol} ({row.profit_pct:+.2%}), fees {_number(fees, 2)} {symbol} (LP {_number(row.lp_fees, 2)}, gas {_number(row.gas, 2)})"


@reports_errors
def show_positions(strategy_file: StrategyFile, state_file: StateFile = None) -> None:
    """List open, frozen and closed positions from the state file with prices, P&L and fees (no chain needed)."""
    from trade_executor.reporting.trade_list import position_rows
    from trade_executor.state import JSONFileStore
    from trade_executor.strategy.module import strategy_id_of

    store = JSONFileStore(state_file or Path("state") / f"{strategy_id_of(strategy_file)}.json")
    state = store.load()
    portfolio = state.portfolio
    symbol = next(iter(portfolio.reserves.values())).asset.token_symbol if portfolio.reserves else ""
    rows = {row.position_id: row for row in position_rows(state)}
    typer.echo(f"Cash: {portfolio.get_cash():f}")
    if state.live is not None and state.live.pause is not None:
        typer.echo(f"Paused by {state.live.pause.paused_by} since {state.live.pause.paused_at}: the strategy's buys are skipped (webhook /control/resume ends it)")
    for title, positions in (("Open positions", portfolio.open_positions), ("Frozen positions", portfolio.frozen_positions), ("Closed positions", portfolio.closed_positions)):
        typer.echo(f"{title}: {len(positions)}")
        for position in positions.values():
            typer.echo(_position_line(rows[position.position_id], symbol))
            if position.frozen_reason and position.is_frozen():
                typer.echo(f"      frozen: {position.frozen_reason}")
            for trade in position.trades.values():
                tx = trade.blockchain_transactions[-1].tx_hash if trade.blockchain_transactions else "-"
                typer.echo(f"      trade #{trade.trade_id} {'buy' if trade.is_buy else 'sell'} {trade.status.value} {tx} {trade.notes}")
    unfilled = portfolio.unfilled_trades
    typer.echo(f"Trades that moved no tokens (skipped by a safety rule, or reverted): {len(unfilled)}")
    for trade in list(unfilled.values())[-20:]:
        tx = trade.blockchain_transactions[-1].tx_hash if trade.blockchain_transactions else "not sent"
        typer.echo(f"  trade #{trade.trade_id} {'buy' if trade.is_buy else 'sell'} {trade.pair.ticker} {trade.status.value} at {trade.executed_at} ({tx}): {trade.failure_reason}")


@reports_errors
def show_valuation(strategy_file: StrategyFile, state_file: StateFile = None, json_rpc_url: JsonRpcUrl = None, private_key: PrivateKey = None,
                   keystore_file: KeystoreFile = None, keystore_password: KeystorePassword = None,
                   uniswap_v2_router: Router = None, uniswap_v2_factory: Factory = None, log_level: LogLevelOption = LogLevel.warning,
                   twap_window_minutes: TwapWindow = None) -> None:
    """Value each open position now at its pool's reference price (the TWAP decisions use) and at the spot; writes nothing."""
    from trade_executor.cli.live_commands import _trader

    trader = _trader(strategy_file, state_file, json_rpc_url, private_key, uniswap_v2_router, uniswap_v2_factory, log_level, keystore_file, keystore_password,
                     twap_window_minutes=twap_window_minutes)
    portfolio = trader.state.portfolio
    symbol = trader.reserve.token_symbol
    now = trader.config.clock()
    universe = trader.build_universe()
    trader.read_prices(universe, now)
    typer.echo(f"Open positions at block {trader.web3.eth.block_number:,} ({now:%Y-%m-%d %H:%M:%S} UTC), before LP fees and price impact:")
    total_reference = total_spot = Decimal(0)
    for position in portfolio.open_positions.values():
        quantity = position.get_quantity()
        reference = trader.pricing.get_mid_price(position.pair)
        spot = trader.pricing.get_spot_price(position.pair)
        at_reference = None if reference is None else quantity * reference
        total_reference += at_reference or 0
        total_spot += quantity * spot
        gap = f", spot {(spot / reference - 1):+.2%} from the reference" if reference else ", no reference price yet (the pool's TWAP needs a few minutes)"
        typer.echo(
            f"  #{position.position_id} {position.pair.ticker} quantity {quantity:f}: {_number(at_reference, 2)} {symbol} at the reference price "
            f"{_number(reference)}, {_number(quantity * spot, 2)} {symbol} at the spot price {_number(spot)}{gap}"
        )
    cash = portfolio.get_cash() if portfolio.reserves else Decimal(0)
    typer.echo(f"Open positions: {len(portfolio.open_positions)}, worth {_number(total_reference, 2)} {symbol} at the reference, {_number(total_spot, 2)} {symbol} at the spot")
    typer.echo(f"Cash {_number(cash, 2)} {symbol}; equity {_number(cash + total_reference, 2)} {symbol} at the reference")
    if portfolio.frozen_positions:
        typer.echo(f"Frozen positions (not valued: `trade-executor repair` settles them): {', '.join(f'#{p}' for p in portfolio.frozen_positions)}")
