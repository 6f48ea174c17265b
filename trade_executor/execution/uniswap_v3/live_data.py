"""The ``data`` of a live run on Uniswap v3: the pairs' pools, with candles from each pool's own oracle.

``data.embedded(["ETH"], fee={"ETH": 0.0005})`` means the ETH pool of the 0.05 % tier against the
reserve token (TOKEN_<SYMBOL> addresses, pools from the v3 factory); without a fee, the first tier
(in the routing's order) that has a pool.

Candles, for now, come from the pool's oracle rather than from downloaded Swap events: one
``observe(secondsAgos)`` call gives the tick accumulator at every candle boundary, and each candle is
the time-weighted mean price over it (open = high = low = close: a TWAP bar, no volume). They reach
as far back as the pool's observations do (``increase_cardinality`` in oracle.py keeps more); the
oldest candle may start part-way. The candle still forming ends now. A strategy whose indicators
need intra-candle highs and lows, or volume, needs the Swap-event download (not built yet).
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

import numpy as np
import pandas as pd
from web3 import Web3

from trade_executor.chain.rpc_calls import RpcCaller
from trade_executor.errors import ConfigurationError, DataError
from trade_executor.execution.uniswap_v2.live_data import ChainMarketDataLoader
from trade_executor.execution.uniswap_v3.abi import call_data, decode_result
from trade_executor.execution.uniswap_v3.live_pricing import UniswapV3LiveRouting
from trade_executor.execution.uniswap_v3.oracle import UniswapV3Oracle, human_price, mean_tick
from trade_executor.execution.uniswap_v3.pool_state import raw_price0
from trade_executor.identifiers import TradingPairIdentifier
from trade_executor.market.fee_tiers import PIPS, check_fee_tier
from trade_executor.market.pool_candles import COLUMNS
from trade_executor.market.uniswap_v3_math import get_sqrt_ratio_at_tick
from trade_executor.market.universe import TradingUniverse


class OracleCandles:
    """TWAP candles of v3 pools from their observations (``history_seconds`` back at most)."""

    def __init__(self, web3: Web3, *, history_seconds: int, caller: RpcCaller | None = None):
        self.web3 = web3
        self.history_seconds = history_seconds
        self.caller = caller or RpcCaller(web3.provider)
        self._oracle = UniswapV3Oracle(web3, caller=self.caller)

    def _call(self, pool: str, block: int, name: str, *args) -> tuple | None:
        answer = self.caller.call("eth_call", [{"to": pool, "data": call_data(name, *args)}, hex(block)])
        return None if "error" in answer else decode_result(name, answer["result"])

    def candles(self, pair: TradingPairIdentifier, time_frame: pd.Timedelta) -> pd.DataFrame:
        """The pair's pool's candles of ``time_frame`` up to the latest block."""
        pool, step = pair.pool_address, int(pd.Timedelta(time_frame).total_seconds())
        head = self.web3.eth.get_block("latest")
        number, now = head["number"], int(head["timestamp"])
        slot0 = self._call(pool, number, "slot0")
        if slot0 is None:
            raise ConfigurationError(f"{pool} answers no slot0() at block {number}: it is not a Uniswap v3 pool.")
        _, tick, index, cardinality, *_ = slot0
        oldest = self._oracle.oldest_observation(pool, number, index, cardinality)
        start = max(now - self.history_seconds, oldest if oldest is not None else now)
        points = sorted({start, *range((start // step + 1) * step, now, step), now})
        if len(points) == 1:  # the pool's only observation is of this very block: its tick holds now
            ticks = [tick]
        else:
            observed = self._call(pool, number, "observe", [now - t for t in points])
            if observed is None:
                raise DataError(f"Pool {pool} could not report its observations over the last {now - start} s at block {number}.")
            cumulatives = observed[0]
            ticks = [mean_tick(cumulatives[i], cumulatives[i + 1], points[i + 1] - points[i]) for i in range(len(points) - 1)]
        base_is_token0 = int(pair.base.address, 16) < int(pair.quote.address, 16)
        prices = [
            float(human_price(raw_price0(get_sqrt_ratio_at_tick(t)), base_is_token0=base_is_token0, base_decimals=pair.base.decimals, quote_decimals=pair.quote.decimals))
            for t in ticks
        ]
        index_ = pd.DatetimeIndex(pd.to_datetime([p // step * step for p in points[: len(prices)]], unit="s"), name="timestamp").as_unit("ns")
        frame = pd.DataFrame({"open": prices, "high": prices, "low": prices, "close": prices, "volume": 0.0, "liquidity": np.nan}, index=index_)
        return frame[COLUMNS].astype("float64")


class UniswapV3MarketDataLoader(ChainMarketDataLoader):
    """The v2 loader's tokens and assets; v3 pools by fee tier and oracle candles (``history``: an OracleCandles)."""

    routing: UniswapV3LiveRouting
    history: OracleCandles

    def pair(self, symbol: str, fee=None) -> TradingPairIdentifier:
        base = self.asset(symbol)
        tier = None if fee is None else int(check_fee_tier(f"{base.token_symbol}-{self.reserve_asset.token_symbol}", self.exchange_slug, Decimal(str(fee))) * PIPS)
        route = self.routing.route(self.reserve_asset.address, base.address, fee=tier)
        if len(route.hops) != 1:
            raise DataError(f"{base.token_symbol} trades against {self.reserve_asset.token_symbol} only through {len(route.hops)} pools; live candles need a direct pool.")
        (hop,) = route.hops
        return TradingPairIdentifier(base, self.reserve_asset, hop.pool, self.exchange_slug, Decimal(hop.fee) / PIPS)

    def embedded(self, symbols: Iterable[str] = ("ETH",), *, fee=None, time_frame: pd.Timedelta | None = None, **options) -> TradingUniverse:
        """The pairs' pools (``fee``: one fee for all, or per symbol), with oracle candles of ``time_frame`` (the cycle's by default)."""
        frame = time_frame or self.time_frame
        if frame > self.time_frame:  # the history was sized in cycles: as many candles of the longer frame
            self.history.history_seconds = max(self.history.history_seconds, int(self._history_in_cycles * (frame / self.time_frame)))
        pairs = {}
        for symbol in symbols:
            pair = self.pair(symbol, fee.get(symbol) if isinstance(fee, dict) else fee)
            pairs[pair.ticker] = pair
        candles = {ticker: self.history.candles(pair, frame) for ticker, pair in pairs.items()}
        return TradingUniverse(self.chain_id, self.exchange_slug, self.reserve_asset, pairs, candles, frame)
