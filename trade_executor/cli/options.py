"""Options shared by several commands. Every option also reads the environment variable it names."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer


class ExecutionType(StrEnum):
    backtest = "backtest"
    uniswap_v2_hot_wallet = "uniswap_v2_hot_wallet"
    uniswap_v3_hot_wallet = "uniswap_v3_hot_wallet"  # the same, for a strategy on a Uniswap v3 exchange (runner/venue.py checks which)
    paper = "paper"  # the live loop on the real chain's pools; nothing signed (runner/paper_venue.py)
    dummy = "dummy"  # paper's other name, as the deployment guide's system calls it

    @property
    def is_paper(self) -> bool:
        return self in (ExecutionType.paper, ExecutionType.dummy)

    @property
    def reads_chain(self) -> bool:
        return self.is_hot_wallet or self.is_paper

    @property
    def is_hot_wallet(self) -> bool:
        return self in (ExecutionType.uniswap_v2_hot_wallet, ExecutionType.uniswap_v3_hot_wallet)


class LogLevel(StrEnum):
    debug = "debug"
    info = "info"
    warning = "warning"
    error = "error"


class FillModelName(StrEnum):
    constant_product = "constant_product"
    concentrated_liquidity = "concentrated_liquidity"
    simple = "simple"
    simple_fee_on_top = "simple_fee_on_top"


StrategyFile = Annotated[
    Path,
    typer.Option("--strategy-file", envvar="STRATEGY_FILE", help="The strategy module (.py). Its base name is the strategy id.", show_envvar=True),
]
StateFile = Annotated[
    Path | None,
    typer.Option("--state-file", envvar="STATE_FILE", show_envvar=True, help="Where the state is written. Default: state/<strategy-id>-backtest.json for a backtest."),
]
CachePath = Annotated[
    Path,
    typer.Option("--cache-path", envvar="CACHE_PATH", show_envvar=True, help="Folder for downloaded and derived data."),
]
LogLevelOption = Annotated[
    LogLevel,
    typer.Option("--log-level", envvar="LOG_LEVEL", show_envvar=True, case_sensitive=False, help="How much to log on stderr."),
]
BacktestStart = Annotated[
    str | None,
    typer.Option("--backtest-start", envvar="BACKTEST_START", show_envvar=True, help="First cycle of the backtest, e.g. 2018-01-01. Default: the start of the data."),
]
BacktestEnd = Annotated[
    str | None,
    typer.Option("--backtest-end", envvar="BACKTEST_END", show_envvar=True, help="Last cycle of the backtest, e.g. 2019-06-30. Default: the end of the data."),
]
CandleOverride = Annotated[
    str | None,
    typer.Option(
        "--backtest-candle-time-frame-override",
        envvar="BACKTEST_CANDLE_TIME_FRAME_OVERRIDE",
        show_envvar=True,
        help="Resample candles (and the cycle) to this time frame, e.g. 1d, for a quick smoke run. The figures are then not meaningful.",
    ),
]
StopLossOverride = Annotated[
    str | None,
    typer.Option(
        "--backtest-stop-loss-time-frame-override",
        envvar="BACKTEST_STOP_LOSS_TIME_FRAME_OVERRIDE",
        show_envvar=True,
        help="Resample the stop-loss check candles to this time frame, e.g. 1d (smoke runs only).",
    ),
]
FillModelOption = Annotated[
    FillModelName | None,
    typer.Option("--fill-model", envvar="FILL_MODEL", show_envvar=True, help="Override the strategy's fill model: constant_product (x*y=k pool), concentrated_liquidity (Uniswap v3 maths), simple (fixed fee out of the cash spent) or simple_fee_on_top (fixed fee added to a buy's notional, as backtesting.py, backtrader and vectorbt charge)."),
]
ApiKey = Annotated[
    str | None,
    typer.Option(
        "--trading-strategy-api-key",
        envvar="TRADING_STRATEGY_API_KEY",
        show_envvar=True,
        help="Accepted for compatibility with existing deployment scripts; the embedded and file data need no key. Never printed.",
    ),
]
