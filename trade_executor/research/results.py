"""A search's results for people: a ranked console table, a CSV file, an HTML page with a heatmap.

The CSV keeps every metric at full float precision (``repr``), so a figure read back equals the
one a plain backtest of the same combination computes; the table rounds for reading.
"""

from __future__ import annotations

import csv
import html
import math
from collections.abc import Callable, Sequence
from pathlib import Path

from trade_executor.reporting.summary import format_percent, format_ratio
from trade_executor.research.evaluate import METRICS, Result

#: Metrics shown in the console table, with their column title and format.
TABLE_METRICS: tuple[tuple[str, str, Callable[[float], str]], ...] = (
    ("return_pct", "Return %", format_percent),
    ("cagr", "CAGR %", format_percent),
    ("max_drawdown", "Max drawdown %", format_percent),
    ("sharpe", "Sharpe", format_ratio),
    ("sortino", "Sortino", format_ratio),
    ("profit_factor", "Profit factor", format_ratio),
    ("win_rate", "Win %", format_percent),
    ("trades", "Trades", lambda v: "n/a" if math.isnan(v) else str(int(v))),
    ("final_equity", "Final equity", lambda v: "n/a" if math.isnan(v) else f"${v:,.2f}"),
)
PERCENT_METRICS = {"return_pct", "cagr", "max_drawdown", "win_rate"}


def sort_results(results: Sequence[Result], metric: str) -> list[Result]:
    """Best first (highest value; the smallest drawdown is the highest), undefined values last, stable."""

    def rank(result: Result) -> tuple[bool, float]:
        value = result.metrics.get(metric, math.nan)
        return (math.isnan(value), -value if not math.isnan(value) else 0.0)

    return sorted(results, key=rank)


def parameter_names(results: Sequence[Result]) -> list[str]:
    names: dict[str, None] = {}
    for result in results:
        names.update(dict.fromkeys(name for name, _ in result.job.parameters))
    return list(names)


def format_table(results: Sequence[Result]) -> str:
    """Plain aligned text: rank, parameter values, then the key metrics; one row per combination."""
    names = parameter_names(results)
    header = ["#", *names, *(title for _, title, _ in TABLE_METRICS)]
    rows = [
        [str(i), *(repr(r.job.as_dict().get(n)) for n in names), *(fmt(r.metrics.get(m, math.nan)) for m, _, fmt in TABLE_METRICS)]
        for i, r in enumerate(results, start=1)
    ]
    widths = [max(len(row[c]) for row in [header, *rows]) for c in range(len(header))]
    lines = ["  ".join(cell.rjust(w) for cell, w in zip(row, widths, strict=True)) for row in [header, *rows]]
    return "\n".join(line.rstrip() for line in lines)


def write_csv(results: Sequence[Result], path: Path) -> Path:
    names = parameter_names(results)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow(["rank", *names, "start", "end", *METRICS, "seconds"])
        for i, r in enumerate(results, start=1):
            params = r.job.as_dict()
            writer.writerow([i, *(params.get(n) for n in names), r.job.start or "", r.job.end or "", *(repr(r.metrics.get(m, math.nan)) for m in METRICS), f"{r.seconds:.3f}"])
    return path


def write_html(results: Sequence[Result], path: Path, *, title: str, metric: str) -> Path:
    """A self-contained page (Plotly's JavaScript embedded: it opens offline): heatmap and table."""
    names = parameter_names(results)
    parts = [f"<h1>{html.escape(title)}</h1>"]
    if len(names) == 2:
        parts.append(_heatmap(results, names, metric))
    else:
        parts.append(f"<p>A heatmap needs exactly two searched parameters; this search has {len(names)}.</p>")
    parts.append(_html_table(results, names))
    page = (
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">"
        f"<title>{html.escape(title)}</title>"
        "<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}"
        "td,th{padding:2px 8px;text-align:right;border-bottom:1px solid #ddd}</style></head>"
        f"<body>{''.join(parts)}</body></html>\n"
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(page, encoding="utf-8")
    return path


def _heatmap(results: Sequence[Result], names: list[str], metric: str) -> str:
    import plotly.graph_objects as go

    y_name, x_name = names
    ys = _axis(r.job.as_dict()[y_name] for r in results)
    xs = _axis(r.job.as_dict()[x_name] for r in results)
    scale = 100.0 if metric in PERCENT_METRICS else 1.0
    grid: list[list[float | None]] = [[None] * len(xs) for _ in ys]
    for r in results:
        value = r.metrics.get(metric, math.nan)
        params = r.job.as_dict()
        grid[ys.index(params[y_name])][xs.index(params[x_name])] = value * scale if math.isfinite(value) else None
    unit = " %" if metric in PERCENT_METRICS else ""
    figure = go.Figure(
        go.Heatmap(z=grid, x=[str(x) for x in xs], y=[str(y) for y in ys], colorscale="RdYlGn", colorbar={"title": f"{metric}{unit}"},
                   hovertemplate=f"{x_name}=%{{x}}<br>{y_name}=%{{y}}<br>{metric}=%{{z:.2f}}{unit}<extra></extra>"),
    )
    figure.update_layout(title=f"{metric} by {y_name} and {x_name}", xaxis={"title": x_name, "type": "category"}, yaxis={"title": y_name, "type": "category"})
    return figure.to_html(full_html=False, include_plotlyjs=True, div_id="heatmap")


def _axis(values) -> list:
    """An axis in value order (the ranking's order only when the values do not compare)."""
    distinct = list(dict.fromkeys(values))
    try:
        return sorted(distinct)
    except TypeError:
        return distinct


def _html_table(results: Sequence[Result], names: list[str]) -> str:
    header = "".join(f"<th>{html.escape(h)}</th>" for h in ["#", *names, *(t for _, t, _ in TABLE_METRICS)])
    rows = []
    for i, r in enumerate(results, start=1):
        cells = [str(i), *(repr(r.job.as_dict().get(n)) for n in names), *(fmt(r.metrics.get(m, math.nan)) for m, _, fmt in TABLE_METRICS)]
        rows.append("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in cells) + "</tr>")
    return f"<table id=\"results\"><thead><tr>{header}</tr></thead><tbody>{''.join(rows)}</tbody></table>"
