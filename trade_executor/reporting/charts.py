"""The report's plotly figures: equity with drawdown beneath, and a price chart per traded pair.

Every trace is SVG (``go.Scatter``, never WebGL: the report must draw in a browser without a
GPU). Long series go in as float arrays, which plotly embeds as compact base64; a regular
series (one point per cycle or candle, gaps as ``nan``) sends only its first time and step.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from trade_executor.reporting.chart_data import PriceChartData
from trade_executor.reporting.markers import MarkerKind, TradeMarker
from trade_executor.reporting.numbers import format_significant

INDICATOR_COLOURS = ("#1f77b4", "#ff7f0e", "#9467bd", "#17becf", "#8c564b", "#e377c2", "#bcbd22")
MARKER_STYLES = {
    MarkerKind.entry: dict(symbol="triangle-up", color="#2ca02c", size=8),
    MarkerKind.exit: dict(symbol="triangle-down", color="#d62728", size=8),
    MarkerKind.stop_loss: dict(symbol="x", color="#000000", size=8),
    MarkerKind.take_profit: dict(symbol="star", color="#e6a700", size=10),
    MarkerKind.trailing_stop_loss: dict(symbol="diamond", color="#ff7f0e", size=8),
}
LAYOUT = dict(
    template="plotly_white",
    margin=dict(l=70, r=20, t=40, b=40),
    hovermode="x unified",
    legend=dict(orientation="h", y=1.02, yanchor="bottom", x=0),
)


def equity_figure(equity: pd.Series, drawdown: pd.Series) -> go.Figure:
    """Equity on top, drawdown (percent below the running peak) in a shorter panel beneath."""
    figure = make_subplots(rows=2, cols=1, shared_xaxes=True, row_heights=[0.7, 0.3], vertical_spacing=0.04)
    figure.add_trace(
        go.Scatter(name="Equity", line=dict(color="#1f77b4", width=1.5), hovertemplate="%{y:,.2f}", **_xy(equity, "float64")),
        row=1,
        col=1,
    )
    figure.add_trace(
        go.Scatter(name="Drawdown %", fill="tozeroy", line=dict(color="#d62728", width=1), hovertemplate="%{y:.2f}%", **_xy(drawdown * 100)),
        row=2, col=1,
    )  # fmt: skip
    figure.update_layout(height=520, **LAYOUT)
    figure.update_xaxes(type="date")
    figure.update_yaxes(title_text="Equity", tickformat=",.0f", row=1, col=1)
    figure.update_yaxes(title_text="Drawdown %", ticksuffix="%", row=2, col=1)
    return figure


def price_figure(data: PriceChartData, markers: dict[MarkerKind, list[TradeMarker]], quote: str) -> go.Figure:
    """The pair's close, its indicators, and one marker trace per kind of trade."""
    figure = go.Figure()
    figure.add_trace(go.Scatter(name="Close", line=dict(color="#555555", width=1), hovertemplate="%{y:,.6g}", **_xy(data.close)))
    for colour, (name, line) in zip(_colours(), data.indicators.items(), strict=False):
        figure.add_trace(go.Scatter(name=name, line=dict(color=colour, width=1.2), hovertemplate="%{y:,.6g}", **_xy(line)))
    for kind in MarkerKind:
        found = markers.get(kind, [])
        if found:
            figure.add_trace(_marker_trace(kind, found, data.ticker, quote))
    figure.update_layout(height=560, **LAYOUT)
    figure.update_xaxes(type="date")
    if not data.close.empty:  # markers would otherwise pad the axis beyond the backtest
        figure.update_xaxes(range=[data.close.index[0].isoformat(), data.close.index[-1].isoformat()])
    if _wide_range(data.close):
        ticks = _log_ticks(float(data.close.min()), float(data.close.max()))
        figure.update_yaxes(
            title_text=f"Price ({quote}, log scale)", type="log", tickvals=ticks, ticktext=[f"{t:,g}" for t in ticks]
        )
    else:
        figure.update_yaxes(title_text=f"Price ({quote})")
    return figure


def _marker_trace(kind: MarkerKind, markers: list[TradeMarker], ticker: str, quote: str) -> go.Scatter:
    """Points at each swap's executed price; ``meta`` names the kind so tests and scripts can find them."""
    texts = [
        f"{kind.label[:-1] if kind.label.endswith('s') else kind.label} #{m.trade_id} (position #{m.position_id}) "
        f"{'buy' if m.quantity > 0 else 'sell'} {format_significant(abs(m.quantity))} at {format_significant(m.price)} {quote}"
        + (f", trigger {format_significant(m.trigger_price)}" if m.trigger_price is not None else "")
        for m in markers
    ]
    style = MARKER_STYLES[kind]
    return go.Scatter(
        name=f"{kind.label} ({len(markers)})",
        meta=kind.value,
        mode="markers",
        x=[m.at.isoformat() for m in markers],
        y=[float(m.price) for m in markers],
        text=texts,
        hovertemplate="%{text}<extra></extra>",
        marker=dict(symbol=style["symbol"], color=style["color"], size=style["size"], line=dict(width=0.5, color="#ffffff")),
    )


def _wide_range(close: pd.Series) -> bool:
    """Prices spanning more than 4x read better on a log axis (a 10% move looks the same at 100 and 1,000)."""
    low, high = close.min(), close.max()
    return bool(low > 0 and high / low > 4)


def _log_ticks(low: float, high: float) -> list[float]:
    """1-2-5 steps across the range: plotly's own log ticks label the minor ones as bare digits."""
    ticks = []
    for exponent in range(math.floor(math.log10(low)) - 1, math.ceil(math.log10(high)) + 1):
        ticks += [step * 10.0**exponent for step in (1, 2, 5) if low / 1.5 <= step * 10.0**exponent <= high * 1.5]
    return ticks


def _colours():
    while True:
        yield from INDICATOR_COLOURS


def _xy(series: pd.Series, dtype: str = "float32") -> dict:
    """``x0``/``dx`` for a regular series (gaps become ``nan`` and break the line), else x as epoch ms.

    Values are float32 unless asked otherwise: seven significant digits are plenty for a line,
    and the file is smaller. Equity keeps float64, so its hover shows the cents.
    """
    index = pd.DatetimeIndex(series.index)
    values = series.to_numpy(dtype=dtype)
    if len(index) > 2:
        steps = np.diff(index.as_unit("ns").asi8)
        step = int(steps.min())
        if step > 0 and not (steps % step).any():
            grid = pd.date_range(index[0], index[-1], freq=pd.Timedelta(step, "ns"))
            regular = pd.Series(values, index=index).reindex(grid).to_numpy(dtype=dtype)
            return dict(x0=index[0].isoformat(), dx=step / 1e6, y=regular)
    return dict(x=(index.as_unit("ns").asi8 // 1_000_000).astype("float64"), y=values)
