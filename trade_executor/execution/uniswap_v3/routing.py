"""Routes on Uniswap v3: a pool is (token, token, fee tier), a route one or more hops through pools.

A direct pool is preferred, in the order of ``fee_tiers``; without one, two hops through an
intermediary token (as the v2 routing does), every pair of fee tiers tried in that order.
``candidate_routes`` lists them all, for a caller that picks the best quote (quoter.best_route).
SwapRouter02's ``exactInput`` and QuoterV2's ``quoteExactInput`` take a route as its packed
``path``: token (20 bytes), fee (uint24, 3 bytes), token, fee, ..., token.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import product

from web3 import Web3

from trade_executor.errors import ConfigurationError
from trade_executor.execution.uniswap_v3.abi import FACTORY_ABI

ZERO_ADDRESS = "0x0000000000000000000000000000000000000000"
DEFAULT_FEE_TIERS = (500, 3000, 10000, 100)  # fee in hundredths of a basis point: 3000 is 0.3 %


@dataclass(frozen=True)
class Hop:
    """One swap through ``pool`` from ``token_in`` to ``token_out`` (checksummed addresses)."""

    pool: str
    token_in: str
    token_out: str
    fee: int

    @property
    def zero_for_one(self) -> bool:
        """Whether the swap pays token0 in (token0 sorts first by address, as the factory orders them)."""
        return int(self.token_in, 16) < int(self.token_out, 16)

    def reversed(self) -> Hop:
        return Hop(self.pool, self.token_out, self.token_in, self.fee)


@dataclass(frozen=True)
class V3Route:
    """Hops from the first token in to the last token out."""

    hops: tuple[Hop, ...]

    def __post_init__(self):
        if not self.hops:
            raise ValueError("a route needs at least one hop")
        for first, second in zip(self.hops, self.hops[1:], strict=False):
            if first.token_out != second.token_in:
                raise ValueError(f"hop {first} pays out {first.token_out}, but the next hop takes {second.token_in}")

    @property
    def path(self) -> tuple[str, ...]:
        return (self.hops[0].token_in, *(hop.token_out for hop in self.hops))

    @property
    def pools(self) -> tuple[str, ...]:
        return tuple(hop.pool for hop in self.hops)

    @property
    def fees(self) -> tuple[int, ...]:
        return tuple(hop.fee for hop in self.hops)

    def reversed(self) -> V3Route:
        return V3Route(tuple(hop.reversed() for hop in reversed(self.hops)))

    def encoded_path(self) -> bytes:
        """The ``path`` of SwapRouter02.exactInput and QuoterV2.quoteExactInput."""
        return encode_path(self.path, self.fees)

    def describe(self, symbols: dict[str, str]) -> str:
        """E.g. "WETH -(0.3%)-> USDC -(0.05%)-> WBTC"."""
        text = symbols.get(self.path[0], self.path[0])
        for hop in self.hops:
            text += f" -({hop.fee / 10_000:g}%)-> {symbols.get(hop.token_out, hop.token_out)}"
        return text


def encode_path(tokens: tuple[str, ...] | list[str], fees: tuple[int, ...] | list[int]) -> bytes:
    """Packed token, uint24 fee, token, ...: the v3 periphery's Path encoding."""
    if len(tokens) != len(fees) + 1 or not fees:
        raise ValueError(f"a path of {len(fees)} fees needs {len(fees) + 1} tokens, got {len(tokens)}")
    encoded = bytes.fromhex(tokens[0].removeprefix("0x"))
    for fee, token in zip(fees, tokens[1:], strict=True):
        if not 0 <= fee < 1 << 24:
            raise ValueError(f"fee {fee} does not fit in uint24")
        encoded += fee.to_bytes(3, "big") + bytes.fromhex(token.removeprefix("0x"))
    return encoded


def decode_path(path: bytes) -> tuple[tuple[str, ...], tuple[int, ...]]:
    """The tokens and fees of an encoded path (the inverse of ``encode_path``)."""
    if len(path) < 43 or (len(path) - 20) % 23:
        raise ValueError(f"a v3 path is 20 + 23 * hops bytes, got {len(path)}")
    tokens = [Web3.to_checksum_address(path[:20])]
    fees = []
    for start in range(20, len(path), 23):
        fees.append(int.from_bytes(path[start : start + 3], "big"))
        tokens.append(Web3.to_checksum_address(path[start + 3 : start + 23]))
    return tuple(tokens), tuple(fees)


class UniswapV3Routing:
    """Finds pools through the factory's ``getPool`` (answers cached: a pool, once created, stays)."""

    def __init__(self, web3: Web3, factory: str, *, fee_tiers: tuple[int, ...] = DEFAULT_FEE_TIERS, intermediaries: tuple[str, ...] = ()):
        if not fee_tiers:
            raise ConfigurationError("Uniswap v3 routing needs at least one fee tier (3000 is 0.3 %).")
        self.web3 = web3
        self.factory = web3.eth.contract(address=Web3.to_checksum_address(factory), abi=FACTORY_ABI)
        self.fee_tiers = tuple(fee_tiers)
        self.intermediaries = tuple(Web3.to_checksum_address(t) for t in intermediaries)
        self._pools: dict[tuple[str, str, int], str | None] = {}

    def get_pool(self, token_a: str, token_b: str, fee: int) -> str | None:
        """The pool of this pair and fee tier, or None when the factory has none."""
        token_a, token_b = Web3.to_checksum_address(token_a), Web3.to_checksum_address(token_b)
        key = (*sorted((token_a, token_b), key=lambda a: int(a, 16)), fee)
        if key not in self._pools:
            address = self.factory.functions.getPool(token_a, token_b, fee).call()
            self._pools[key] = None if address == ZERO_ADDRESS else Web3.to_checksum_address(address)
        return self._pools[key]

    def hop(self, token_in: str, token_out: str, fee: int) -> Hop | None:
        pool = self.get_pool(token_in, token_out, fee)
        if pool is None:
            return None
        return Hop(pool, Web3.to_checksum_address(token_in), Web3.to_checksum_address(token_out), fee)

    def candidate_routes(self, token_in: str, token_out: str) -> list[V3Route]:
        """Every direct route (in fee tier order), then every two-hop route through an intermediary."""
        routes = [V3Route((hop,)) for fee in self.fee_tiers if (hop := self.hop(token_in, token_out, fee))]
        for middle in self.intermediaries:
            if middle in (Web3.to_checksum_address(token_in), Web3.to_checksum_address(token_out)):
                continue
            for first_fee, second_fee in product(self.fee_tiers, repeat=2):
                first = self.hop(token_in, middle, first_fee)
                second = first and self.hop(middle, token_out, second_fee)
                if first and second:
                    routes.append(V3Route((first, second)))
        return routes

    def route(self, token_in: str, token_out: str, *, fee: int | None = None) -> V3Route:
        """The preferred route: a direct pool (at ``fee`` when given), else through the first intermediary that has pools."""
        if fee is not None:
            hop = self.hop(token_in, token_out, fee)
            if hop is None:
                raise ConfigurationError(f"No Uniswap v3 pool for {token_in} and {token_out} at fee tier {fee} ({fee / 10_000:g} %) on factory {self.factory.address}.")
            return V3Route((hop,))
        routes = self.candidate_routes(token_in, token_out)
        if not routes:
            raise ConfigurationError(
                f"No Uniswap v3 route from {token_in} to {token_out} on factory {self.factory.address} at fee tiers "
                f"{', '.join(map(str, self.fee_tiers))}, directly or through {', '.join(self.intermediaries) or 'no intermediary'}."
            )
        return routes[0]
