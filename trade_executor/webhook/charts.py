"""/visualisation: recent prices, the strategy's indicator plots and its trades, drawn on the server.

Uses matplotlib's object API with the Agg canvas (no pyplot, no global figure state), so drawing
on the HTTP server's worker threads is safe and needs no display.
"""

from __future__ import annotations

import datetime
import io

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from trade_executor.webhook.snapshot import Snapshot

FORMATS = {"svg": "image/svg+xml", "png": "image/png"}


class NoChartData(LookupError):
    """Nothing to draw yet: no cycle has read prices and no trade was made."""


def _times(values) -> list[datetime.datetime]:
    return [datetime.datetime.fromtimestamp(v, datetime.UTC).replace(tzinfo=None) for v in values]


def render_visualisation(snapshot: Snapshot, fmt: str) -> bytes:
    """The chart as SVG or PNG bytes; NoChartData before there is anything to show."""
    portfolio = snapshot.portfolio
    if not snapshot.prices and not portfolio.trade_markers:
        raise NoChartData("No prices or trades yet: the chart appears after the first completed cycle.")
    indicators = [series for series in portfolio.indicators if series.values]
    figure = Figure(figsize=(10, 6 if indicators else 4.5), dpi=100)
    FigureCanvasAgg(figure)
    if indicators:
        price_axes, indicator_axes = figure.subplots(2, 1, sharex=True, gridspec_kw={"height_ratios": [3, 1]})
    else:
        price_axes, indicator_axes = figure.subplots(1, 1), None
    _draw_prices(price_axes, snapshot)
    if indicator_axes is not None:
        for series in indicators:
            indicator_axes.plot(_times(series.timestamps), series.values, label=series.name, color=series.colour or None, linewidth=1)
        indicator_axes.legend(loc="upper left", fontsize="small")
        indicator_axes.grid(alpha=0.3)
    title = snapshot.metadata.name or portfolio.name or "Strategy"
    price_axes.set_title(f"{title}: prices and trades (cycle {portfolio.completed_cycle})")
    figure.autofmt_xdate()
    figure.tight_layout()
    output = io.BytesIO()
    figure.savefig(output, format=fmt, metadata={"Date": None} if fmt == "svg" else None)
    return output.getvalue()


def _draw_prices(axes, snapshot: Snapshot) -> None:
    for series in snapshot.prices:
        axes.plot(_times(series.timestamps), series.closes, label=f"{series.ticker} close", linewidth=1.2)
    markers = snapshot.portfolio.trade_markers
    buys = [m for m in markers if m.is_buy]
    sells = [m for m in markers if not m.is_buy]
    if buys:
        axes.scatter(_times(m.timestamp for m in buys), [m.price for m in buys], marker="^", color="#1a9850", s=40, label="buy", zorder=3)
    if sells:
        axes.scatter(_times(m.timestamp for m in sells), [m.price for m in sells], marker="v", color="#d73027", s=40, label="sell", zorder=3)
    axes.set_ylabel("price")
    axes.grid(alpha=0.3)
    axes.legend(loc="upper left", fontsize="small")
