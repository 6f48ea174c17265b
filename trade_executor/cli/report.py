"""`report`: the HTML and CSV reports of a saved backtest, and the options `start`/`backtest` share.

The report needs the strategy's candles and indicators for its price charts: the command loads
the strategy module, rebuilds its universe with the state's backtest range, and computes the
indicators with the backtest's own code, as they stood at the last cycle.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from trade_executor.cli.common import parse_time_frame_option, reports_errors, setup_logging
from trade_executor.cli.options import CandleOverride, LogLevel, LogLevelOption
from trade_executor.errors import ConfigurationError

HtmlReport = Annotated[
    Path | None,
    typer.Option(
        "--html-report", envvar="HTML_REPORT", show_envvar=True,
        help="Write a self-contained HTML report (summary, equity and drawdown, price charts with every trade, monthly returns, trade list) to this file.",
    ),
]  # fmt: skip
CsvReport = Annotated[
    Path | None,
    typer.Option(
        "--csv-report", envvar="CSV_REPORT", show_envvar=True,
        help="Write trades.csv (one row per position, Decimal values exact) and equity.csv (the equity curve) into this folder.",
    ),
]  # fmt: skip
ReportStateFile = Annotated[
    Path,
    typer.Option(
        "--state-file",
        envvar="STATE_FILE",
        show_envvar=True,
        help="The backtest's (or paper run's) state file, e.g. state/eth-usd-sma-backtest.json or state/eth-usd-sma-paper.json.",
    ),
]
ReportStrategyFile = Annotated[
    Path | None,
    typer.Option(
        "--strategy-file", envvar="STRATEGY_FILE", show_envvar=True,
        help="The strategy module, for its candles and indicators. Default: the file the state says the backtest ran.",
    ),
]  # fmt: skip


@reports_errors
def report(
    state_file: ReportStateFile,
    strategy_file: ReportStrategyFile = None,
    html_report: HtmlReport = None,
    csv_report: CsvReport = None,
    backtest_candle_time_frame_override: CandleOverride = None,
    log_level: LogLevelOption = LogLevel.warning,
) -> None:
    """Make the HTML and/or CSV report of a backtest or a paper run from its saved state file."""
    setup_logging(log_level.value)
    if html_report is None and csv_report is None:
        raise ConfigurationError("Nothing to write: give --html-report=FILE (HTML_REPORT) and/or --csv-report=DIR (CSV_REPORT).")
    from trade_executor.state import JSONFileStore

    if not state_file.exists():
        raise ConfigurationError(
            f"State file {state_file} does not exist: run the backtest first (it writes state/<strategy-id>-backtest.json), or pass --state-file=PATH."
        )
    state = JSONFileStore(state_file).load()  # a paper run's journal is read with its snapshot
    info = state.backtest
    if info is None and _is_paper(state):
        if html_report is not None:
            typer.echo("Note: a paper run's report has no price charts (its candles are the chain's, read live); the rest is as for a backtest.", err=True)
        write_reports(state, None, html_report, csv_report)
        return
    if info is None:
        raise ConfigurationError(
            f"State file {state_file} has no backtest section: `report` reads the state a backtest (state/<strategy-id>-backtest.json) "
            f"or a paper run (state/<strategy-id>-paper.json) wrote."
        )
    run = None
    segmented = state.stats.segments is not None  # the equity curve is rebuilt from the candles
    if html_report is not None or segmented:
        strategy_path = strategy_file or Path(info.strategy_file)
        if not strategy_path.exists():
            raise ConfigurationError(
                f"Strategy file {strategy_path} (recorded in {state_file}) does not exist: pass --strategy-file=PATH "
                "(the report needs its candles for the price charts and the equity curve)."
            )
        from trade_executor.runner.saved_backtest import prepared_run, rebuild_curve

        run = prepared_run(state, strategy_path, parse_time_frame_option(backtest_candle_time_frame_override, "--backtest-candle-time-frame-override"))
        rebuild_curve(state, run)
    write_reports(state, run, html_report, csv_report)


def _is_paper(state) -> bool:
    from trade_executor.state.ownership import PAPER

    return state.live is not None and state.live.rehearsal == PAPER


def write_reports(state, run, html_report: Path | None, csv_report: Path | None) -> None:
    """Write the reports asked for; ``run`` (a BacktestRun after or instead of its loop) gives the price charts."""
    if html_report is not None:
        from trade_executor.reporting.chart_data import price_chart_data
        from trade_executor.reporting.html_report import write_html_report
        from trade_executor.reporting.markers import trade_markers

        charts = None
        if run is not None:
            info = state.backtest
            start, end = (info.start_at, info.end_at) if info else (run.timestamps[0], run.timestamps[-1])
            charts = price_chart_data(run.universe, run.indicators, sorted(trade_markers(state)), start, end)
        size = write_html_report(html_report, state, charts)
        typer.echo(f"HTML report written to {html_report} ({size / 1e6:.1f} MB)")
    if csv_report is not None:
        from trade_executor.reporting.csv_report import write_csv_report

        paths = write_csv_report(state, csv_report)
        typer.echo(f"CSV report written to {', '.join(str(p) for p in paths)}")
