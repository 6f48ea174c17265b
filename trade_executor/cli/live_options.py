"""Options of live trading commands. Secrets are never echoed; URLs are shown redacted."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer


class ApprovalType(StrEnum):
    unchecked = "unchecked"
    cli = "cli"


class UnresolvedTrades(StrEnum):
    rebroadcast = "rebroadcast"
    fail = "fail"


def _opt(name: str, env: str, help: str, **kw):
    return typer.Option(name, envvar=env, show_envvar=True, help=help, **kw)


JsonRpcUrl = Annotated[
    str | None,
    _opt(
        "--json-rpc-url", "JSON_RPC_URL",
        "JSON-RPC node URL; several separated by spaces are fallbacks, tried in order. "
        "Default: JSON_RPC_<CHAIN> for the strategy's chain (JSON_RPC_ANVIL, JSON_RPC_ETHEREUM, JSON_RPC_BINANCE, JSON_RPC_POLYGON, JSON_RPC_ARBITRUM).",
    ),
]
PrivateKey = Annotated[str | None, _opt("--private-key", "PRIVATE_KEY", "Hot wallet private key (hex). Never printed or stored in state. Or use KEYSTORE_FILE.", show_default=False)]
KeystoreFile = Annotated[
    Path | None,
    _opt("--keystore-file", "KEYSTORE_FILE", "Encrypted hot wallet key (Ethereum JSON keystore v3, as `new-wallet --keystore-file` writes), instead of PRIVATE_KEY."),
]
KeystorePassword = Annotated[
    str | None,
    _opt(
        "--keystore-password", "KEYSTORE_PASSWORD",
        "Passphrase of the keystore file. Prefer the environment variable, or leave it unset to be asked in a terminal: a command-line value is visible in `ps`.",
        show_default=False,
    ),
]
Router = Annotated[str | None, _opt("--uniswap-v2-router", "UNISWAP_V2_ROUTER", "Uniswap v2 compatible router address.")]
Factory = Annotated[str | None, _opt("--uniswap-v2-factory", "UNISWAP_V2_FACTORY", "Uniswap v2 compatible factory address.")]
V3Factory = Annotated[str | None, _opt("--uniswap-v3-factory", "UNISWAP_V3_FACTORY", "Uniswap v3 compatible factory address: a strategy whose exchange is uniswap-v3 (or another -v3 fork) trades its pools, by fee tier.")]
V3SwapRouter = Annotated[str | None, _opt("--uniswap-v3-swap-router-02", "UNISWAP_V3_SWAP_ROUTER_02", "Uniswap SwapRouter02 address: a v3 strategy's swaps go through it (exactInputSingle, or exactInput for two hops, with a deadline); approved once per token.")]
V3Quoter = Annotated[str | None, _opt("--uniswap-v3-quoter-v2", "UNISWAP_V3_QUOTER_V2", "Uniswap v3 QuoterV2 address, for checks and display; trading does not call it (quotes come from the pools' state, equal to QuoterV2's to the wei).")]
ConfirmationBlocks = Annotated[int, _opt("--confirmation-block-count", "CONFIRMATION_BLOCK_COUNT", "Blocks a transaction must be under before it counts as confirmed.", min=1)]
ConfirmationTimeout = Annotated[float, _opt("--confirmation-timeout", "CONFIRMATION_TIMEOUT", "Seconds to wait for a confirmation before the trade is left unresolved.", min=1)]
CycleOffset = Annotated[float, _opt("--cycle-offset-minutes", "CYCLE_OFFSET_MINUTES", "Minutes after each cycle boundary to run (time for the data to arrive; the tick offset).", min=0)]
MaxDataDelay = Annotated[
    float | None,
    _opt(
        "--max-data-delay-minutes", "MAX_DATA_DELAY_MINUTES",
        "Refuse to trade when the latest candle closed longer ago than this. Default: three cycle durations, at least 15 minutes (3 hours for an hourly strategy).",
        min=0,
    ),
]
RpcOutageTolerance = Annotated[
    float,
    _opt(
        "--rpc-outage-tolerance-seconds", "RPC_OUTAGE_TOLERANCE_SECONDS",
        "How long live trading waits for a node that stops answering (retrying with back-off) before it stops with a message.",
        min=0,
    ),
]
CycleWatchdog = Annotated[
    float | None,
    _opt(
        "--cycle-watchdog-minutes", "CYCLE_WATCHDOG_MINUTES",
        "A cycle or trigger check running longer than this is declared hung: reported on /status and in notifications, and it never trades "
        "if it returns later. Default: half the strategy's cycle, between 5 and 30 minutes.",
        min=0.001,
    ),
]
MaxPriceDeviation = Annotated[
    float,
    _opt(
        "--max-price-deviation", "MAX_PRICE_DEVIATION",
        "Do not send a swap while the pool's spot price is further than this fraction from the reference price (the pool's TWAP): "
        "someone is pushing the pool, or the market just jumped. 0.03 = 3%, which normal volatility on an hourly strategy does not reach.",
        min=0.0001, max=0.9999,
    ),
]
TwapWindow = Annotated[
    float | None,
    _opt(
        "--twap-window-minutes", "TWAP_WINDOW_MINUTES",
        "Chain time the reference price (the pool's time-weighted average price) averages over. Default: 15, or the strategy's cycle when shorter.",
        min=0.01,
    ),
]
AcceptSpotPrice = Annotated[
    bool,
    _opt(
        "--accept-spot-price", "ACCEPT_SPOT_PRICE",
        "Sell at the pool's price now, measuring slippage from it instead of from the manipulation-resistant reference "
        "(the TWAP). For when the market really moved and you accept that price; never set it in an env file.",
    ),
]
TriggerCheck = Annotated[float, _opt("--position-trigger-check-minutes", "POSITION_TRIGGER_CHECK_MINUTES", "Minutes between stop-loss / take-profit checks between cycles.", min=0.01)]
Simulate = Annotated[
    bool,
    _opt(
        "--simulate", "SIMULATE",
        "Dress rehearsal: run on a throwaway fork of the node at its latest block (anvil), with the wallet's real balances and a copy "
        "of the state, and print what would have happened. Nothing is sent to the node and the state file is not modified.",
    ),
]
RunSingleCycle = Annotated[bool, _opt("--run-single-cycle", "RUN_SINGLE_CYCLE", "Run one cycle now and exit.")]
MaxCycles = Annotated[int | None, _opt("--max-cycles", "MAX_CYCLES", "Stop after this many cycles.", min=1)]
MinGasBalance = Annotated[float, _opt("--min-gas-balance", "MIN_GAS_BALANCE", "Stop before trading when the hot wallet has less native token than this.", min=0)]
Approval = Annotated[ApprovalType, _opt("--approval-type", "APPROVAL_TYPE", "unchecked: trade what the strategy decides; cli: ask on the console first.", case_sensitive=False)]
Unresolved = Annotated[UnresolvedTrades, _opt("--unresolved-trades", "UNRESOLVED_TRADES", "A trade found not on chain at start: rebroadcast its signed transaction, or cancel its nonce and mark it failed.", case_sensitive=False)]
FromBlock = Annotated[
    int,
    _opt(
        "--from-block", "FROM_BLOCK",
        "Where a new pool history cache starts. Default (0): the first block of the history the strategy needs, found by time.",
        min=0,
    ),
]

CHAIN_ENV_NAMES = {1: "ETHEREUM", 56: "BINANCE", 137: "POLYGON", 42161: "ARBITRUM", 31337: "ANVIL"}
