"""The trading universe: which pairs a strategy trades, and their candles.

Besides the pandas frames a user reads, each pair's candles are kept as numpy arrays so the
backtest loop looks a price up by index, in constant time, whatever the history length.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field, replace
from decimal import Decimal

import numpy as np
import pandas as pd

from trade_executor.errors import DataError
from trade_executor.identifiers import AssetIdentifier, TradingPairIdentifier
from trade_executor.market.candles import Gap, find_gaps, format_time_frame, resample_candles
from trade_executor.market.pool_ranges import RangeHistory


@dataclass(slots=True)
class CandleArrays:
    """One pair's candles as arrays; ``timestamps`` are bar open times in int64 nanoseconds."""

    timestamps: np.ndarray
    open: np.ndarray
    high: np.ndarray
    low: np.ndarray
    close: np.ndarray
    liquidity: np.ndarray | None

    @classmethod
    def from_frame(cls, frame: pd.DataFrame) -> CandleArrays:
        liquidity = frame["liquidity"].to_numpy(dtype="float64") if "liquidity" in frame.columns else None
        return cls(
            timestamps=frame.index.asi8 if frame.index.dtype == "datetime64[ns]" else frame.index.as_unit("ns").asi8,
            open=frame["open"].to_numpy(dtype="float64"),
            high=frame["high"].to_numpy(dtype="float64"),
            low=frame["low"].to_numpy(dtype="float64"),
            close=frame["close"].to_numpy(dtype="float64"),
            liquidity=liquidity,
        )


@dataclass
class TradingUniverse:
    """Pairs on one chain and exchange, all quoted in the strategy's reserve currency."""

    chain_id: int
    exchange_slug: str
    reserve_asset: AssetIdentifier
    pairs: dict[str, TradingPairIdentifier]
    candles: dict[str, pd.DataFrame]
    time_frame: pd.Timedelta
    stop_loss_candles: dict[str, pd.DataFrame] | None = None
    stop_loss_time_frame: pd.Timedelta | None = None
    liquidity_usd: Decimal | None = None
    forward_filled: bool = False
    # ticker -> a v3 pool's initialised ticks and L through time (data.chain): fills cross ticks with each range's liquidity
    pool_ranges: dict[str, RangeHistory] = field(default_factory=dict)
    _arrays: dict[str, CandleArrays] = field(default_factory=dict, repr=False)
    _stop_loss_arrays: dict[str, CandleArrays] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        for ticker in self.pairs:
            if ticker not in self.candles:
                raise DataError(f"Pair {ticker} has no candles in the data. Pairs with data: {', '.join(sorted(self.candles))}.")

    # --- pairs -------------------------------------------------------------------------------

    def get_pair(self, ticker: str | TradingPairIdentifier) -> TradingPairIdentifier:
        """Find a pair by ticker ("ETH-USDC"); a bare base symbol ("ETH") works too."""
        if isinstance(ticker, TradingPairIdentifier):
            return ticker
        pair = self.pairs.get(ticker) or self.pairs.get(f"{ticker}-{self.reserve_asset.token_symbol}")
        if pair is None:
            raise DataError(unknown_pair_message(ticker, self.pairs))
        return pair

    def get_single_pair(self) -> TradingPairIdentifier:
        if len(self.pairs) != 1:
            raise DataError(f"The universe has {len(self.pairs)} pairs ({', '.join(self.pairs)}); name the pair you mean.")
        return next(iter(self.pairs.values()))

    def get_pair_count(self) -> int:
        return len(self.pairs)

    # --- candles -----------------------------------------------------------------------------

    def get_candles(self, pair: TradingPairIdentifier | str) -> pd.DataFrame:
        return self.candles[self.get_pair(pair).ticker]

    def get_arrays(self, ticker: str) -> CandleArrays:
        arrays = self._arrays.get(ticker)
        if arrays is None:
            arrays = self._arrays[ticker] = CandleArrays.from_frame(self.candles[ticker])
        return arrays

    def get_stop_loss_arrays(self, ticker: str) -> CandleArrays:
        """The finer candles for trigger checks; the cycle candles when there are none."""
        if not self.stop_loss_candles:
            return self.get_arrays(ticker)
        arrays = self._stop_loss_arrays.get(ticker)
        if arrays is None:
            arrays = self._stop_loss_arrays[ticker] = CandleArrays.from_frame(self.stop_loss_candles[ticker])
        return arrays

    def get_effective_stop_loss_time_frame(self) -> pd.Timedelta:
        return self.stop_loss_time_frame if self.stop_loss_candles else self.time_frame

    @property
    def start(self) -> pd.Timestamp:
        return min(frame.index[0] for frame in self.candles.values())

    @property
    def end(self) -> pd.Timestamp:
        return max(frame.index[-1] for frame in self.candles.values())

    def find_gaps(self) -> dict[str, list[Gap]]:
        return {ticker: find_gaps(frame, self.time_frame) for ticker, frame in self.candles.items()}

    # --- derived universes ---------------------------------------------------------------------

    def resampled(self, time_frame: pd.Timedelta | None, stop_loss_time_frame: pd.Timedelta | None) -> TradingUniverse:
        """A copy on coarser candles (the quick smoke-run overrides)."""
        candles = self.candles
        if time_frame is not None and time_frame != self.time_frame:
            candles = {t: resample_candles(f, time_frame) for t, f in self.candles.items()}
        stop_loss_candles, stop_loss_tf = self.stop_loss_candles, self.stop_loss_time_frame
        if stop_loss_time_frame is not None:
            source = self.stop_loss_candles or self.candles
            stop_loss_candles = {t: resample_candles(f, stop_loss_time_frame) for t, f in source.items()}
            stop_loss_tf = stop_loss_time_frame
        return replace(
            self,
            candles=candles,
            time_frame=time_frame or self.time_frame,
            stop_loss_candles=stop_loss_candles,
            stop_loss_time_frame=stop_loss_tf,
            _arrays={},
            _stop_loss_arrays={},
        )

    def limited_to(self, start: pd.Timestamp | None, end: pd.Timestamp | None) -> TradingUniverse:
        """A copy holding candles in [start, end] only."""
        if start is None and end is None:
            return self

        def cut(frames: dict[str, pd.DataFrame] | None) -> dict[str, pd.DataFrame] | None:
            if frames is None:
                return None
            return {t: f.loc[start:end] for t, f in frames.items()}

        candles = cut(self.candles)
        empty = [t for t, f in candles.items() if f.empty]
        if empty:
            raise DataError(
                f"No candles for {', '.join(empty)} between {start or 'the start'} and {end or 'the end'}; "
                f"the data covers {self.start} to {self.end}. Choose dates inside that range."
            )
        return replace(self, candles=candles, stop_loss_candles=cut(self.stop_loss_candles), _arrays={}, _stop_loss_arrays={})

    def describe(self) -> str:
        tf = format_time_frame(self.time_frame)
        return f"{len(self.pairs)} pair(s) {', '.join(self.pairs)}, {tf} candles {self.start} to {self.end}"


def unknown_pair_message(ticker: str, known: dict[str, object], source: str = "the data") -> str:
    """Say which pairs there are; suggest one only when the base symbols look alike (not just the quote)."""
    bases = {k.split("-")[0]: k for k in known}
    close = difflib.get_close_matches(ticker.split("-")[0], list(bases), n=1, cutoff=0.6)
    hint = f" Did you mean {bases[close[0]]}?" if close else ""
    return f"Pair {ticker} is not in {source}. Pairs available: {', '.join(sorted(known)) or 'none'}.{hint}"
