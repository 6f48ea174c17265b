"""What the strategy wants drawn or said about each cycle: messages and custom plots."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field


@dataclass(slots=True)
class Plot:
    name: str
    colour: str = ""
    timestamps: list[datetime.datetime] = field(default_factory=list)
    values: list[float] = field(default_factory=list)


@dataclass(slots=True)
class Visualisation:
    messages: dict[str, list[str]] = field(default_factory=dict)
    plots: dict[str, Plot] = field(default_factory=dict)

    def add_message(self, timestamp: datetime.datetime, text: str) -> None:
        self.messages.setdefault(timestamp.isoformat(), []).append(text)

    def plot_indicator(self, timestamp: datetime.datetime, name: str, value: float, colour: str = "") -> None:
        plot = self.plots.get(name)
        if plot is None:
            plot = self.plots[name] = Plot(name, colour)
        plot.timestamps.append(timestamp)
        plot.values.append(float(value))
