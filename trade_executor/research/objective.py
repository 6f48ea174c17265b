"""Which backtest is better: one metric and a direction, with NaN (no trades, no variance) ranked last."""

from __future__ import annotations

import difflib
import math
from collections.abc import Sequence
from dataclasses import dataclass

from trade_executor.errors import ConfigurationError
from trade_executor.research.evaluate import METRICS

DIRECTIONS = ("maximize", "minimize")


@dataclass(frozen=True)
class Objective:
    metric: str = "sharpe"
    direction: str = "maximize"

    @classmethod
    def checked(cls, metric: str, direction: str, option: str = "--objective") -> Objective:
        if metric not in METRICS:
            close = difflib.get_close_matches(metric, METRICS, n=1)
            hint = f" Did you mean {close[0]}?" if close else ""
            raise ConfigurationError(f"{option}={metric!r} is not a metric.{hint} Use one of: {', '.join(METRICS)}.")
        if direction not in DIRECTIONS:
            raise ConfigurationError(f"--direction={direction!r}: use maximize or minimize.")
        return cls(metric, direction)

    def value(self, result) -> float:
        """The metric of a Result as a float; NaN when missing."""
        value = result.metrics.get(self.metric)
        return math.nan if value is None else float(value)

    def sort_key(self, result) -> tuple[int, float]:
        """Smaller is better: NaN last, then the best value first."""
        value = self.value(result)
        if math.isnan(value):
            return (1, 0.0)
        return (0, -value if self.direction == "maximize" else value)

    def best(self, results: Sequence):
        """The best result; the earliest of equal ones, so the choice never depends on timing."""
        if not results:
            raise ValueError("no results to choose from")
        return min(results, key=self.sort_key)  # min() keeps the first of equal keys

    def ranked(self, results: Sequence) -> list:
        return sorted(results, key=self.sort_key)  # a stable sort: ties stay in run order
