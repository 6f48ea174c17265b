"""close-position: sell one position now, with the same safety rules as a cycle (runner/operations.py)."""

from __future__ import annotations

from typing import Annotated

import typer

from trade_executor.cli.common import reports_errors
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

PositionId = Annotated[
    int,
    typer.Option("--position-id", envvar="POSITION_ID", show_envvar=True, help="The position to sell: its number as show-positions lists it (#N).", min=1),
]


@reports_errors
def close_position(position_id: PositionId, strategy_file: StrategyFile, state_file: StateFile = None, json_rpc_url: JsonRpcUrl = None,
                   private_key: PrivateKey = None, keystore_file: KeystoreFile = None, keystore_password: KeystorePassword = None,
                   uniswap_v2_router: Router = None, uniswap_v2_factory: Factory = None, log_level: LogLevelOption = LogLevel.info,
                   max_price_deviation: MaxPriceDeviation = 0.03, twap_window_minutes: TwapWindow = None, accept_spot_price: AcceptSpotPrice = False) -> None:
    """Sell one open position now, through the router, with the same safety rules as a cycle (a swap into a pushed pool is not sent); exit 1 when refused."""
    from trade_executor.cli.live_commands import _trader
    from trade_executor.runner.operations import close_now, position_to_close, refusal

    trader = _trader(
        strategy_file, state_file, json_rpc_url, private_key, uniswap_v2_router, uniswap_v2_factory, log_level, keystore_file, keystore_password,
        max_price_deviation=max_price_deviation, twap_window_minutes=twap_window_minutes, price_reference="spot" if accept_spot_price else "twap",
        writer="close-position",
    )
    trader.recover()
    position = position_to_close(trader.state, position_id)  # after recovery: a sell sent before a crash is settled by now
    trades = close_now(trader, [position], trader.config.clock(), notes="close-position command")
    for trade in trades:
        typer.echo(f"{trade}: {trade.failure_reason or 'ok'}")
    why = refusal([position], trades)
    if why is not None:
        typer.echo(
            f"Error: position #{position_id} was not sold: {why}. Nothing else changed; run close-position again later. If the market really moved "
            f"that far and you accept the pool's price now, run close-position --position-id={position_id} --accept-spot-price.",
            err=True,
        )
        raise typer.Exit(1)
    typer.echo(f"Closed position #{position_id} {position.pair.ticker}")
