"""Per-cycle look-ups: index lists whose int objects are shared, and float columns that share the data's memory.

The backtest reads several indexes per cycle (the candle of the cycle, the candles closed by it,
the stop-loss bars inside it). A list is the fastest thing to read one value from, but
``ndarray.tolist()`` makes a new int object (28 bytes) per entry, so a 1,000,000-cycle backtest
paid about 36 bytes per entry and per list. Here every list takes its ints from one shared run
of ints, so an entry costs its 8-byte pointer: an arithmetic run (the usual case: one candle
per cycle) is a slice of the shared run, made in C; other values are looked up one by one.

A float column is a ``memoryview`` of the float64 array itself: an item reads as a Python float
as fast as from a list, and nothing is copied (numpy's own item read makes a numpy scalar, 5x
slower).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

_shared: list[int] = []  # _shared[k] is the int k - 1 (-1 marks "none", a gap)


def _ints_up_to(largest: int) -> list[int]:
    global _shared
    if len(_shared) < largest + 2:
        _shared = list(range(-1, max(largest + 2, 2 * len(_shared) - 1)))
    return _shared


class SharedFloatColumns:
    """The float columns of one backtest, made once each: an array read by several parts (the opens: prices
    and stop-loss bars) is one column."""

    def __init__(self):
        self._floats: dict[int, tuple[np.ndarray, memoryview]] = {}  # id(array) -> (the array, kept so its id stays its own; the column)

    def floats(self, values: np.ndarray) -> memoryview:
        found = self._floats.get(id(values))
        if found is None:
            found = self._floats[id(values)] = (values, float_column(values))
        return found[1]


def sorted_positions(haystack: np.ndarray, needles: np.ndarray, side: str = "left") -> np.ndarray:
    """``np.searchsorted(haystack, needles, side)`` for sorted needles; when the needles are a run of the
    haystack itself (cycles on candle times: the usual case) it is an arange, with no binary search per needle."""
    count = len(needles)
    if count:
        start = int(np.searchsorted(haystack, needles[0], side="left"))
        if start + count <= len(haystack) and np.array_equal(haystack[start : start + count], needles):
            first = start + (1 if side == "right" else 0)
            return np.arange(first, first + count, dtype=np.int64)
    return np.searchsorted(haystack, needles, side=side)


def index_list(values: np.ndarray) -> Sequence[int]:
    """``values.tolist()`` for int indexes of at least -1: an arithmetic run (one candle per cycle, the usual
    case) is a ``range``, which holds no ints at all; other values are a list whose ints are shared with
    every other such list."""
    count = len(values)
    if count == 0:
        return []
    first = int(values[0])
    step = int(values[1]) - first if count > 1 else 1
    if step > 0 and first >= -1 and int(values[-1]) == first + step * (count - 1) and (np.diff(values) == step).all():
        return range(first, first + step * count, step)
    low, high = int(values.min()), int(values.max())
    if low < -1:
        return values.tolist()
    ints = _ints_up_to(high)
    return list(map(ints.__getitem__, (values + 1).tolist()))


def as_array(indexes: Sequence[int]) -> np.ndarray:
    """An index list or range as an int64 array (a range without iterating it)."""
    if isinstance(indexes, range):
        return np.arange(indexes.start, indexes.stop, indexes.step, dtype=np.int64)
    return np.asarray(indexes, dtype=np.int64)


def float_column(values: np.ndarray) -> memoryview:
    """A float64 array read by index like a list, a Python float each read, without a copy (unless
    ``values`` is not contiguous float64); ``np.frombuffer`` gives the array back."""
    return memoryview(np.ascontiguousarray(values, dtype=np.float64))
