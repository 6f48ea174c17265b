"""Where ``create_trading_universe`` gets its data: the embedded dataset or the user's files.

The strategy module receives one of these as ``data``; it already knows the chain, exchange and
reserve currency the module declared, so a strategy only names pairs and files.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from decimal import Decimal
from pathlib import Path

import pandas as pd

from trade_executor.errors import DataError
from trade_executor.identifiers import DEFAULT_LP_FEE, AssetIdentifier, TradingPairIdentifier, synthetic_address
from trade_executor.market.candles import forward_fill_candles, infer_time_frame, read_candle_file, validate_candles
from trade_executor.market.embedded import EMBEDDED_DATASETS, load_embedded_candles
from trade_executor.market.fee_tiers import check_fee_tier, is_concentrated_liquidity
from trade_executor.market.universe import TradingUniverse, unknown_pair_message

RESERVE_DECIMALS = {"USDC": 6, "USDT": 6, "BUSD": 18, "DAI": 18}


class MarketDataLoader:
    """Builds a TradingUniverse for the chain, exchange and reserve currency a strategy declares."""

    def __init__(self, chain_id: int, exchange_slug: str, reserve_symbol: str, *, base_path: Path | None = None, cache_path: Path | None = None):
        self.chain_id = int(chain_id)
        self.exchange_slug = exchange_slug
        self.base_path = base_path or Path.cwd()
        self.cache_path = self._resolve(cache_path or os.environ.get("CACHE_PATH") or "cache")  # where `download` puts pool histories
        self.reserve_asset = AssetIdentifier(
            chain_id=self.chain_id,
            address=synthetic_address(str(chain_id), reserve_symbol),
            token_symbol=reserve_symbol,
            decimals=RESERVE_DECIMALS.get(reserve_symbol.upper(), 18),
        )

    def embedded(self, symbols: Iterable[str] = ("ETH",), **options) -> TradingUniverse:
        """The shipped hourly ETH/USD and BTC/USD candles (2017-10 to 2019-10), quoted in the reserve."""
        frames = {}
        for symbol in symbols:
            if symbol.upper() not in EMBEDDED_DATASETS:
                raise DataError(f"No embedded data for {symbol}. Embedded symbols: {', '.join(EMBEDDED_DATASETS)}.")
            frames[self._ticker(symbol.upper())] = load_embedded_candles(symbol.upper())
        return self.from_frames(frames, **options)

    def chain(
        self,
        pairs: Iterable[str] = ("ETH",),
        time_frame: str | pd.Timedelta = "1h",
        *,
        fee: Decimal | float | dict[str, Decimal | float] = DEFAULT_LP_FEE,
        stop_loss_time_frame: str | pd.Timedelta | None = None,
        start: str | pd.Timestamp | None = None,
        end: str | pd.Timestamp | None = None,
    ) -> TradingUniverse:
        """Candles and liquidity of the real pools, from histories `trade-executor download` put in CACHE_PATH.

        The pairs are the pools themselves (token addresses, decimals, pool address), quoted in the
        reserve currency; each candle has the pool's ``liquidity``, so fills pay the price impact the
        pool had. On a v3 exchange ``fee`` (per symbol: {"ETH": 0.0005}) picks the fee tier's pool.
        See market/chain_data.py.
        """
        from trade_executor.market.chain_data import chain_universe

        pairs = list(pairs)
        fees = {symbol: _fee_for(fee, symbol) for symbol in pairs}  # a v3 pair's fee picks its pool's tier
        return chain_universe(
            self.cache_path, self.chain_id, self.exchange_slug, self.reserve_asset.token_symbol, pairs, time_frame,
            fee=fees, stop_loss_time_frame=stop_loss_time_frame, start=start, end=end,
        )  # fmt: skip

    def files(self, source: str | Path | Iterable[str | Path] | dict[str, str | Path], *, pairs: Iterable[str] | None = None, **options) -> TradingUniverse:
        """CSV or Parquet OHLCV: one file per pair, or one long table with a pair column.

        ``source`` may map tickers to files ({"ETH-USDC": "eth.csv"}); otherwise the pair comes
        from the table's pair column or, for a single-pair file, from ``pairs``.
        """
        frames: dict[str, pd.DataFrame] = {}
        read_from: list[str] = []
        if isinstance(source, dict):
            for ticker, path in source.items():
                read_from.append(str(path))
                loaded = read_candle_file(self._resolve(path))
                if len(loaded) != 1:
                    raise DataError(f"{path} holds {len(loaded)} pairs ({', '.join(loaded)}); map a single-pair file to {ticker}, or pass the file alone.")
                frames[self._ticker(ticker)] = next(iter(loaded.values()))
        else:
            paths = [source] if isinstance(source, (str, Path)) else list(source)
            for path in paths:
                read_from.append(str(path))
                for key, frame in read_candle_file(self._resolve(path)).items():
                    frames[self._ticker(key)] = frame
        if pairs is not None:
            wanted = [self._ticker(p) for p in pairs]
            if len(frames) == 1 and len(wanted) == 1 and wanted[0] not in frames:
                frames = {wanted[0]: next(iter(frames.values()))}
            missing = [p for p in wanted if p not in frames]
            if missing:
                raise DataError(unknown_pair_message(missing[0], frames, source=", ".join(read_from)) + " Check the pairs= list or the file's pair column.")
            frames = {p: frames[p] for p in wanted}
        return self.from_frames(frames, **options)

    def from_frames(
        self,
        frames: dict[str, pd.DataFrame],
        *,
        fee: Decimal | float | dict[str, Decimal | float] = DEFAULT_LP_FEE,
        exchange: str | dict[str, str] | None = None,
        liquidity_usd: Decimal | float | None = None,
        stop_loss_frames: dict[str, pd.DataFrame] | None = None,
        forward_fill: bool = False,
        base_decimals: int = 18,
    ) -> TradingUniverse:
        """Build the universe from candle frames keyed by ticker ("ETH-USDC") or base symbol.

        ``fee`` is the LP fee as a fraction, one for all pairs or per pair ({"ETH": 0.0005}); on a
        Uniswap v3 style exchange it is the pool's fee tier and must be one of the exchange's
        (market/fee_tiers.py). ``exchange`` sets a pair's exchange when it is not the strategy's
        ({"BTC": "uniswap-v2"}): a universe may mix v2 and v3 pools.
        """
        if not frames:
            raise DataError("No candle data was given to build the trading universe.")
        candles = {self._ticker(t): validate_candles(f, source=f"candles of {t}", pair=t) for t, f in frames.items()}
        time_frame = infer_time_frame(next(iter(candles.values())))
        if forward_fill:
            candles = {t: forward_fill_candles(f, time_frame) for t, f in candles.items()}
        pairs = {t: self._pair(t, fee, exchange_for(exchange, t, self.exchange_slug), base_decimals) for t in candles}
        stop_loss = None
        stop_loss_tf = None
        if stop_loss_frames:
            stop_loss = {self._ticker(t): validate_candles(f, source=f"stop loss candles of {t}", pair=t) for t, f in stop_loss_frames.items()}
            stop_loss_tf = infer_time_frame(next(iter(stop_loss.values())))
        return TradingUniverse(
            chain_id=self.chain_id,
            exchange_slug=self.exchange_slug,
            reserve_asset=self.reserve_asset,
            pairs=pairs,
            candles=candles,
            time_frame=time_frame,
            stop_loss_candles=stop_loss,
            stop_loss_time_frame=stop_loss_tf,
            liquidity_usd=None if liquidity_usd is None else Decimal(str(liquidity_usd)),
            forward_filled=forward_fill,
        )

    def _ticker(self, key: str) -> str:
        key = str(key).replace("/", "-").upper()
        base = key.split("-")[0]
        return f"{base}-{self.reserve_asset.token_symbol}"

    def _pair(self, ticker: str, fees, exchange_slug: str, base_decimals: int) -> TradingPairIdentifier:
        base_symbol = ticker.split("-")[0]
        base = AssetIdentifier(self.chain_id, synthetic_address(str(self.chain_id), base_symbol), base_symbol, base_decimals)
        fee = check_fee_tier(ticker, exchange_slug, _fee_for(fees, ticker))
        pool_parts = (str(self.chain_id), exchange_slug, ticker) + ((str(fee),) if is_concentrated_liquidity(exchange_slug) else ())
        return TradingPairIdentifier(base, self.reserve_asset, synthetic_address(*pool_parts), exchange_slug, fee)

    def _resolve(self, path: str | Path) -> Path:
        path = Path(path)
        return path if path.is_absolute() else self.base_path / path


def exchange_for(exchange: str | dict[str, str] | None, ticker: str, default: str) -> str:
    """The exchange ``exchange=`` gives the pair (by ticker or base symbol; one slug for all), else ``default``."""
    if isinstance(exchange, dict):
        return str(exchange.get(ticker, exchange.get(ticker.split("-")[0], default)))
    return str(exchange) if exchange else default


def _fee_for(fee: Decimal | float | dict[str, Decimal | float], ticker: str) -> Decimal:
    if isinstance(fee, dict):
        value = fee.get(ticker, fee.get(ticker.split("-")[0], DEFAULT_LP_FEE))
    else:
        value = fee
    value = Decimal(str(value))
    if not Decimal(0) <= value < Decimal("0.1"):
        raise DataError(f"LP fee {value} for {ticker} is not a fraction like 0.003 (= 0.30%).")
    return value
