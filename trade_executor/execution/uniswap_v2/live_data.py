"""The ``data`` a strategy's create_trading_universe gets when trading live: the chain itself.

``data.embedded(["ETH"])`` (or ``data.chain``, ``data.files``) in a live run means "the ETH pair":
it resolves to the on-chain pool of ETH (``TOKEN_ETH``) against the reserve token, and its candles
are built from the pool's own events exactly as a backtest on downloaded data builds them
(market/pool_candles.py), with the pool's liquidity: the same strategy module and indicators run
live as in a backtest. The history comes from live_pool_history.py (the cache, then new blocks).
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

import pandas as pd
from web3 import Web3

from trade_executor.chain.abi import load_abi
from trade_executor.errors import ConfigurationError, DataError
from trade_executor.execution.uniswap_v2.live_pool_history import LivePoolHistory
from trade_executor.execution.uniswap_v2.routing import UniswapV2Routing
from trade_executor.identifiers import DEFAULT_LP_FEE, AssetIdentifier, TradingPairIdentifier
from trade_executor.market.candles import parse_time_frame
from trade_executor.market.pool_history import TokenInfo
from trade_executor.market.universe import TradingUniverse


class ChainMarketDataLoader:
    def __init__(self, web3: Web3, routing: UniswapV2Routing, *, chain_id: int, exchange_slug: str, reserve_symbol: str, tokens: dict[str, str], time_frame: pd.Timedelta, history: LivePoolHistory):
        self.web3 = web3
        self.routing = routing
        self.chain_id = chain_id
        self.exchange_slug = exchange_slug
        self.tokens = {symbol.upper(): Web3.to_checksum_address(address) for symbol, address in tokens.items()}
        self.time_frame = time_frame
        self.history = history
        self._history_in_cycles = history.history_seconds  # the need, sized in candles of the cycle's length
        self._assets: dict[str, AssetIdentifier] = {}
        self.reserve_asset = self.asset(reserve_symbol)

    def asset(self, symbol: str) -> AssetIdentifier:
        """The token of ``symbol`` (TOKEN_<SYMBOL>); its decimals are asked once, not every cycle."""
        found = self._assets.get(symbol.upper())
        if found is not None:
            return found
        address = self.tokens.get(symbol.upper())
        if address is None:
            raise ConfigurationError(f"No token address for {symbol}: set TOKEN_{symbol.upper()}=0x... (the devnet's .env has them).")
        contract = self.web3.eth.contract(address=address, abi=load_abi("ERC20"))
        found = self._assets[symbol.upper()] = AssetIdentifier(self.chain_id, address, symbol.upper(), contract.functions.decimals().call())
        return found

    def pair(self, symbol: str, fee: Decimal = DEFAULT_LP_FEE) -> TradingPairIdentifier:
        base = self.asset(symbol)
        route = self.routing.route(self.reserve_asset.address, base.address)
        return TradingPairIdentifier(base, self.reserve_asset, route.pools[-1], self.exchange_slug, fee)

    def pair_of(self, symbol: str, fee) -> TradingPairIdentifier:
        """The pair ``data.embedded(..., fee=...)`` means by ``symbol`` (a v2 pool's fee is the exchange's, recorded as given)."""
        return self.pair(symbol, Decimal(str(fee)) if fee is not None and not isinstance(fee, dict) else DEFAULT_LP_FEE)

    def embedded(self, symbols: Iterable[str] = ("ETH",), *, fee=None, time_frame: pd.Timedelta | None = None, **options) -> TradingUniverse:
        """The pairs' pools, with candles of ``time_frame`` (the cycle's by default) from their own events."""
        frame = time_frame or self.time_frame
        if frame > self.time_frame:  # the history was sized in cycles: as many candles of the longer frame
            self.history.history_seconds = max(self.history.history_seconds, int(self._history_in_cycles * (frame / self.time_frame)))
        pairs = {}
        for symbol in symbols:
            pair = self.pair_of(symbol, fee)
            pairs[pair.ticker] = pair
        pools = self.read_pools(pairs.values())
        candles = {ticker: self.history.candles(pools[ticker], pair.base.address, frame) for ticker, pair in pairs.items()}
        return TradingUniverse(self.chain_id, self.exchange_slug, self.reserve_asset, pairs, candles, frame)

    def chain(self, pairs: Iterable[str] = ("ETH",), time_frame: str | pd.Timedelta = "1h", **options) -> TradingUniverse:
        """Live, ``data.chain(...)`` means the same pools, with candles of the same ``time_frame`` as in a backtest."""
        frame = parse_time_frame(time_frame) if isinstance(time_frame, str) else pd.Timedelta(time_frame)
        return self.embedded([p.split("-")[0] for p in pairs], time_frame=frame, **{k: v for k, v in options.items() if k == "fee"})

    def files(self, *args, pairs: Iterable[str] | None = None, **options) -> TradingUniverse:
        if not pairs:
            raise DataError("In a live run data.files(...) needs pairs=[...] to know which pools to trade.")
        return self.embedded([p.split("-")[0] for p in pairs], **options)

    def read_pools(self, pairs: Iterable[TradingPairIdentifier]) -> dict[str, str]:
        """Ticker -> pool, each pool's history brought up to the latest block (one read for all pools once warm)."""
        pools, tracked = {}, {}
        for pair in pairs:
            pool, base_is_token0, name = self.pool_of(pair)
            pools[pair.ticker] = pool
            base, quote = TokenInfo(pair.base.address, pair.base.token_symbol, pair.base.decimals), TokenInfo(pair.quote.address, pair.quote.token_symbol, pair.quote.decimals)
            tracked[pool] = (base, quote, name) if base_is_token0 else (quote, base, name)
        if tracked.keys() - self.history.tracked:
            self.history.track(tracked)
        else:
            self.history.refresh()
        return pools

    def pool_of(self, pair: TradingPairIdentifier) -> tuple[str, bool, str]:
        """(the pair's pool, whether its base is the pool's token0, the name its cache gets)."""
        route = self.routing.route(pair.quote.address, pair.base.address)
        if route.hops != 1:
            raise DataError(f"{pair.ticker} trades through {route.hops} pools; live candles need a direct pool.")
        pool = route.pools[0]
        return pool, self.routing.token0(pool).lower() == pair.base.address.lower(), pair.ticker
