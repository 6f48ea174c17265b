"""`--html-report`: one self-contained HTML file a person opens after a backtest.

Summary table, equity with drawdown, a price chart per traded pair with the strategy's
indicators and every trade marked, monthly returns and the trade list. plotly's JavaScript
is inlined once, in the head, so the file works offline and the figures add only their data.
"""

from __future__ import annotations

import datetime
import math
from decimal import Decimal
from html import escape
from pathlib import Path

import pandas as pd
import plotly.graph_objects as go
import plotly.offline

from trade_executor.reporting.chart_data import PriceChartData
from trade_executor.reporting.charts import equity_figure, price_figure
from trade_executor.reporting.markers import trade_markers
from trade_executor.reporting.numbers import format_significant
from trade_executor.reporting.performance import MONTHS, drawdown_series, monthly_returns
from trade_executor.reporting.summary import calculate_summary, equity_curve, format_money, summary_as_dict
from trade_executor.reporting.trade_list import PositionRow, position_rows
from trade_executor.state import State

PLOTLY_CONFIG = {"displaylogo": False, "responsive": True}
STYLE = """
body { font-family: -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif; margin: 0 auto; max-width: 1240px; padding: 16px 20px; color: #222; }
h1 { font-size: 22px; margin: 4px 0; } h2 { font-size: 17px; margin: 28px 0 8px; border-bottom: 1px solid #ddd; padding-bottom: 4px; }
.meta { color: #555; font-size: 13px; line-height: 1.5; } .warning { color: #9a5b00; font-size: 13px; }
.summary { columns: 3 300px; column-gap: 28px; font-size: 13px; }
.summary div { display: flex; justify-content: space-between; border-bottom: 1px dotted #ddd; padding: 2px 0; break-inside: avoid; }
.summary span:last-child { font-variant-numeric: tabular-nums; font-weight: 600; }
table { border-collapse: collapse; font-size: 12px; font-variant-numeric: tabular-nums; }
th, td { padding: 3px 7px; text-align: right; border-bottom: 1px solid #eee; white-space: nowrap; }
th { background: #f5f5f5; position: sticky; top: 0; } td.text, th.text { text-align: left; }
.trades { max-height: 600px; overflow: auto; border: 1px solid #ddd; }
.loss { color: #c62828; } .gain { color: #2e7d32; }
"""


def write_html_report(path: Path, state: State, charts: dict[str, PriceChartData] | None = None) -> int:
    """Write the report for ``state`` to ``path``; return its size in bytes."""
    text = render_html_report(state, charts)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return len(text.encode("utf-8"))


def render_html_report(state: State, charts: dict[str, PriceChartData] | None = None) -> str:
    """The whole page. ``charts`` holds the price and indicator series per pair; without them
    (no universe at hand) the trades are still drawn, on their executed prices alone."""
    quote = _quote_symbol(state)
    equity = equity_curve(state)
    markers = trade_markers(state)
    sections = [
        _header(state),
        "<h2>Summary</h2>",
        _summary(state),
        f"<h2>Equity ({escape(quote)}) and drawdown</h2>",
        _figure(equity_figure(equity, drawdown_series(equity)), "equity-chart"),
    ]
    for ticker in sorted(markers):
        data = (charts or {}).get(ticker) or PriceChartData(ticker, pd.Series(dtype="float64"))
        sections.append(f"<h2>{escape(ticker)}: price, indicators and trades</h2>")
        sections.append(_figure(price_figure(data, markers[ticker], quote), f"price-chart-{ticker}"))
    if not markers:
        sections.append("<h2>Price charts</h2><p class='meta'>No trades: nothing to chart.</p>")
    sections += ["<h2>Monthly returns</h2>", _monthly_table(monthly_returns(equity))]
    rows = position_rows(state)
    sections += [f"<h2>Trades ({len(rows)} positions)</h2>", _trade_table(rows, quote)]
    kind = "paper trading" if state.live is not None and state.live.rehearsal == "paper" else "backtest"
    title = escape(f"{state.name} {kind} report")
    plotly_js = plotly.offline.get_plotlyjs()
    return (
        f"<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'><title>{title}</title>"
        f"<meta name='viewport' content='width=device-width, initial-scale=1'><style>{STYLE}</style>"
        f"<script type='text/javascript'>{plotly_js}</script></head>\n<body>\n" + "\n".join(sections) + "\n</body></html>\n"
    )


