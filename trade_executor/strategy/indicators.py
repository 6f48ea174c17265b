"""Indicators: computed once over the whole series, vectorised; read only up to now.

``create_indicators`` returns an IndicatorSet of definitions. The runner computes each one per
pair over all candles, then the strategy reads them through IndicatorValues, whose cursor the
runner moves each cycle: a value is visible only once its candle has closed by the cycle time,
so look-ahead is impossible by construction, and a read is a list index (O(1)).
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from trade_executor.errors import StrategyModuleError, StrategyRuntimeError
from trade_executor.identifiers import TradingPairIdentifier
from trade_executor.market.indexes import as_array, float_column, index_list, sorted_positions
from trade_executor.market.universe import TradingUniverse

SOURCES = ("open", "high", "low", "close", "volume", "ohlcv")
NAN = math.nan


@dataclass(frozen=True)
class IndicatorDefinition:
    name: str
    func: Callable[..., Any]
    source: str
    parameters: dict[str, Any] = field(default_factory=dict)


class IndicatorSet:
    """What to compute. ``func(series, **parameters)`` gets one pair's close (or other column,
    or the whole OHLCV frame with ``source="ohlcv"``) and returns a series of the same length."""

    def __init__(self) -> None:
        self.definitions: dict[str, IndicatorDefinition] = {}

    def add(self, name: str, func: Callable[..., Any], *, source: str = "close", **parameters: Any) -> None:
        if name in self.definitions:
            raise StrategyModuleError(f"Indicator {name!r} is added twice in create_indicators; give each indicator its own name.")
        if source not in SOURCES:
            raise StrategyModuleError(f"Indicator {name!r}: source {source!r} is not one of {', '.join(SOURCES)}.")
        if not callable(func):
            raise StrategyModuleError(f"Indicator {name!r}: {func!r} is not a function.")
        self.definitions[name] = IndicatorDefinition(name, func, source, parameters)


def compute_indicators(indicators: IndicatorSet, universe: TradingUniverse) -> dict[str, dict[str, np.ndarray]]:
    """Every indicator for every pair, as float arrays aligned with the pair's candles."""
    computed: dict[str, dict[str, np.ndarray]] = {}
    for name, definition in indicators.definitions.items():
        computed[name] = {}
        for ticker, frame in universe.candles.items():
            data = frame if definition.source == "ohlcv" else frame[definition.source]
            try:
                result = definition.func(data, **definition.parameters)
            except (Exception, SystemExit) as e:  # sys.exit() in an indicator is a strategy bug
                raise StrategyRuntimeError(f"Indicator {name!r} failed for {ticker}: {type(e).__name__}: {e}") from e
            computed[name][ticker] = _as_aligned_array(result, frame, name, ticker)
    return computed


def _as_aligned_array(result: Any, frame: pd.DataFrame, name: str, ticker: str) -> np.ndarray:
    if isinstance(result, pd.DataFrame):
        raise StrategyRuntimeError(f"Indicator {name!r} returned a DataFrame for {ticker}; return one series per indicator (add one indicator per column).")
    if isinstance(result, pd.Series):
        if not result.index.equals(frame.index):
            result = result.reindex(frame.index)
        values = result.to_numpy(dtype="float64", na_value=np.nan)
    else:
        values = np.asarray(result, dtype="float64")
    if values.shape != (len(frame),):
        raise StrategyRuntimeError(f"Indicator {name!r} returned {values.shape} values for the {len(frame)} candles of {ticker}; return a series aligned with its input.")
    return values


