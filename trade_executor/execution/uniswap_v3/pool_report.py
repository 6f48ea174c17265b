"""What `check-wallet` and `check-universe` say about a pair's Uniswap v3 pool: fee tier, route, and its oracle.

One line for the pool and route ("ETH-USDC: Uniswap v3 pool 0x... fee tier 0.3%, route USDC -> WETH (1 hop)"; the
exchange's own name on a fork: "PancakeSwap v3 pool ..."),
one for the oracle: its observation cardinality (now and next) and whether its observations reach
back the whole TWAP window the reference price averages over; when they do not, the fix
(``increase_cardinality``, oracle.py) as OracleWindowTooLong words it.
"""

from __future__ import annotations

from decimal import Decimal

from trade_executor.execution.uniswap_v3.abi import call_data, decode_result
from trade_executor.execution.uniswap_v3.live_pricing import UniswapV3LiveRouting
from trade_executor.execution.uniswap_v3.oracle import OracleWindowTooLong
from trade_executor.execution.uniswap_v3.routing import V3Route
from trade_executor.identifiers import TradingPairIdentifier
from trade_executor.market.fee_tiers import PIPS, format_fee


def describe_route(route: V3Route, symbols: dict[str, str]) -> str:
    """E.g. "USDC -> WETH (1 hop)"; a token without a symbol is named by its address."""
    hops = len(route.hops)
    return f"{' -> '.join(symbols.get(token, token) for token in route.path)} ({hops} hop{'s' if hops > 1 else ''})"


def pool_lines(routing: UniswapV3LiveRouting, pair: TradingPairIdentifier, route: V3Route, symbols: dict[str, str]) -> list[str]:
    """The pool and route of ``pair``'s buy, then one oracle line per pool of the route."""
    fees = ", ".join(format_fee(Decimal(hop.fee) / PIPS) for hop in route.hops)
    pools = ", ".join(route.pools)
    lines = [f"{pair.ticker}: {routing.exchange.name} pool{'s' if len(route.hops) > 1 else ''} {pools} fee tier {fees}, route {describe_route(route, symbols)}"]
    lines += [f"  oracle of {pool}: {oracle_status(routing, pool)}" if len(route.hops) > 1 else f"  oracle: {oracle_status(routing, pool)}" for pool in route.pools]
    return lines


def oracle_status(routing: UniswapV3LiveRouting, pool: str) -> str:
    """The pool's observation cardinality and whether it covers the TWAP window of ``routing.oracle`` (with the fix if not)."""
    answer = routing.caller.call("eth_call", [{"to": pool, "data": call_data("slot0")}, "latest"])
    if "error" in answer:
        raise ConnectionError(f"Reading slot0 of Uniswap v3 pool {pool} failed: {answer['error']}")
    _, _, _, cardinality, cardinality_next, *_ = decode_result("slot0", answer["result"])
    text = f"observation cardinality {cardinality}" + (f" (growing to {cardinality_next})" if cardinality_next > cardinality else "")
    oracle = routing.oracle
    if oracle is None:
        return f"{text}; no TWAP reference is used (PRICE_REFERENCE is not twap)"
    window = f"{oracle.window_seconds / 60:g}-min" if oracle.window_seconds >= 120 else f"{oracle.window_seconds}-s"
    try:
        oracle.consult([pool])
    except OracleWindowTooLong as e:
        return f"{text}; does NOT cover the {window} TWAP window: {e}"
    return f"{text}; covers the {window} TWAP window"