def _header(state: State) -> str:
    lines = [f"<h1>{escape(state.name)} backtest</h1>"]
    info = state.backtest
    meta = []
    if info is not None:
        meta += [
            f"Strategy file {escape(info.strategy_file)}; {info.cycles:,} cycles of {escape(info.cycle_duration)} "
            f"from {info.start_at} to {info.end_at}; stop-loss checks on {escape(info.stop_loss_time_frame)} candles",
            f"Execution: {escape(info.fill_model)}",
        ]
    generated = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
    meta.append(f"Report generated {generated}; all times UTC")
    lines.append("<div class='meta'>" + "<br>".join(meta) + "</div>")
    for warning in info.warnings if info is not None else []:
        lines.append(f"<p class='warning'>Warning: {escape(warning)}</p>")
    return "\n".join(lines)


def _summary(state: State) -> str:
    rows = summary_as_dict(calculate_summary(state))
    cells = "".join(f"<div><span>{escape(label)}</span><span>{escape(value)}</span></div>" for label, value in rows.items())
    return f"<div class='summary' id='summary'>{cells}</div>"


def _figure(figure: go.Figure, div_id: str) -> str:
    return figure.to_html(full_html=False, include_plotlyjs=False, div_id=div_id, config=PLOTLY_CONFIG)


def _monthly_table(table: pd.DataFrame) -> str:
    if table.empty:
        return "<p class='meta'>No equity recorded.</p>"
    head = "<tr><th class='text'>Year</th>" + "".join(f"<th>{m}</th>" for m in MONTHS) + "<th>Year</th></tr>"
    body = []
    for year, row in table.iterrows():
        cells = "".join(_return_cell(row[column]) for column in [*MONTHS, "Year"])
        body.append(f"<tr><td class='text'>{year}</td>{cells}</tr>")
    return f"<table id='monthly-returns'><thead>{head}</thead><tbody>{''.join(body)}</tbody></table>"


def _return_cell(value: float) -> str:
    if value is None or math.isnan(value):
        return "<td></td>"
    strength = min(abs(value) / 0.25, 1.0) * 0.55 + 0.08
    colour = f"rgba(46,125,50,{strength:.2f})" if value >= 0 else f"rgba(198,40,40,{strength:.2f})"
    return f"<td style='background:{colour}'>{value * 100:+.1f}%</td>"


TRADE_HEADERS = (
    "#",
    "Pair",
    "Opened",
    "Closed",
    "Entry price",
    "Exit price",
    "Quantity",
    "Bought",
    "LP fees",
    "Gas",
    "Profit",
    "Profit %",
    "Reason",
)


def _trade_table(rows: list[PositionRow], quote: str) -> str:
    if not rows:
        return "<p class='meta'>No trades.</p>"
    head = "".join(
        f"<th class='text'>{h}</th>" if h in ("Pair", "Opened", "Closed", "Reason") else f"<th>{h}</th>" for h in TRADE_HEADERS
    )
    body = "".join(_trade_row(row) for row in rows)
    note = f"<p class='meta'>Prices in {escape(quote)} per token, LP fee and price impact included; money in {escape(quote)}; gas apart.</p>"
    return f"{note}<div class='trades'><table id='trades'><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>"


def _trade_row(row: PositionRow) -> str:
    tone = "gain" if row.profit > 0 else "loss" if row.profit < 0 else ""
    cells = [
        f"<td>{row.position_id}</td>",
        f"<td class='text'>{escape(row.pair)}</td>",
        f"<td class='text'>{_time(row.opened_at)}</td>",
        f"<td class='text'>{_time(row.closed_at)}</td>",
        f"<td>{_price(row.entry_price)}</td>",
        f"<td>{_price(row.exit_price)}</td>",
        f"<td>{format_significant(row.quantity)}</td>",
        f"<td>{format_money(row.bought)}</td>",
        f"<td>{format_money(row.lp_fees)}</td>",
        f"<td>{format_money(row.gas)}</td>",
        f"<td class='{tone}'>{format_money(row.profit)}</td>",
        f"<td class='{tone}'>{row.profit_pct * 100:+.2f}%</td>",
        f"<td class='text'>{escape(row.reason.replace('_', ' '))}</td>",
    ]
    return "<tr>" + "".join(cells) + "</tr>"


def _time(value: datetime.datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if value else ""


def _price(value: Decimal | None) -> str:
    return "" if value is None else format_significant(value)


def _quote_symbol(state: State) -> str:
    reserves = state.portfolio.reserves
    return next(iter(reserves.values())).asset.token_symbol if reserves else "USD"
