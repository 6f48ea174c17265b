"""Candles from a pool's own price history (Sync events), the way a live strategy sees the market."""

from __future__ import annotations

import numpy as np
import pandas as pd


def candles_from_prices(timestamps: list[int], prices: list[float], time_frame: pd.Timedelta, volumes: list[float] | None = None) -> pd.DataFrame:
    """OHLC per time-frame bucket from (unix seconds, price) points; buckets with no point are absent."""
    if not timestamps:
        return pd.DataFrame(columns=["open", "high", "low", "close", "volume"], index=pd.DatetimeIndex([], name="timestamp"), dtype="float64")
    index = pd.to_datetime(np.asarray(timestamps, dtype="int64"), unit="s")
    series = pd.Series(np.asarray(prices, dtype="float64"), index=index).sort_index(kind="stable")
    grouped = series.resample(time_frame, origin="epoch", label="left", closed="left")
    frame = grouped.ohlc().dropna()
    volume = pd.Series(np.asarray(volumes if volumes is not None else [0.0] * len(prices), dtype="float64"), index=index).sort_index(kind="stable")
    frame["volume"] = volume.resample(time_frame, origin="epoch", label="left", closed="left").sum().reindex(frame.index).fillna(0.0)
    frame.index = frame.index.as_unit("ns")
    frame.index.name = "timestamp"
    return frame
