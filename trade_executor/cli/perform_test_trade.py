"""perform-test-trade: buy (and sell) a small amount through the real router before going live.

It proves routing, gas and broadcasting work, with the same safety rules as a cycle. The position
and its trades carry the note "test trade", as the deployment guide says.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

import typer

from trade_executor.cli.common import reports_errors
from trade_executor.cli.live_options import (
    Factory,
    JsonRpcUrl,
    KeystoreFile,
    KeystorePassword,
    MaxPriceDeviation,
    PrivateKey,
    Router,
    Simulate,
    TwapWindow,
)
from trade_executor.cli.options import LogLevel, LogLevelOption, StateFile, StrategyFile

NOTE = "test trade"

Amount = Annotated[float, typer.Option("--amount", envvar="TEST_TRADE_AMOUNT", show_envvar=True, help="Value of each test buy in the reserve currency.", min=0)]
Pair = Annotated[
    str | None,
    typer.Option("--pair", envvar="TEST_TRADE_PAIR", show_envvar=True, help="The pair to test, by ticker (ETH-USDC). Default: the strategy's first pair."),
]
AllPairs = Annotated[bool, typer.Option("--all-pairs", envvar="TEST_TRADE_ALL_PAIRS", show_envvar=True, help="Test every pair of the strategy's universe, one after another.")]
BuyOnly = Annotated[
    bool,
    typer.Option("--buy-only", envvar="TEST_TRADE_BUY_ONLY", show_envvar=True, help="Buy and keep the position open (sell it later with close-position)."),
]


@reports_errors
def perform_test_trade(strategy_file: StrategyFile, state_file: StateFile = None, json_rpc_url: JsonRpcUrl = None, private_key: PrivateKey = None,
                       keystore_file: KeystoreFile = None, keystore_password: KeystorePassword = None,
                       uniswap_v2_router: Router = None, uniswap_v2_factory: Factory = None, log_level: LogLevelOption = LogLevel.info,
                       amount: Amount = 1.0, pair: Pair = None, all_pairs: AllPairs = False, buy_only: BuyOnly = False,
                       max_price_deviation: MaxPriceDeviation = 0.03, twap_window_minutes: TwapWindow = None, simulate: Simulate = False) -> None:
    """Buy and sell about 1 USD of the strategy's default asset (or --pair, or --all-pairs) through the real router, with the same safety rules as a cycle."""
    from trade_executor.cli.live_commands import _trader
    from trade_executor.errors import ConfigurationError

    if pair and all_pairs:
        raise ConfigurationError("--pair and --all-pairs both given. Fix: keep one of them.")
    if simulate:
        from trade_executor.cli.common import setup_logging
        from trade_executor.cli.rehearsal import rehearsal

        setup_logging(log_level.value)
        with rehearsal(strategy_file, state_file, json_rpc_url, private_key=private_key, router=uniswap_v2_router, factory=uniswap_v2_factory,
                       keystore_file=keystore_file, keystore_password=keystore_password, max_price_deviation=max_price_deviation,
                       twap_window_minutes=twap_window_minutes) as run:
            run_test_trades(run.trader, Decimal(str(amount)), pair, all_pairs, buy_only)
        return
    trader = _trader(
        strategy_file, state_file, json_rpc_url, private_key, uniswap_v2_router, uniswap_v2_factory, log_level, keystore_file, keystore_password,
        max_price_deviation=max_price_deviation, twap_window_minutes=twap_window_minutes, writer="perform-test-trade",
    )
    run_test_trades(trader, Decimal(str(amount)), pair, all_pairs, buy_only)


def run_test_trades(trader, amount: Decimal, pair: str | None, all_pairs: bool, buy_only: bool) -> None:
    """Recover, check the books, then test-trade the pair(s) with the trader's own models (live, or on a fork)."""
    from trade_executor.errors import ConfigurationError, DataError
    from trade_executor.strategy.position_manager import PositionManager

    trader.recover()
    now = trader.config.clock()
    trader.sync_and_check(now)
    universe = trader.build_universe()
    try:
        pairs = list(universe.pairs.values()) if all_pairs else [universe.get_pair(pair) if pair else next(iter(universe.pairs.values()))]
    except DataError as e:
        raise ConfigurationError(f"--pair={pair}: {e} Fix: give one of those tickers, or --all-pairs.") from None
    trader.read_prices(universe, now)
    manager = PositionManager(trader.state, universe, trader.pricing, Decimal("0.01"))
    manager.begin_cycle(now)
    try:
        for each in pairs:
            held = manager.get_current_position_for_pair(each)
            if held is None:
                _test_pair(trader, manager, each, amount, buy_only)
            elif all_pairs:
                typer.echo(f"Skipped {each.ticker}: position #{held.position_id} of that pair is open, and a test sale would sell it too.")
            else:
                raise ConfigurationError(
                    f"{each.ticker} has an open position (#{held.position_id}): a test buy would add to it, and the test sale would sell all of it. "
                    "Fix: test another pair with --pair, or close the position first (close-position)."
                )
    finally:
        trader.routing.end_snapshot()
        trader.save()
    typer.echo("All ok")


def _test_pair(trader, manager, pair, amount: Decimal, buy_only: bool) -> None:
    from trade_executor.errors import StopError
    from trade_executor.state import TradeStatus

    price = trader.pricing.get_mid_price(pair)
    if price is None:
        raise StopError(
            f"No manipulation-resistant reference price for {pair.ticker} yet: the pool's TWAP needs a few minutes of chain time "
            "(a pool deployed moments ago has none, and its candles have not closed yet). Try again in a few minutes."
        )
    typer.echo(f"Making a test trade on pair: {pair}, for {float(amount):f} {trader.reserve.token_symbol} price is {price:.6f} {pair.ticker}")
    buys = manager.open_long(pair, amount, notes=NOTE)
    trader.execution.execute_trades(trader.config.clock(), trader.state, buys)
    position = trader.state.portfolio.open_positions.get(buys[0].position_id) if buys else None
    if not buys or buys[0].status is not TradeStatus.success or position is None:
        raise typer.Exit(_fail(f"the test buy of {pair.ticker} did not succeed", buys))
    position.notes = NOTE
    if buy_only:
        typer.echo(f"Position {position} open (--buy-only); sell it with close-position --position-id={position.position_id}.")
        return
    typer.echo(f"Position {position} open. Now closing the position.")
    sells = manager.close_position(position, notes=NOTE)
    trader.execution.execute_trades(trader.config.clock(), trader.state, sells)
    if not sells or sells[0].status is not TradeStatus.success:
        raise typer.Exit(_fail(f"the test sell of {pair.ticker} did not succeed", sells))


def _fail(what: str, trades) -> int:
    reason = trades[0].failure_reason if trades else "no trade was made"
    typer.echo(f"Error: {what}: {reason}", err=True)
    return 1
