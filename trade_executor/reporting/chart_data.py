"""What a price chart draws for one pair: its close and the strategy's indicators over the backtest.

Each value is placed at its candle's close time, the moment a cycle could first see it, so a
trade marker sits next to the price the strategy acted on.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from trade_executor.market.universe import TradingUniverse
from trade_executor.strategy.indicators import IndicatorValues


@dataclass(frozen=True)
class PriceChartData:
    ticker: str
    close: pd.Series
    indicators: dict[str, pd.Series] = field(default_factory=dict)


def price_chart_data(
    universe: TradingUniverse,
    indicators: IndicatorValues | None,
    tickers: list[str],
    start: datetime.datetime,
    end: datetime.datetime,
) -> dict[str, PriceChartData]:
    """Close and indicator series of ``tickers`` (those the universe has) between ``start`` and ``end``.

    ``indicators`` is read as it stands at its cursor (the last cycle after a run), so a chart
    shows only values the backtest could have seen. Indicators that are all ``nan`` in the
    range (not per-pair, or still warming up) are left out.
    """
    found = {}
    for ticker in tickers:
        if ticker not in universe.candles:
            continue
        frame = universe.candles[ticker]
        close_times = frame.index + universe.time_frame
        inside = (close_times >= pd.Timestamp(start)) & (close_times <= pd.Timestamp(end))
        close = pd.Series(frame["close"].to_numpy(dtype="float64")[inside], index=close_times[inside])
        lines = {}
        for name in indicators.names if indicators is not None else []:
            values = np.full(len(frame), np.nan)
            seen = indicators.get_series(name, ticker)
            values[: len(seen)] = seen
            line = pd.Series(values[inside], index=close.index)
            if line.notna().any():
                lines[name] = line
        found[ticker] = PriceChartData(ticker, close, lines)
    return found
