"""Per-cycle look-ups: index lists whose int objects are shared, and float columns at 8 bytes a value.

The backtest reads several indexes per cycle (the candle of the cycle, the candles closed by it,
the stop-loss bars inside it). A list is the fastest thing to read one value from, but
``ndarray.tolist()`` makes a new int object (28 bytes) per entry, so a 1,000,000-cycle backtest
paid about 36 bytes per entry and per list. Here every list takes its ints from one shared run
of ints, so an entry costs its 8-byte pointer: an arithmetic run (the usual case: one candle
per cycle) is a slice of the shared run, made in C; other values are looked up one by one.
"""

from __future__ import annotations

from array import array

import numpy as np

_shared: list[int] = []  # _shared[k] is the int k - 1 (-1 marks "none", a gap)


def _ints_up_to(largest: int) -> list[int]:
    global _shared
    if len(_shared) < largest + 2:
        _shared = list(range(-1, max(largest + 2, 2 * len(_shared) - 1)))
    return _shared


def index_list(values: np.ndarray) -> list[int]:
    """``values.tolist()`` for int indexes of at least -1, its ints shared with every other such list."""
    if len(values) == 0:
        return []
    low, high = int(values.min()), int(values.max())
    if low < -1:
        return values.tolist()
    ints = _ints_up_to(high)
    first = int(values[0])
    if len(values) == 1:
        return [ints[first + 1]]
    step = int(values[1]) - first
    if step > 0 and int(values[-1]) == first + step * (len(values) - 1) and (np.diff(values) == step).all():
        return ints[first + 1 : int(values[-1]) + 2 : step]
    return list(map(ints.__getitem__, (values + 1).tolist()))


def float_column(values: np.ndarray) -> array:
    """A float64 array as ``array('d')``: read by index like a list (a Python float each read, about twice
    a list's time) at 8 bytes a value instead of the 32 of a list of floats."""
    column = array("d")
    column.frombytes(np.ascontiguousarray(values, dtype=np.float64).tobytes())
    return column
