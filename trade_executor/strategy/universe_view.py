"""What ``decide_trades`` sees of the trading universe: only candles closed by the cycle's time.

The engine keeps the full TradingUniverse (prices, fills, trigger checks and indicators need
every candle); the strategy gets this read-only view instead, so no read through
``input.universe`` can look ahead. A candle opening at t on time frame tf is shown at cycle time
T once t + tf <= T (stop-loss candles likewise, on their own time frame).

The cut is made per read, from the cycle's closed-candle count that IndicatorValues already
keeps (the runner moves its cursor each cycle), so ``get_candles`` and the indicators always
agree, and a backtest pays nothing per cycle for a strategy that does not read candles.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from types import MappingProxyType

import numpy as np
import pandas as pd

from trade_executor.identifiers import TradingPairIdentifier
from trade_executor.market.candles import Gap, find_gaps, format_time_frame
from trade_executor.market.universe import TradingUniverse, unknown_pair_message
from trade_executor.strategy.indicators import IndicatorValues

#: Read-only metadata copied from the universe: none of it says anything about later prices.
METADATA = ("chain_id", "exchange_slug", "reserve_asset", "time_frame", "stop_loss_time_frame", "liquidity_usd", "forward_filled")


class ClosedFrames(Mapping):
    """A mapping ticker -> candle frame cut at the current cycle; each read cuts afresh (a cheap ``iloc`` view)."""

    __slots__ = ("_frames", "_keys", "_count")

    def __init__(self, frames: dict[str, pd.DataFrame], keys: Sequence[str], count: Callable[[str], int]):
        self._frames = frames
        self._keys = dict.fromkeys(keys)  # ordered, O(1) membership
        self._count = count

    def __getitem__(self, ticker: str) -> pd.DataFrame:
        if ticker not in self._keys:
            raise KeyError(unknown_pair_message(str(ticker), self._keys))
        return self._frames[ticker].iloc[: self._count(ticker)]

    def __contains__(self, ticker: object) -> bool:
        return ticker in self._keys

    def __iter__(self) -> Iterator[str]:
        return iter(self._keys)

    def __len__(self) -> int:
        return len(self._keys)

    def __repr__(self) -> str:
        return f"<candles closed by now: {', '.join(self._keys)}>"


class ClosedCandlesUniverse:
    """The TradingUniverse API strategies use, showing only candles closed by the cycle's time.

    ``cycle_times_ns`` are the cycle times (int64 ns) that ``indicators.cursor`` indexes: every
    cycle of a backtest, or the one cycle of a live tick.
    """

    __slots__ = ("_universe", "_indicators", "_cycle_times", "pairs", "candles", "stop_loss_candles", *METADATA)

    def __init__(self, universe: TradingUniverse, indicators: IndicatorValues, cycle_times_ns: Sequence[int] | np.ndarray):
        setter = object.__setattr__
        setter(self, "_universe", universe)
        setter(self, "_indicators", indicators)
        setter(self, "_cycle_times", cycle_times_ns)
        for name in METADATA:
            setter(self, name, getattr(universe, name))
        setter(self, "pairs", MappingProxyType(universe.pairs))
        setter(self, "candles", ClosedFrames(universe.candles, list(universe.pairs), indicators.get_closed_candle_count))
        stop_loss = universe.stop_loss_candles
        setter(self, "stop_loss_candles", ClosedFrames(stop_loss, list(stop_loss), self._closed_stop_loss_count) if stop_loss else None)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"input.universe is read-only (setting {name!r}); keep your own values in a variable or in input.state.visualisation.")

    def __getattr__(self, name: str):
        """Only reached for names the view does not have: say why, instead of a bare AttributeError."""
        raise AttributeError(
            f"input.universe has no {name!r}: it shows only candles closed by the cycle time. "
            "Read history with input.universe.get_candles(pair), input.universe.candles[ticker] or input.indicators."
        )

    # --- pairs -------------------------------------------------------------------------------

    def get_pair(self, ticker: str | TradingPairIdentifier) -> TradingPairIdentifier:
        """Find a pair by ticker ("ETH-USDC"); a bare base symbol ("ETH") works too."""
        return self._universe.get_pair(ticker)

    def get_single_pair(self) -> TradingPairIdentifier:
        return self._universe.get_single_pair()

    def get_pair_count(self) -> int:
        return len(self.pairs)

    # --- candles -----------------------------------------------------------------------------

    def get_candles(self, pair: TradingPairIdentifier | str) -> pd.DataFrame:
        """The pair's candles closed by now, oldest first."""
        ticker = self._universe.get_pair(pair).ticker
        return self._universe.candles[ticker].iloc[: self._indicators.get_closed_candle_count(ticker)]

    def get_effective_stop_loss_time_frame(self) -> pd.Timedelta:
        return self._universe.get_effective_stop_loss_time_frame()

    def _closed_stop_loss_count(self, ticker: str) -> int:
        """Stop-loss candles opening at or before now - their time frame: one binary search per read."""
        now = int(self._cycle_times[self._indicators.cursor])
        timestamps = self._universe.get_stop_loss_arrays(ticker).timestamps
        return int(np.searchsorted(timestamps, now - self.stop_loss_time_frame.value, side="right"))

    @property
    def start(self) -> pd.Timestamp | None:
        """The open time of the first closed candle of any pair; None before any candle has closed."""
        firsts = [frame.index[0] for frame in self.candles.values() if len(frame)]
        return min(firsts) if firsts else None

    @property
    def end(self) -> pd.Timestamp | None:
        """The open time of the latest closed candle of any pair; None before any candle has closed."""
        lasts = [frame.index[-1] for frame in self.candles.values() if len(frame)]
        return max(lasts) if lasts else None

    def find_gaps(self) -> dict[str, list[Gap]]:
        return {ticker: find_gaps(frame, self.time_frame) for ticker, frame in self.candles.items()}

    def describe(self) -> str:
        tf = format_time_frame(self.time_frame)
        closed = f"{self.start} to {self.end}" if self.end is not None else "none closed yet"
        return f"{len(self.pairs)} pair(s) {', '.join(self.pairs)}, {tf} candles {closed}"

    def __repr__(self) -> str:
        return f"<ClosedCandlesUniverse {self.describe()}>"
