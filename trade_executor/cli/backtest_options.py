"""The options every backtest-style command shares (`backtest`, `check-lookahead`), parsed and checked once."""

from __future__ import annotations

from typing import TYPE_CHECKING

from trade_executor.cli.common import parse_date, parse_time_frame_option
from trade_executor.errors import ConfigurationError

if TYPE_CHECKING:
    from trade_executor.cli.options import FillModelName
    from trade_executor.runner.backtest import BacktestOptions


def backtest_options(start: str | None, end: str | None, candle_override: str | None, stop_loss_override: str | None, fill_model: FillModelName | None) -> BacktestOptions:
    """BacktestOptions from the command-line values; a bad date, time frame or period names its option (exit 2)."""
    from trade_executor.runner.backtest import BacktestOptions

    options = BacktestOptions(
        start=parse_date(start, "--backtest-start"),
        end=parse_date(end, "--backtest-end"),
        candle_time_frame_override=parse_time_frame_option(candle_override, "--backtest-candle-time-frame-override"),
        stop_loss_time_frame_override=parse_time_frame_option(stop_loss_override, "--backtest-stop-loss-time-frame-override"),
        fill_model=fill_model.value if fill_model else None,
    )
    if options.start and options.end and options.start >= options.end:
        raise ConfigurationError(f"--backtest-start {options.start} is not before --backtest-end {options.end}.")
    return options
