"""`devnet`: a local chain with Uniswap v2 (and Uniswap v3 or PancakeSwap v3 with --exchange), priced pools and a funded hot wallet, until Ctrl-C."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from trade_executor.cli.common import parse_date, reports_errors, setup_logging
from trade_executor.cli.options import LogLevel, LogLevelOption
from trade_executor.errors import ConfigurationError

Port = Annotated[int, typer.Option("--port", envvar="DEVNET_PORT", show_envvar=True, min=1, max=65535, help="The port anvil listens on, on 127.0.0.1.")]
Pairs = Annotated[
    str,
    typer.Option("--pairs", envvar="DEVNET_PAIRS", show_envvar=True, help="Base tokens, comma separated; each gets a BASE-USDC pool priced from the embedded hourly data (ETH trades as WETH)."),
]
StartDate = Annotated[
    str | None,
    typer.Option(
        "--start-date",
        envvar="DEVNET_START_DATE",
        show_envvar=True,
        help="Price the pools at the first embedded candle at or after this date, e.g. 2018-06-01; the market simulator starts there too. Default: the first candle.",
    ),
]
LiquidityUsd = Annotated[
    str,
    typer.Option("--liquidity-usd", envvar="DEVNET_LIQUIDITY_USD", show_envvar=True, help="USDC in each pool (the quote side; the base side holds the same value)."),
]
FundAddress = Annotated[
    str | None,
    typer.Option(
        "--fund-address",
        envvar="DEVNET_FUND_ADDRESS",
        show_envvar=True,
        help="Give this address 10,000 USDC and 10 ETH for gas. Default: a fresh hot wallet, whose private key goes into the env file only.",
    ),
]
EnvFile = Annotated[
    Path,
    typer.Option("--write-env-file", envvar="DEVNET_ENV_FILE", show_envvar=True, help="Where to write the devnet's .env file (Docker dialect): RPC URL, chain id, addresses, the hot wallet key."),
]
MarketSimulatorFlag = Annotated[
    bool,
    typer.Option(
        "--market-simulator/--no-market-simulator",
        envvar="DEVNET_MARKET_SIMULATOR",
        show_envvar=True,
        help="Move the ETH-USDC pool along the embedded hourly ETH closes with swaps, one candle per interval.",
    ),
]


class DevnetExchange(StrEnum):
    uniswap_v2 = "uniswap-v2"
    uniswap_v3 = "uniswap-v3"
    pancakeswap_v3 = "pancakeswap-v3"


Exchange = Annotated[
    DevnetExchange,
    typer.Option(
        "--exchange",
        envvar="DEVNET_EXCHANGE",
        show_envvar=True,
        case_sensitive=False,
        help=(
            "uniswap-v2: Uniswap v2 only. uniswap-v3: also Uniswap v3 (factory, position manager, SwapRouter02, QuoterV2) with a 0.3% pool per pair "
            "on the same tokens. pancakeswap-v3: also PancakeSwap v3 (its factory and pools; devnet stand-ins of its pool deployer, SmartRouter "
            "and position manager) with a 0.25% pool per pair."
        ),
    ),
]
SimulatorInterval = Annotated[
    float,
    typer.Option("--simulator-interval", envvar="DEVNET_SIMULATOR_INTERVAL", show_envvar=True, min=0.0, help="Seconds between the market simulator's candles."),
]


@reports_errors
def devnet(
    port: Port = 8545,
    pairs: Pairs = "ETH",
    start_date: StartDate = None,
    liquidity_usd: LiquidityUsd = "5000000",
    fund_address: FundAddress = None,
    env_file: EnvFile = Path("devnet.env"),
    market_simulator: MarketSimulatorFlag = False,
    simulator_interval: SimulatorInterval = 5.0,
    exchange: Exchange = DevnetExchange.uniswap_v2,
    log_level: LogLevelOption = LogLevel.info,
) -> None:
    """Run a local chain (anvil) with Uniswap v2 (and Uniswap v3 or PancakeSwap v3 with --exchange), priced pools and a funded hot wallet, until Ctrl-C."""
    setup_logging(log_level.value)
    from web3 import Web3

    from trade_executor.devnet.serve import DevnetConfig, parse_symbols, serve

    if fund_address is not None and not Web3.is_address(fund_address):
        raise ConfigurationError(f"--fund-address {fund_address!r} is not an address (0x and 40 hex digits).")
    config = DevnetConfig(
        port=port,
        symbols=parse_symbols(pairs),
        start=parse_date(start_date, "--start-date"),
        liquidity_usd=_positive_decimal(liquidity_usd, "--liquidity-usd"),
        fund_address=Web3.to_checksum_address(fund_address) if fund_address else None,
        env_file=env_file,
        market_simulator=market_simulator,
        simulator_interval=simulator_interval,
        exchange=exchange.value,
    )
    serve(config, echo=typer.echo)


def _positive_decimal(text: str, option: str) -> Decimal:
    try:
        value = Decimal(text.replace(",", "").replace("_", ""))
    except InvalidOperation:
        raise ConfigurationError(f"{option}={text!r} is not a number.") from None
    if not value.is_finite() or value <= 0:
        raise ConfigurationError(f"{option}={text!r} must be a positive number.")
    return value
