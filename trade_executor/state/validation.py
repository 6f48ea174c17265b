"""Refuse a state document with a field missing, before the decoder fills the gap with a default.

msgspec gives every absent field its default, so a file cut down to ``{"schema_version": 1}`` or
missing its ``portfolio`` would load as a new, empty state, and a live executor would trade as if
it held nothing. Every genuine file holds every field its writer knew (the encoder writes defaults
too). So the fields of the first release of schema version 1 are required wherever their object
appears; fields added since are optional, because files written before them lack them. Types are
left to the decoder, which names the path of a wrong one.
"""

from __future__ import annotations

import dataclasses
import functools
import types
import typing

# The fields of each state class as the first release of schema version 1 wrote them (commit
# 99a6823; LiveInfo as it first appeared). Frozen history: never add a field here.
FIRST_RELEASE_FIELDS: dict[str, tuple[str, ...]] = {
    "State": ("schema_version", "name", "created_at", "last_updated_at", "cycle", "portfolio", "stats", "visualisation", "backtest"),
    "BacktestInfo": ("strategy_file", "start_at", "end_at", "cycle_duration", "stop_loss_time_frame", "fill_model", "cycles", "warnings", "data_gaps", "skipped_trades"),
    "LiveInfo": ("chain_id", "hot_wallet", "treasury_synced_block", "last_cycle_at", "cycles_completed"),
    "Portfolio": ("next_position_id", "next_trade_id", "next_balance_update_id", "open_positions", "closed_positions", "frozen_positions", "reserves", "balance_updates"),
    "ReservePosition": ("asset", "quantity", "last_sync_at"),
    "BalanceUpdate": ("balance_update_id", "cause", "asset", "quantity", "timestamp", "block_number", "tx_hash", "notes"),
    "TradingPosition": (
        "position_id", "pair", "reserve_currency", "opened_at", "last_token_price", "last_pricing_at", "trades", "closed_at", "frozen_at",
        "frozen_reason", "stop_loss", "take_profit", "trailing_stop_loss_pct", "high_water_price", "notes",
    ),
    "TradeExecution": (
        "trade_id", "position_id", "pair", "reserve_currency", "trade_type", "opened_at", "planned_quantity", "planned_reserve", "planned_price",
        "status", "started_at", "executed_at", "executed_quantity", "executed_reserve", "executed_price", "lp_fees_paid", "price_impact",
        "gas_cost_native", "gas_cost_usd", "trigger_price", "slippage_tolerance", "failure_reason", "notes", "blockchain_transactions",
    ),
    "BlockchainTransaction": (
        "chain_id", "from_address", "nonce", "tx_hash", "signed_bytes", "contract_address", "function_name", "broadcasted_at", "confirmed_at",
        "block_number", "status", "revert_reason", "gas_used", "effective_gas_price",
    ),
    "Statistics": ("timestamps", "total_equity", "cash", "open_positions"),
    "Visualisation": ("messages", "plots"),
    "Plot": ("name", "colour", "timestamps", "values"),
    "AssetIdentifier": ("chain_id", "address", "token_symbol", "decimals"),
    "TradingPairIdentifier": ("base", "quote", "pool_address", "exchange_slug", "fee"),
}


def first_missing_field(document, cls: type) -> tuple[str, str] | None:
    """``(field, where)`` of the first required field absent from ``document``; None when none is.

    An object's own fields are checked before the objects inside it, so a missing ``portfolio`` is
    reported as such. ``where`` is a path like ``portfolio.open_positions["7"].trades["12"]``,
    empty at the top level.
    """
    return _missing(document, cls, "")


def _missing(value, cls: type, where: str) -> tuple[str, str] | None:
    if not isinstance(value, dict):
        return None  # a wrong type: the decoder reports it with its path
    required, nested = _plan(cls)
    for name in required:
        if name not in value:
            return name, where
    for name, field_type in nested:
        if name in value:
            found = _missing_in(value[name], field_type, f"{where}.{name}" if where else name)
            if found is not None:
                return found
    return None


def _missing_in(value, field_type, where: str) -> tuple[str, str] | None:
    """Look inside a field's value: a nested state class, or the state classes in a list, dict or optional."""
    if value is None:
        return None
    if dataclasses.is_dataclass(field_type):
        return _missing(value, field_type, where)
    origin, args = typing.get_origin(field_type), typing.get_args(field_type)
    if origin in (typing.Union, types.UnionType):
        inner = [a for a in args if a is not type(None)]
        return _missing_in(value, inner[0], where) if len(inner) == 1 else None
    if origin is dict and isinstance(value, dict):
        return next((found for key, item in value.items() if (found := _missing_in(item, args[1], f'{where}["{key}"]'))), None)
    if origin is list and isinstance(value, list):
        return next((found for i, item in enumerate(value) if (found := _missing_in(item, args[0], f"{where}[{i}]"))), None)
    return None


@functools.cache
def _plan(cls: type) -> tuple[tuple[str, ...], tuple[tuple[str, object], ...]]:
    """The class's required fields, and the fields whose values can hold state classes (the only ones to walk)."""
    hints = typing.get_type_hints(cls)
    names = [f.name for f in dataclasses.fields(cls)]
    required = FIRST_RELEASE_FIELDS.get(cls.__name__, ())
    return tuple(n for n in names if n in required), tuple((n, hints[n]) for n in names if _holds_state(hints[n]))


def _holds_state(field_type) -> bool:
    """Whether values of this type can contain a state class (a list of floats needs no walk)."""
    if dataclasses.is_dataclass(field_type):
        return True
    return any(_holds_state(arg) for arg in typing.get_args(field_type))