class IndicatorValues:
    """The strategy's read-only view of the indicators at the current cycle."""

    def __init__(self, computed: dict[str, dict[str, np.ndarray]], closed_counts: dict[str, list[int]], universe: TradingUniverse):
        self._arrays = computed
        self._closed = closed_counts
        self._universe = universe
        self._default = next(iter(universe.pairs)) if len(universe.pairs) == 1 else None
        # name -> ticker -> (values, closed candle count per cycle): one dict hit per read. When every count is
        # the cycle plus a constant (one candle per cycle, no gap: a range), the count is that constant and
        # ``get`` adds it to the cursor, which is as cheap as reading a list and holds no list.
        offsets = all(isinstance(c, range) and c.step == 1 for c in closed_counts.values())
        self._columns = {
            name: {t: (float_column(a), closed_counts[t].start if offsets else closed_counts[t]) for t, a in per_pair.items()}
            for name, per_pair in computed.items()
        }
        if offsets:
            self.get = self._get_by_offset
        self._default_columns = {name: per_pair[self._default] for name, per_pair in self._columns.items()} if self._default else {}
        self._matrices: dict[str, tuple[list[str], np.ndarray]] = {}
        self.cursor = 0

    def get(self, name: str, pair: TradingPairIdentifier | str | None = None, lag: int = 0) -> float:
        """The value at the last candle closed by now (``lag`` candles earlier); NaN before there is one."""
        try:
            if pair is None:
                values, closed = self._default_columns[name]
            else:
                values, closed = self._columns[name][pair if pair.__class__ is str else pair.ticker]
        except KeyError:
            values, closed = self._resolve(name, pair)
        index = closed[self.cursor] - 1 - lag
        return values[index] if index >= 0 else NAN

    def _get_by_offset(self, name: str, pair: TradingPairIdentifier | str | None = None, lag: int = 0) -> float:
        """``get`` when the closed candle count is the cycle plus a constant (see __init__)."""
        try:
            if pair is None:
                values, offset = self._default_columns[name]
            else:
                values, offset = self._columns[name][pair if pair.__class__ is str else pair.ticker]
        except KeyError:
            values, offset = self._resolve(name, pair)
        index = self.cursor + offset - 1 - lag
        return values[index] if index >= 0 else NAN

    def get_all(self, name: str) -> dict[str, float]:
        """The latest closed value of an indicator for every pair, keyed by ticker (portfolio strategies)."""
        tickers, matrix = self._matrix(name)
        return dict(zip(tickers, matrix[self.cursor].tolist(), strict=True))

    def get_series(self, name: str, pair: TradingPairIdentifier | str | None = None) -> np.ndarray:
        """All values up to the last closed candle (a read-only view, oldest first)."""
        ticker = self._ticker(pair)
        self._resolve(name, ticker)
        view = self._arrays[name][ticker][: self._closed[ticker][self.cursor]]
        view.flags.writeable = False
        return view

    def get_closed_candle_count(self, pair: TradingPairIdentifier | str | None = None) -> int:
        return self._closed[self._ticker(pair)][self.cursor]

    @property
    def names(self) -> list[str]:
        return list(self._arrays)

    def _ticker(self, pair: TradingPairIdentifier | str | None) -> str:
        if pair is None:
            if self._default is None:
                raise StrategyRuntimeError("The universe has several pairs: pass the pair, e.g. indicators.get('rsi', pair).")
            return self._default
        if pair.__class__ is str:
            return pair if pair in self._closed else self._universe.get_pair(pair).ticker
        return pair.ticker

    def _resolve(self, name: str, pair: TradingPairIdentifier | str | None) -> tuple[Sequence[float], list[int]]:
        """The slow path of ``get``: an unknown name, a bare symbol ("ETH"), or no default pair."""
        per_pair = self._columns.get(name)
        if per_pair is None:
            close = difflib.get_close_matches(name, list(self._columns), n=1)
            hint = f" Did you mean {close[0]!r}?" if close else ""
            raise StrategyRuntimeError(f"No indicator named {name!r} (defined: {', '.join(self._columns) or 'none'}).{hint}")
        return per_pair[self._ticker(pair)]

    def _matrix(self, name: str) -> tuple[list[str], np.ndarray]:
        """Cycle x pair matrix of the latest closed values, built on first use."""
        found = self._matrices.get(name)
        if found is None:
            self._resolve(name, next(iter(self._closed)))
            tickers = list(self._arrays[name])
            columns = []
            for ticker in tickers:
                values = np.concatenate([[np.nan], self._arrays[name][ticker]])
                columns.append(values[as_array(self._closed[ticker])])
            found = self._matrices[name] = (tickers, np.column_stack(columns))
        return found


def closed_candle_counts(universe: TradingUniverse, cycle_times_ns: np.ndarray) -> dict[str, Sequence[int]]:
    """Per pair and cycle: how many candles have closed (open + time frame <= cycle time)."""
    step = universe.time_frame.value
    return {
        ticker: index_list(sorted_positions(universe.get_arrays(ticker).timestamps + step, cycle_times_ns, side="right"))
        for ticker in universe.pairs
    }
