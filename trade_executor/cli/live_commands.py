"""Operator commands of a live strategy: check-wallet, close-all, repair, new-wallet.

perform-test-trade, show-positions/show-valuation, close-position and console have modules of their own.
"""

from __future__ import annotations

from decimal import Decimal

import typer

from trade_executor.cli.common import reports_errors, setup_logging
from trade_executor.cli.live_options import (
    AcceptSpotPrice,
    Factory,
    JsonRpcUrl,
    KeystoreFile,
    KeystorePassword,
    MaxPriceDeviation,
    PrivateKey,
    Router,
    TwapWindow,
)
from trade_executor.cli.options import LogLevel, LogLevelOption, StateFile, StrategyFile


def _trader(strategy_file, state_file, json_rpc_url, private_key, router, factory, log_level, keystore_file=None, keystore_password=None, **settings):
    setup_logging(log_level.value)
    from trade_executor.cli.live_wiring import build_live_trader

    return build_live_trader(
        strategy_file, state_file, json_rpc_url=json_rpc_url, private_key=private_key, router=router, factory=factory,
        keystore_file=keystore_file, keystore_password=keystore_password, **settings,
    )


@reports_errors
def check_wallet(strategy_file: StrategyFile, state_file: StateFile = None, json_rpc_url: JsonRpcUrl = None, private_key: PrivateKey = None,
                 keystore_file: KeystoreFile = None, keystore_password: KeystorePassword = None,
                 uniswap_v2_router: Router = None, uniswap_v2_factory: Factory = None, log_level: LogLevelOption = LogLevel.warning) -> None:
    """Check the chain, the hot wallet's gas and reserve balances, gas pricing, and the route of every pair."""
    from trade_executor.chain.abi import load_abi
    from trade_executor.chain.gas import fetch_gas_pricing

    trader = _trader(strategy_file, state_file, json_rpc_url, private_key, uniswap_v2_router, uniswap_v2_factory, log_level, keystore_file, keystore_password)
    web3, reserve = trader.web3, trader.reserve
    typer.echo(" RPC details")
    typer.echo(f"   Chain id is {web3.eth.chain_id}")
    typer.echo(f"   Latest block is {web3.eth.block_number:,}")
    typer.echo(" Balance details")
    typer.echo(f"   Hot wallet is {trader.wallet.address}")
    typer.echo(f"   We have {Decimal(web3.eth.get_balance(trader.wallet.address)).scaleb(-18):.6f} gas money left")
    token = web3.eth.contract(address=reserve.address, abi=load_abi("ERC20"))
    typer.echo(f" Reserve asset: {reserve.token_symbol}")
    typer.echo(f"   Balance of {reserve.token_symbol}: {_plain(Decimal(token.functions.balanceOf(trader.wallet.address).call()).scaleb(-reserve.decimals))} {reserve.token_symbol}")
    typer.echo(f" Estimated gas fees for chain {web3.eth.chain_id}: {fetch_gas_pricing(web3)}")
    typer.echo(" Execution details")
    for label, model in (("Execution model", trader.execution), ("Routing model", trader.routing), ("Token pricing model", trader.pricing), ("Position valuation model", trader.valuation)):
        typer.echo(f"   {label} is {type(model).__module__}.{type(model).__name__}")
    typer.echo("Routing details")
    for venue in trader.venue.exchange_venues():  # a mixed universe: each exchange's venue
        typer.echo(f"    Factory {venue.routing.factory.address} uses router {venue.routing.router.address}")
    typer.echo(f"    Routed reserve asset is {reserve.token_symbol} at {reserve.address}")
    universe = trader.build_universe()
    for line in route_lines(trader, universe):
        typer.echo(f"    {line}")


def route_lines(trader, universe) -> list[str]:
    """Each pair's route from the reserve: its pool(s); on Uniswap v3 with the fee tier and the pool oracle's coverage."""
    from web3 import Web3

    from trade_executor.market.fee_tiers import is_concentrated_liquidity

    reserve = trader.reserve
    symbols = {Web3.to_checksum_address(address): symbol for symbol, address in trader.config.tokens.items()}
    symbols.update({reserve.address: reserve.token_symbol, **{p.base.address: p.base.token_symbol for p in universe.pairs.values()}})
    lines = []
    for pair in universe.pairs.values():
        venue = trader.venue.venue_for(pair)  # the pair's exchange's venue (a mixed universe has one per exchange)
        if is_concentrated_liquidity(pair.exchange_slug):
            from trade_executor.execution.uniswap_v3.pool_report import pool_lines

            lines += pool_lines(venue.routing, pair, venue.pricing.buy_route(pair), symbols)
            continue
        route = venue.routing.route(reserve.address, pair.base.address)
        lines.append(f"{pair.ticker}: {route.describe(symbols)} via pool(s) {', '.join(route.pools)}")
    return lines


