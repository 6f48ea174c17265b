"""The ``data`` a strategy's create_trading_universe gets when trading live: the chain itself.

``data.embedded(["ETH"])`` in a live run means "the ETH pair": it resolves to the on-chain pool
of ETH (``TOKEN_ETH``) against the reserve token and builds its candles from the pool's Sync
events, so the same strategy module and indicators run live as in a backtest.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

import pandas as pd
from web3 import Web3

from trade_executor.chain.abi import load_abi
from trade_executor.errors import ConfigurationError, DataError
from trade_executor.execution.uniswap_v2.routing import UniswapV2Routing
from trade_executor.identifiers import DEFAULT_LP_FEE, AssetIdentifier, TradingPairIdentifier
from trade_executor.market.event_candles import candles_from_prices
from trade_executor.market.universe import TradingUniverse

SYNC_TOPIC = "0x" + Web3.keccak(text="Sync(uint112,uint112)").hex().removeprefix("0x")


@dataclass
class _PoolHistory:
    """A pool's mid prices read so far, and the first block not yet read."""

    next_block: int
    base_is_token0: bool
    timestamps: list[int] = field(default_factory=list)
    prices: list[float] = field(default_factory=list)


class ChainMarketDataLoader:
    def __init__(self, web3: Web3, routing: UniswapV2Routing, *, chain_id: int, exchange_slug: str, reserve_symbol: str, tokens: dict[str, str], time_frame: pd.Timedelta, from_block: int = 0):
        self.web3 = web3
        self.routing = routing
        self.chain_id = chain_id
        self.exchange_slug = exchange_slug
        self.tokens = {symbol.upper(): Web3.to_checksum_address(address) for symbol, address in tokens.items()}
        self.time_frame = time_frame
        self.from_block = from_block
        self.reserve_asset = self.asset(reserve_symbol)
        self._block_times: dict[int, int] = {}
        self._history: dict[str, _PoolHistory] = {}

    def asset(self, symbol: str) -> AssetIdentifier:
        address = self.tokens.get(symbol.upper())
        if address is None:
            raise ConfigurationError(f"No token address for {symbol}: set TOKEN_{symbol.upper()}=0x... (the devnet's .env has them).")
        contract = self.web3.eth.contract(address=address, abi=load_abi("ERC20"))
        return AssetIdentifier(self.chain_id, address, symbol.upper(), contract.functions.decimals().call())

    def pair(self, symbol: str, fee: Decimal = DEFAULT_LP_FEE) -> TradingPairIdentifier:
        base = self.asset(symbol)
        route = self.routing.route(self.reserve_asset.address, base.address)
        return TradingPairIdentifier(base, self.reserve_asset, route.pools[-1], self.exchange_slug, fee)

    def embedded(self, symbols: Iterable[str] = ("ETH",), *, fee=DEFAULT_LP_FEE, **options) -> TradingUniverse:
        pairs = {}
        for symbol in symbols:
            pair = self.pair(symbol, Decimal(str(fee)) if not isinstance(fee, dict) else DEFAULT_LP_FEE)
            pairs[pair.ticker] = pair
        candles = {ticker: self.candles(pair) for ticker, pair in pairs.items()}
        return TradingUniverse(self.chain_id, self.exchange_slug, self.reserve_asset, pairs, candles, self.time_frame)

    def chain(self, pairs: Iterable[str] = ("ETH",), time_frame=None, **options) -> TradingUniverse:
        """Live, ``data.chain(...)`` means the same pools; their candles come from the chain as for ``embedded``."""
        return self.embedded([p.split("-")[0] for p in pairs], **{k: v for k, v in options.items() if k == "fee"})

    def files(self, *args, pairs: Iterable[str] | None = None, **options) -> TradingUniverse:
        if not pairs:
            raise DataError("In a live run data.files(...) needs pairs=[...] to know which pools to trade.")
        return self.embedded([p.split("-")[0] for p in pairs], **options)

    def candles(self, pair: TradingPairIdentifier) -> pd.DataFrame:
        """Candles of the pool's mid price from every Sync event since ``from_block``.

        Events already read are kept: each cycle fetches only the blocks since the previous one.
        """
        route = self.routing.route(pair.quote.address, pair.base.address)
        if route.hops != 1:
            raise DataError(f"{pair.ticker} trades through {route.hops} pools; live candles need a direct pool.")
        pool = route.pools[0]
        history = self._history.get(pool)
        if history is None:
            token0 = self.routing.pool_contract(pool).functions.token0().call()
            history = self._history[pool] = _PoolHistory(self.from_block, token0.lower() == pair.base.address.lower())
        latest = self.web3.eth.block_number
        if history.next_block <= latest:
            logs = self.web3.eth.get_logs({"address": pool, "topics": [SYNC_TOPIC], "fromBlock": history.next_block, "toBlock": latest})
            scale = Decimal(10) ** (pair.base.decimals - pair.quote.decimals)
            for log in logs:
                data = bytes(log["data"])
                reserve0, reserve1 = int.from_bytes(data[:32], "big"), int.from_bytes(data[32:64], "big")
                reserve_base, reserve_quote = (reserve0, reserve1) if history.base_is_token0 else (reserve1, reserve0)
                if reserve_base == 0:
                    continue
                history.timestamps.append(self._block_time(log["blockNumber"]))
                history.prices.append(float(Decimal(reserve_quote) / Decimal(reserve_base) * scale))
            history.next_block = latest + 1
        return candles_from_prices(history.timestamps, history.prices, self.time_frame)

    def _block_time(self, number: int) -> int:
        found = self._block_times.get(number)
        if found is None:
            found = self._block_times[number] = self.web3.eth.get_block(number)["timestamp"]
        return found
