"""The look-ahead check's verdict as console text: one line when clean, else a table of what changed."""

from __future__ import annotations

from trade_executor.research.lookahead import Finding, LookaheadReport

COLUMNS = ("What changed", "Cut", "First differs at", "Original run", "With changed data", "Seen at cuts")
HINTS = {
    "indicator": "An indicator value differs at a candle closed by the cut: the indicator reads later candles "
    "(shift(-n), a centred window, a statistic of the whole series...). Compute it from past and current candles only.",
    "decisions": "A decision at or before the cut differs: decide_trades used data from after its cycle, through an "
    "indicator above or otherwise (a universe kept from create_indicators, a data file read directly...). Read history through input only.",
}


def clean_line(report: LookaheadReport) -> str:
    return f"No look-ahead found ({len(report.cuts)} cuts, {report.cycles_compared:,} cycles compared)"


def format_report(report: LookaheadReport) -> str:
    """The clean line, or each thing that changed: the first cut that showed it, where and how, and at how many cuts."""
    note = f"Searched parameters ({', '.join(report.searched)}) were set to their first value.\n" if report.searched else ""
    if not report.findings:
        return note + clean_line(report)
    return note + _table(report)


def _table(report: LookaheadReport) -> str:
    first: dict[str, Finding] = {}
    seen: dict[str, int] = {}
    for finding in report.findings:
        first.setdefault(finding.what, finding)
        seen[finding.what] = seen.get(finding.what, 0) + 1
    rows = [
        (f.what, f"{f.cut:%Y-%m-%d %H:%M}", f"{f.at:%Y-%m-%d %H:%M}", f.original, f.changed, f"{seen[f.what]} of {len(report.cuts)}")
        for f in first.values()
    ]
    widths = [max(len(str(row[i])) for row in (COLUMNS, *rows)) for i in range(len(COLUMNS))]
    lines = [f"Look-ahead found: {len(first)} thing(s) before a cut changed when only data after the cut changed.", ""]
    lines += ["  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip() for row in (COLUMNS, *rows)]
    lines.append("")
    lines += [hint for kind, hint in HINTS.items() if any(what.startswith(kind) for what in first)]
    lines.append(f"Checked {len(report.cuts)} cuts ({', '.join(f'{cut:%Y-%m-%d %H:%M}' for cut in report.cuts)}), {report.cycles_compared:,} cycles compared.")
    return "\n".join(lines)
