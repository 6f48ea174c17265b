"""Deterministic synthetic candles (geometric Brownian motion) for tests and benchmarks."""

from __future__ import annotations

import numpy as np
import pandas as pd


def synthetic_candles(
    symbols: list[str],
    *,
    start: str = "2021-01-01",
    periods: int = 8760,
    freq: str = "1h",
    start_price: float = 100.0,
    volatility: float = 0.01,
    seed: int = 0,
) -> dict[str, pd.DataFrame]:
    """One OHLCV frame per symbol; the same seed always gives the same candles."""
    rng = np.random.default_rng(seed)
    index = pd.date_range(start, periods=periods, freq=freq, name="timestamp")
    frames = {}
    for symbol in symbols:
        drift = rng.normal(0, 0.0002)
        steps = rng.normal(drift, volatility, periods)
        close = start_price * np.exp(np.cumsum(steps))
        open_ = np.concatenate([[start_price], close[:-1]])
        wiggle = np.abs(rng.normal(0, volatility / 2, (2, periods)))
        high = np.maximum(open_, close) * (1 + wiggle[0])
        low = np.minimum(open_, close) * (1 - wiggle[1])
        volume = rng.uniform(1_000, 10_000, periods)
        columns = {"open": open_, "high": high, "low": low, "close": close, "volume": volume}
        frames[symbol] = pd.DataFrame(columns, index=index, copy=False)  # the arrays as they are: no 2-D copy of a million rows
    return frames
