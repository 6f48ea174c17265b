"""The changed history the look-ahead check reruns on: identical up to the cut, different after it."""

from __future__ import annotations

import numpy as np
import pandas as pd

from trade_executor.research.lookahead_data import changed_after

T0 = pd.Timestamp("2021-01-01 00:00")
CUT = T0 + pd.Timedelta(hours=3)


def frame(rows, freq="1h") -> pd.DataFrame:
    index = pd.date_range(T0, periods=len(rows), freq=freq, name="timestamp")
    return pd.DataFrame(rows, columns=["open", "high", "low", "close", "volume", "liquidity"], index=index)


ROWS = [(100.0 + i, 104.0 + i, 98.0 + i, 102.0 + i, 10.0, 1e6) for i in range(6)]


def test_candles_before_the_cut_are_untouched_and_the_cut_candle_keeps_its_open():
    original = frame(ROWS)
    changed = changed_after(original, CUT)
    pd.testing.assert_frame_equal(changed.iloc[:3], original.iloc[:3])
    at_cut = changed.loc[CUT]
    assert (at_cut["open"], at_cut["liquidity"]) == (103.0, 1e6)  # known at the cut: the price traded then, the pool
    assert at_cut["close"] != 105.0 and at_cut["volume"] == 20.0  # not known until the candle closes
    assert at_cut["close"] == 103.0 * (105.0 / 103.0) ** -1.5 * 0.97  # mirrored: a rise becomes a fall
    later = changed.iloc[4:]
    assert (later[["open", "high", "low", "close", "volume", "liquidity"]].to_numpy() != original.iloc[4:].to_numpy()).all()


def test_changed_candles_stay_valid_and_positive():
    changed = changed_after(frame(ROWS), CUT)
    values = changed[["open", "high", "low", "close"]].to_numpy()
    assert (values > 0).all()
    assert (changed["high"] >= changed[["open", "close"]].max(axis=1)).all()
    assert (changed["low"] <= changed[["open", "close"]].min(axis=1)).all()


def test_flat_data_changes_too_and_the_transform_is_deterministic():
    flat = frame([(100.0, 100.0, 100.0, 100.0, 1.0, 1e6)] * 6)
    first, second = changed_after(flat, CUT), changed_after(flat, CUT)
    pd.testing.assert_frame_equal(first, second)
    assert first.loc[CUT, "close"] == 97.0
    assert np.all(first["close"].iloc[4:].to_numpy() == 97.0)


def test_a_cut_inside_a_gap_changes_every_later_candle_from_the_last_close():
    original = frame(ROWS).drop(index=CUT)
    changed = changed_after(original, CUT)
    pd.testing.assert_frame_equal(changed.iloc[:3], original.iloc[:3])
    assert changed["open"].iloc[3] == 104.0 * 0.97  # 04:00 opens at 104, the 02:00 close: the centre of the mirror
