"""Different market data after a cut time: the counterfactual history the look-ahead check runs on.

At the cut time T a strategy knows every candle closed by T and one more price: the open of the
candle opening at T (it trades at that price). So that candle keeps its open (and liquidity),
while its high, low, close and volume change, and so does every later candle.

Prices are mirrored around the price at T with their moves amplified (``AMPLITUDE``) and a
small drift: every rise becomes a larger fall and every fall a rise. A decision that peeks at
where the price goes then flips for certain, where a random walk would agree with history half
the time; levels and sizes of moves change too. Mirroring keeps candles valid (the mirrored low
becomes the high) and prices positive. The transform is deterministic: reruns give the same data.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from trade_executor.market.universe import TradingUniverse

AMPLITUDE = 1.5
DRIFT = 0.97  # so that flat data (high == low == open) changes too
VOLUME_FACTOR = 2.0
PRICES = ("open", "high", "low", "close")


def universe_changed_after(universe: TradingUniverse, cut: pd.Timestamp) -> TradingUniverse:
    """A copy of ``universe`` whose candles (cycle and stop-loss alike) differ after ``cut``."""
    stop_loss = universe.stop_loss_candles
    return dataclasses.replace(
        universe,
        candles={ticker: changed_after(frame, cut) for ticker, frame in universe.candles.items()},
        stop_loss_candles={ticker: changed_after(frame, cut) for ticker, frame in stop_loss.items()} if stop_loss else stop_loss,
        _arrays={},
        _stop_loss_arrays={},
    )


def changed_after(frame: pd.DataFrame, cut: pd.Timestamp) -> pd.DataFrame:
    """``frame`` with every candle opening after ``cut`` changed, and the one opening at ``cut`` changed but for its open."""
    index = frame.index
    first = int(index.searchsorted(cut, side="left"))
    if first == len(index):
        return frame
    at_cut = index[first] == cut
    if at_cut:
        centre = float(frame["open"].iloc[first])
    else:
        centre = float(frame["close"].iloc[first - 1] if first else frame["open"].iloc[first])
    later = slice(first + 1 if at_cut else first, None)
    changed = frame.copy()
    o, h, lo, c = (frame[column].to_numpy(dtype="float64") for column in PRICES)

    def mirror(values: np.ndarray) -> np.ndarray:
        return centre * (values / centre) ** -AMPLITUDE * DRIFT

    new = {"open": o.copy(), "high": h.copy(), "low": lo.copy(), "close": c.copy()}
    new["open"][later], new["close"][later] = mirror(o[later]), mirror(c[later])
    new["high"][later], new["low"][later] = mirror(lo[later]), mirror(h[later])
    if at_cut:
        close = mirror(c[first])
        new["close"][first] = close
        new["high"][first] = max(o[first], close, mirror(lo[first]))
        new["low"][first] = min(o[first], close, mirror(h[first]))
    for column in PRICES:
        changed[column] = new[column]
    _change_other_columns(changed, frame, first, at_cut)
    return changed


def _change_other_columns(changed: pd.DataFrame, frame: pd.DataFrame, first: int, at_cut: bool) -> None:
    """Volume (not known until a candle closes) changes from the cut's candle on; other numbers after it."""
    for column in frame.columns:
        if column in PRICES or not pd.api.types.is_numeric_dtype(frame[column]):
            continue
        start = first if column == "volume" or not at_cut else first + 1
        values = frame[column].to_numpy(dtype="float64").copy()
        values[start:] *= VOLUME_FACTOR
        changed[column] = values
