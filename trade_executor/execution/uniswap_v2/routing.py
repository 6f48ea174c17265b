"""Routes and quotes on Uniswap v2: direct pairs, or three-way through an intermediary token.

Quotes use pool reserves and the router's own integer maths (market.amm), so a quote equals
the router's ``getAmountsOut`` to the wei without a call per quote.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from web3 import Web3

from trade_executor.chain.abi import load_abi
from trade_executor.errors import ConfigurationError
from trade_executor.identifiers import DEFAULT_LP_FEE
from trade_executor.market.amm import amounts_out
from trade_executor.money import ratio

ZERO_ADDRESS = "0x0000000000000000000000000000000000000000"


@dataclass(frozen=True)
class Route:
    """Token path for a buy (reserve -> ... -> base) and the pools it crosses."""

    path: tuple[str, ...]
    pools: tuple[str, ...]

    @property
    def hops(self) -> int:
        return len(self.pools)

    def reversed(self) -> Route:
        return Route(tuple(reversed(self.path)), tuple(reversed(self.pools)))

    def describe(self, symbols: dict[str, str]) -> str:
        return " -> ".join(symbols.get(token, token) for token in self.path)


class UniswapV2Routing:
    def __init__(self, web3: Web3, factory: str, router: str, *, intermediaries: tuple[str, ...] = (), fee: Decimal = DEFAULT_LP_FEE):
        self.web3 = web3
        self.factory = web3.eth.contract(address=Web3.to_checksum_address(factory), abi=load_abi("UniswapV2Factory"))
        self.router = web3.eth.contract(address=Web3.to_checksum_address(router), abi=load_abi("UniswapV2Router02"))
        self.intermediaries = tuple(Web3.to_checksum_address(t) for t in intermediaries)
        self.fee = fee
        self._pairs: dict[tuple[str, str], str] = {}
        self._token0: dict[str, str] = {}
        self._contracts: dict[str, object] = {}
        self._snapshot: dict[str, tuple[int, int]] | None = None

    def get_pool(self, token_a: str, token_b: str) -> str | None:
        key = tuple(sorted((token_a.lower(), token_b.lower())))
        if key not in self._pairs:
            address = self.factory.functions.getPair(Web3.to_checksum_address(token_a), Web3.to_checksum_address(token_b)).call()
            self._pairs[key] = None if address == ZERO_ADDRESS else address
        return self._pairs[key]

    def route(self, reserve_token: str, base_token: str) -> Route:
        """The buy route; a sell uses ``route(...).reversed()``."""
        reserve_token, base_token = Web3.to_checksum_address(reserve_token), Web3.to_checksum_address(base_token)
        direct = self.get_pool(reserve_token, base_token)
        if direct:
            return Route((reserve_token, base_token), (direct,))
        for middle in self.intermediaries:
            first, second = self.get_pool(reserve_token, middle), self.get_pool(middle, base_token)
            if first and second:
                return Route((reserve_token, middle, base_token), (first, second))
        raise ConfigurationError(f"No Uniswap v2 route from {reserve_token} to {base_token} on factory {self.factory.address}, directly or through {', '.join(self.intermediaries) or 'no intermediary'}.")

    def pool_contract(self, pool: str):
        contract = self._contracts.get(pool)
        if contract is None:  # building a contract parses its ABI: milliseconds, so once per pool
            contract = self._contracts[pool] = self.web3.eth.contract(address=pool, abi=load_abi("UniswapV2Pair"))
        return contract

    def token0(self, pool: str) -> str:
        token0 = self._token0.get(pool)
        if token0 is None:
            token0 = self._token0[pool] = self.pool_contract(pool).functions.token0().call()
        return token0

    def reserves(self, pool: str, token_in: str) -> tuple[int, int]:
        """(reserve of token_in, reserve of the other token)."""
        token0 = self.token0(pool)
        if self._snapshot is not None and pool in self._snapshot:
            reserve0, reserve1 = self._snapshot[pool]
        else:
            reserve0, reserve1, _ = self.pool_contract(pool).functions.getReserves().call()
        return (reserve0, reserve1) if token0.lower() == token_in.lower() else (reserve1, reserve0)

    def use_snapshot(self, reserves: dict[str, tuple[int, int]]) -> None:
        """Answer reserve reads of these pools from one batch read (see oracle.read_pools) until ``end_snapshot``.

        One round trip for a whole cycle or stop-loss pass instead of one per position.
        """
        for pool in reserves:
            self.token0(pool)
        self._snapshot = dict(reserves)

    def end_snapshot(self) -> None:
        self._snapshot = None

    def snapshot_covers(self, pools) -> bool:
        """Whether reserve reads of all these pools are answered from the snapshot."""
        return self._snapshot is not None and all(pool in self._snapshot for pool in pools)

    def apply_to_snapshot(self, route: Route, amounts: list[int]) -> None:
        """Move the snapshot's pools as a swap of ``amounts`` along ``route`` would (a paper fill: the next quote of this pass sees it)."""
        for index, (token_in, pool) in enumerate(zip(route.path, route.pools, strict=False)):
            reserve0, reserve1 = self._snapshot[pool]
            paid, got = amounts[index], amounts[index + 1]
            into0 = self.token0(pool).lower() == token_in.lower()
            self._snapshot[pool] = (reserve0 + paid, reserve1 - got) if into0 else (reserve0 - got, reserve1 + paid)

    def hop_reserves(self, route: Route) -> list[tuple[int, int]]:
        """(reserve in, reserve out) of each pool along the route, in its direction."""
        return [self.reserves(pool, token_in) for token_in, pool in zip(route.path, route.pools, strict=False)]

    def quote(self, amount_in: int, route: Route) -> list[int]:
        """Amounts along the path, as the router's getAmountsOut computes them."""
        return amounts_out(amount_in, self.hop_reserves(route), self.fee)

    def mid_price(self, route: Route, base_decimals: int, quote_decimals: int) -> Decimal:
        """Price of one base token in the reserve currency, before fees (product over hops)."""
        price = Decimal(1)
        for token_in, pool in zip(route.path, route.pools, strict=False):
            reserve_in, reserve_out = self.reserves(pool, token_in)
            price *= ratio(reserve_in, reserve_out)
        return ratio(price * Decimal(10) ** (base_decimals - quote_decimals), 1)