def _plain(amount: Decimal) -> str:
    """500 rather than 500.000000, as the deployment guide shows balances."""
    return f"{amount.normalize():f}" if amount else "0"


@reports_errors
def close_all(strategy_file: StrategyFile, state_file: StateFile = None, json_rpc_url: JsonRpcUrl = None, private_key: PrivateKey = None,
              keystore_file: KeystoreFile = None, keystore_password: KeystorePassword = None,
              uniswap_v2_router: Router = None, uniswap_v2_factory: Factory = None, log_level: LogLevelOption = LogLevel.info,
              max_price_deviation: MaxPriceDeviation = 0.03, twap_window_minutes: TwapWindow = None, accept_spot_price: AcceptSpotPrice = False) -> None:
    """Sell every open position now, through the router, with the same safety rules as a cycle (a swap into a pushed pool is not sent)."""
    from trade_executor.runner.operations import close_now

    trader = _trader(
        strategy_file, state_file, json_rpc_url, private_key, uniswap_v2_router, uniswap_v2_factory, log_level, keystore_file, keystore_password,
        max_price_deviation=max_price_deviation, twap_window_minutes=twap_window_minutes, price_reference="spot" if accept_spot_price else "twap", writer="close-all",
    )
    trader.recover()
    trades = close_now(trader, list(trader.state.portfolio.open_positions.values()), trader.config.clock(), notes="close-all command")
    for trade in trades:
        typer.echo(f"{trade}: {trade.failure_reason or 'ok'}")
    closed = sum(t.is_success for t in trades)
    typer.echo(f"Closed {closed} of {len(trades)} positions")
    if closed < len(trades):
        typer.echo(
            "Error: not every position was closed (reasons above). Run close-all again later; if the market really moved that far "
            "and you accept the pool's price now, run close-all --accept-spot-price.",
            err=True,
        )
        raise typer.Exit(1)


@reports_errors
def repair(strategy_file: StrategyFile, state_file: StateFile = None, json_rpc_url: JsonRpcUrl = None, private_key: PrivateKey = None,
           keystore_file: KeystoreFile = None, keystore_password: KeystorePassword = None,
           uniswap_v2_router: Router = None, uniswap_v2_factory: Factory = None, log_level: LogLevelOption = LogLevel.info) -> None:
    """Resolve unfinished trades from the chain, then settle frozen positions to the wallet's real balances."""
    from trade_executor.execution.uniswap_v2.repair import repair_frozen_positions
    from trade_executor.execution.uniswap_v2.treasury import on_chain_balances

    trader = _trader(strategy_file, state_file, json_rpc_url, private_key, uniswap_v2_router, uniswap_v2_factory, log_level, keystore_file, keystore_password, writer="repair")
    for line in trader.recover():
        typer.echo(line)
    frozen = list(trader.state.portfolio.frozen_positions.values())
    balances = on_chain_balances(trader.web3, trader.wallet.address, [p.pair.base for p in frozen])
    for line in repair_frozen_positions(trader.state, balances, trader.config.clock()):
        typer.echo(line)
    trader.save()
    typer.echo(f"Frozen positions left: {len(trader.state.portfolio.frozen_positions)}")
    from trade_executor.cli.accounts import stop_if_books_differ

    stop_if_books_differ(trader, "Repair is done")


@reports_errors
def new_wallet(keystore_file: KeystoreFile = None, keystore_password: KeystorePassword = None) -> None:
    """Create a hot wallet: prints a new private key and its address, or with --keystore-file writes the key encrypted and prints only the address."""
    from trade_executor.chain.wallet import HotWallet

    if keystore_file is None:
        wallet, key = HotWallet.create()
        typer.echo(f"private key={key}, account={wallet.address}")
        return
    from trade_executor.chain.keystore import write_keystore
    from trade_executor.cli.live_wiring import ask_passphrase
    from trade_executor.errors import ConfigurationError

    if keystore_file.exists():  # checked before asking for a passphrase; write_keystore checks again atomically
        raise ConfigurationError(f"Keystore file {keystore_file} already exists; it is never overwritten (it may hold the only copy of a key). Fix: choose another --keystore-file path.")
    passphrase = keystore_password or ask_passphrase(f"Passphrase for the new keystore {keystore_file}", "--keystore-file is given", twice=True)
    wallet, key = HotWallet.create()
    address = write_keystore(keystore_file, key, passphrase)
    typer.echo(f"account={address}")
    typer.echo(f"Wrote the encrypted key to {keystore_file}. Keep the passphrase: without it the key cannot be recovered.", err=True)
