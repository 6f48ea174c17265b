"""Build a LiveTrader from command-line options and the environment (TOKEN_<SYMBOL> addresses)."""

from __future__ import annotations

import os
import sys
from decimal import Decimal
from pathlib import Path

import typer
from pydantic import SecretStr

from trade_executor.cli.live_options import CHAIN_ENV_NAMES, ApprovalType
from trade_executor.errors import ConfigurationError
from trade_executor.secrets import register_secret


def tokens_from_environment() -> dict[str, str]:
    return {name.removeprefix("TOKEN_"): value for name, value in os.environ.items() if name.startswith("TOKEN_") and value}


def json_rpc_url_for(chain_id: int, explicit: str | None) -> str:
    """The node URL(s) for the chain: several, separated by spaces, are fallbacks tried in order."""
    if explicit and explicit.strip():
        return " ".join(explicit.split())
    name = f"JSON_RPC_{CHAIN_ENV_NAMES.get(chain_id, str(chain_id))}"
    value = os.environ.get(name, "").split()
    if not value:
        raise ConfigurationError(f"No JSON-RPC URL for chain {chain_id}: set {name} (or --json-rpc-url).")
    return " ".join(value)


V3_ADDRESSES = ("UNISWAP_V3_FACTORY", "UNISWAP_V3_SWAP_ROUTER_02", "UNISWAP_V3_QUOTER_V2")


def v3_addresses(settings: dict) -> dict[str, str | None]:
    """The Uniswap v3 addresses from ``start``'s options, or from the environment for the commands that do not declare them (check-wallet, console...)."""
    return {name.lower(): settings.pop(name.lower(), None) or os.environ.get(name) or None for name in V3_ADDRESSES}


def hot_wallet_key(private_key: str | None, keystore_file: Path | None, keystore_password: str | None) -> str | None:
    """The key from PRIVATE_KEY, or decrypted from KEYSTORE_FILE (passphrase from KEYSTORE_PASSWORD or a prompt)."""
    if not keystore_file:
        register_secret(private_key)  # given as --private-key it is not in the environment the callback registered
        return private_key
    if private_key:
        raise ConfigurationError("Both PRIVATE_KEY and KEYSTORE_FILE are set. Fix: keep one of them (the keystore file is the safer).")
    from trade_executor.chain.keystore import read_keystore

    return read_keystore(keystore_file, keystore_password or ask_passphrase(f"Passphrase of keystore {keystore_file}", "KEYSTORE_FILE is set"))


def ask_passphrase(prompt: str, why: str, *, twice: bool = False) -> str:
    """Ask in a terminal only: a service or a pipe has no one to answer, so it gets a clear error instead."""
    if not sys.stdin.isatty():
        raise ConfigurationError(f"{why}, but KEYSTORE_PASSWORD is not set and there is no terminal to ask for the passphrase. Fix: set KEYSTORE_PASSWORD (in a secret .env file), or run the command in a terminal.")
    return typer.prompt(prompt, hide_input=True, confirmation_prompt=twice, err=True)


def ask_on_console(trades):
    for trade in trades:
        typer.echo(f"  {trade}")
    if trades and not typer.confirm(f"Execute these {len(trades)} trades?", default=False):
        typer.echo("Not approved: no trades this cycle.")
        return []
    return trades


def build_live_trader(
    strategy_file: Path, state_file: Path | None, *, json_rpc_url, private_key, router, factory, keystore_file=None, keystore_password=None,
    writer: str | None = None, paper: bool = False, execution_type: str | None = None, **settings,
):
    """The LiveTrader of a live command. ``writer`` names a command that may save the state ("repair"...): it
    takes the state file's writer lock first (state/lock.py), so it never runs beside another writer.
    ``paper``: the paper venue (runner/paper_venue.py), its own state file, and no key read at all. ``execution_type``: the
    hot-wallet EXECUTION_TYPE given (uniswap_v2_hot_wallet / uniswap_v3_hot_wallet), checked against the strategy's exchange."""
    from trade_executor.cli.state_files import hold_writer_lock, live_state_file
    from trade_executor.execution.guards import DEFAULT_MAX_PRICE_DEVIATION
    from trade_executor.execution.uniswap_v2.recovery import UnresolvedPolicy
    from trade_executor.market.fee_tiers import is_concentrated_liquidity
    from trade_executor.runner.live import LiveConfig, LiveTrader
    from trade_executor.runner.mixed_venue import universe_exchanges
    from trade_executor.state.ownership import PAPER
    from trade_executor.strategy.module import load_strategy_module

    state_file = live_state_file(state_file, strategy_file, PAPER if paper else "")
    if writer is not None:
        hold_writer_lock(state_file, writer)
    strategy = load_strategy_module(strategy_file)
    from trade_executor.runner.venue import check_execution_type

    check_execution_type(None if paper else execution_type, strategy.exchange_slug)
    v3 = v3_addresses(settings)
    kinds = {is_concentrated_liquidity(slug) for slug in universe_exchanges(strategy).values()} or {is_concentrated_liquidity(strategy.exchange_slug)}
    exchange = (("UNISWAP_V3_FACTORY", v3["uniswap_v3_factory"]), ("UNISWAP_V3_SWAP_ROUTER_02", v3["uniswap_v3_swap_router_02"])) if True in kinds else ()
    exchange += (("UNISWAP_V2_ROUTER", router), ("UNISWAP_V2_FACTORY", factory)) if False in kinds else ()  # a mixed universe needs both
    needed = exchange if paper else (("PRIVATE_KEY (or KEYSTORE_FILE)", private_key or keystore_file), *exchange)
    missing = [name for name, value in needed if not value]
    if missing:
        raise ConfigurationError(f"{'Paper' if paper else 'Live'} trading needs {', '.join(missing)}: set them in the environment or an --env-file (`trade-executor devnet` writes one).")
    if paper and (private_key or keystore_file):
        typer.echo("Note: PRIVATE_KEY / KEYSTORE_FILE is set, but a paper run signs nothing and never reads it.", err=True)
    private_key = None if paper else hot_wallet_key(private_key, keystore_file, keystore_password)
    tokens = tokens_from_environment()
    approval = settings.pop("approval_type", ApprovalType.unchecked)
    config = LiveConfig(
        strategy_file=strategy_file,
        state_file=state_file,
        json_rpc_url=SecretStr(json_rpc_url_for(strategy.chain_id, json_rpc_url)),
        private_key=SecretStr(private_key) if private_key is not None else None,
        execution_type=PAPER if paper else execution_type,
        router=router,
        factory=factory,
        tokens=tokens,
        intermediaries=tuple(a for s, a in tokens.items() if s in ("ETH", "WETH", "WBNB", "WMATIC")),
        unresolved_policy=UnresolvedPolicy(settings.pop("unresolved_trades", "rebroadcast")),
        min_gas_balance=Decimal(str(settings.pop("min_gas_balance", 0))),
        max_price_deviation=Decimal(str(settings.pop("max_price_deviation", DEFAULT_MAX_PRICE_DEVIATION))),
        cache_path=Path(settings.pop("cache_path", None) or os.environ.get("CACHE_PATH") or "cache"),
        approve=ask_on_console if approval == ApprovalType.cli else None,
        **v3,
        **settings,
    )
    trader = LiveTrader(config, strategy)
    if writer is not None and trader.state.live.rehearsal:
        raise ConfigurationError(f"State file {state_file} holds a {trader.state.live.rehearsal} on a throwaway chain, not a live run; `{writer}` never writes into it. Fix: point STATE_FILE at the live state.")
    return trader
