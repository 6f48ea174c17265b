"""`check-lookahead`: rerun the backtest on changed data after several cut times; exit 1 on look-ahead."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from trade_executor.cli.backtest_options import backtest_options
from trade_executor.cli.common import reports_errors, setup_logging
from trade_executor.cli.options import (
    ApiKey,
    BacktestEnd,
    BacktestStart,
    CachePath,
    CandleOverride,
    FillModelOption,
    LogLevel,
    LogLevelOption,
    StopLossOverride,
    StrategyFile,
)

LookaheadCuts = Annotated[
    int,
    typer.Option(
        "--lookahead-cuts",
        envvar="LOOKAHEAD_CUTS",
        show_envvar=True,
        help="How many cut times, spread over the period, to rerun the backtest from with changed data (each is one more backtest).",
    ),
]


@reports_errors
def check_lookahead(
    strategy_file: StrategyFile,
    cache_path: CachePath = Path("cache"),
    backtest_start: BacktestStart = None,
    backtest_end: BacktestEnd = None,
    backtest_candle_time_frame_override: CandleOverride = None,
    backtest_stop_loss_time_frame_override: StopLossOverride = None,
    fill_model: FillModelOption = None,
    trading_strategy_api_key: ApiKey = None,
    log_level: LogLevelOption = LogLevel.warning,
    lookahead_cuts: LookaheadCuts = 5,
) -> None:
    """Check that the strategy does not look ahead: what it does up to a time must not change when later data does.

    Exit 0 when nothing changed, 1 when something did (a table says what), 2 on bad input.
    """
    setup_logging(log_level.value)
    from trade_executor.cli.search_runs import Progress
    from trade_executor.research.lookahead import check_lookahead as check
    from trade_executor.research.lookahead_report import format_report

    options = backtest_options(backtest_start, backtest_end, backtest_candle_time_frame_override, backtest_stop_loss_time_frame_override, fill_model)
    typer.echo(f"Checking {strategy_file} for look-ahead: one backtest, a control run, then {lookahead_cuts} reruns on changed data after each cut time")
    with Progress(lookahead_cuts + 2, "Look-ahead check") as progress:
        report = check(strategy_file, options, lookahead_cuts, on_run=progress.advance)
    typer.echo(format_report(report))
    if report.findings:
        raise typer.Exit(1)
