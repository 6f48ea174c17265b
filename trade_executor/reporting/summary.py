"""The backtest summary: the numbers a trader reads first, computed from State alone.

A "trade" here is a closed position, as in the deployment guide's sample table; the
individual swaps are counted apart ("Swaps executed"). Money is Decimal, ratios and
percentages are float fractions (0.25 = 25%), and undefined statistics are ``nan`` so
an idle backtest still prints a table (as "n/a") instead of crashing.
"""

from __future__ import annotations

import datetime
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

import pandas as pd

from trade_executor.errors import ConfigurationError
from trade_executor.reporting import metrics
from trade_executor.state import BalanceUpdateCause, Portfolio, State, TradeStatus, TradeType, TradingPosition
from trade_executor.state.columns import ArrayColumn

ZERO = Decimal(0)
CENT = Decimal("0.01")
NAN = float("nan")
LABEL_WIDTH = 40
#: The guide's sample is 50 characters wide: labels in 40, values right-aligned in 10.
#: The value column widens to the longest value so big numbers stay aligned.
VALUE_MIN_WIDTH = 10
STOP_LOSS_TYPES = (TradeType.stop_loss, TradeType.trailing_stop_loss)


@dataclass(frozen=True)
class BacktestSummary:
    """One field per table row, in table order (the guide's rows first, then the extras)."""

    trading_period_length: datetime.timedelta
    return_pct: float
    annualised_return_pct: float
    cash_at_start: Decimal
    value_at_end: Decimal
    trade_win_pct: float
    total_trades: int
    won_trades: int
    lost_trades: int
    stop_losses_triggered: int
    stop_loss_pct_of_all: float
    stop_loss_pct_of_lost: float
    zero_profit_trades: int
    positions_open_at_end: int
    realised_profit: Decimal
    unrealised_value: Decimal
    interest_returns: Decimal
    cash_left_at_end: Decimal
    average_winning_trade_pct: float
    average_losing_trade_pct: float
    biggest_winning_trade_pct: float
    biggest_losing_trade_pct: float
    average_duration_of_winning_trades: datetime.timedelta | None
    average_duration_of_losing_trades: datetime.timedelta | None
    cagr: float
    take_profits_triggered: int
    max_drawdown: float
    sharpe: float
    sortino: float
    profit_factor: float
    lp_fees_paid: Decimal
    gas_paid: Decimal
    swaps_executed: int
    data_gaps: int
    trades_skipped: int


def require_per_cycle_curve(stats) -> None:
    """A backtest state read from a file holds its curve as segments: refuse to report an empty curve as the truth."""
    if stats.segments is not None and not len(stats):
        raise ConfigurationError(
            "This backtest state keeps its equity curve as segments between trades; rebuild it from the strategy's candles first: "
            "trade_executor.runner.saved_backtest.load_backtest_state(state_file) (`trade-executor report` does this)."
        )


def equity_curve(state: State) -> pd.Series:
    """Total equity per recorded cycle as floats indexed by timestamp (for metrics and charts)."""
    stats = state.stats
    require_per_cycle_curve(stats)
    if isinstance(stats.total_equity, ArrayColumn):  # a backtest's: its arrays, without a Python object per cycle
        return pd.Series(stats.total_equity.array, index=pd.DatetimeIndex(stats.timestamps.array), dtype="float64")
    return pd.Series(stats.total_equity, index=pd.DatetimeIndex(stats.timestamps), dtype="float64")


def calculate_summary(state: State) -> BacktestSummary:
    """Compute every summary row from the state of a finished (or running) backtest."""
    closed = list(state.portfolio.closed_positions.values())
    return BacktestSummary(**_return_fields(state), **_trade_fields(closed), **_cost_fields(state))


def _return_fields(state: State) -> dict:
    """How the account as a whole did: money in, money out, and risk-adjusted ratios."""
    portfolio = state.portfolio
    period = _trading_period(state)
    days = period.total_seconds() / 86400
    start, end = _balance_updates(portfolio, BalanceUpdateCause.deposit), portfolio.get_total_equity()
    return_pct = _ratio(end - start, start)
    equity = equity_curve(state)
    returns = metrics.daily_returns(equity)
    return dict(
        trading_period_length=period,
        return_pct=return_pct,
        annualised_return_pct=return_pct * 365 / days if days else NAN,
        cash_at_start=start,
        value_at_end=end,
        positions_open_at_end=len(portfolio.open_positions),
        unrealised_value=portfolio.get_open_position_value(),
        interest_returns=_balance_updates(portfolio, BalanceUpdateCause.interest),
        cash_left_at_end=portfolio.get_cash(),
        cagr=metrics.cagr(start, end, days),
        max_drawdown=metrics.max_drawdown(equity),
        sharpe=metrics.sharpe(returns),
        sortino=metrics.sortino(returns),
    )


def _trade_fields(closed: list[TradingPosition]) -> dict:
    """How the closed positions ("trades" in the guide's sense) did."""
    won = [p for p in closed if p.get_realised_profit() > 0]
    lost = [p for p in closed if p.get_realised_profit() < 0]
    stop_losses = [p for p in closed if p.closed_by() in STOP_LOSS_TYPES]
    return dict(
        trade_win_pct=_ratio(len(won), len(closed)),
        total_trades=len(closed),
        won_trades=len(won),
        lost_trades=len(lost),
        stop_losses_triggered=len(stop_losses),
        stop_loss_pct_of_all=_ratio(len(stop_losses), len(closed)),
        stop_loss_pct_of_lost=_ratio(len([p for p in stop_losses if p.get_realised_profit() < 0]), len(lost)),
        zero_profit_trades=len(closed) - len(won) - len(lost),
        realised_profit=sum((p.get_realised_profit() for p in closed), ZERO),
        average_winning_trade_pct=_mean(p.get_profit_pct() for p in won),
        average_losing_trade_pct=_mean(p.get_profit_pct() for p in lost),
        biggest_winning_trade_pct=max((p.get_profit_pct() for p in won), default=NAN),
        biggest_losing_trade_pct=min((p.get_profit_pct() for p in lost), default=NAN),
        average_duration_of_winning_trades=_mean_duration(won),
        average_duration_of_losing_trades=_mean_duration(lost),
        take_profits_triggered=len([p for p in closed if p.closed_by() is TradeType.take_profit]),
        profit_factor=metrics.profit_factor(p.get_realised_profit() for p in closed),
    )


def _cost_fields(state: State) -> dict:
    """What trading cost (fees, gas, swaps) and what the backtest could not do (gaps, skips)."""
    everything = state.portfolio.get_all_positions()
    backtest = state.backtest
    return dict(
        lp_fees_paid=sum((p.get_lp_fees_paid() for p in everything), ZERO),
        gas_paid=sum((p.get_gas_paid_usd() for p in everything), ZERO),
        swaps_executed=sum(1 for p in everything for t in p.trades.values() if t.is_success),
        data_gaps=sum(backtest.data_gaps.values()) if backtest else 0,
        # a live (paper) run's: the trades a safety rule refused before signing (portfolio.unfilled_trades, skipped)
        trades_skipped=backtest.skipped_trades if backtest else sum(1 for t in state.portfolio.unfilled_trades.values() if t.status is TradeStatus.skipped),
    )


def _trading_period(state: State) -> datetime.timedelta:
    """The backtest's requested range when known, else the span of recorded cycles."""
    if state.backtest is not None:
        return state.backtest.end_at - state.backtest.start_at
    timestamps = state.stats.timestamps
    return max(timestamps) - min(timestamps) if timestamps else datetime.timedelta(0)


def _balance_updates(portfolio: Portfolio, cause: BalanceUpdateCause) -> Decimal:
    return sum((u.quantity for u in portfolio.balance_updates if u.cause is cause), ZERO)


def _ratio(numerator: Decimal | int, denominator: Decimal | int) -> float:
    """A fraction as a float; ``nan`` when the denominator is zero (nothing to compare to)."""
    return float(numerator) / float(denominator) if denominator else NAN


def _mean(values: Iterable[float]) -> float:
    values = list(values)
    return sum(values) / len(values) if values else NAN


def _mean_duration(positions: list[TradingPosition]) -> datetime.timedelta | None:
    durations = [p.closed_at - p.opened_at for p in positions]
    return sum(durations, datetime.timedelta(0)) / len(durations) if durations else None


# Formatting ---------------------------------------------------------------------------


def format_money(value: Decimal) -> str:
    """``$10,000.00`` / ``$-3,267.83``, as in the guide; never ``$-0.00``."""
    rounded = Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)
    return f"${rounded if rounded else ZERO:,.2f}"


def format_percent(value: float) -> str:
    """A fraction as ``-32.68%``; ``n/a`` when undefined."""
    if math.isnan(value):
        return "n/a"
    if math.isinf(value):
        return "inf%" if value > 0 else "-inf%"
    return f"{round(value * 100, 2) + 0.0:.2f}%"  # + 0.0: never "-0.00%"


def format_ratio(value: float) -> str:
    if math.isnan(value):
        return "n/a"
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    return f"{round(value, 2) + 0.0:.2f}"


def format_duration(value: datetime.timedelta | None) -> str:
    """Whole days like the guide (``440 days``, ``1 days``); shorter spans in hours or minutes."""
    if value is None:
        return "n/a"
    if value >= datetime.timedelta(days=1):
        return f"{value.days} days"
    if value >= datetime.timedelta(hours=1):
        return f"{int(value.total_seconds() // 3600)} hours"
    return f"{int(value.total_seconds() // 60)} minutes"


def format_count(value: int) -> str:
    return str(value)


Row = tuple[str, str, Callable[..., str]]

#: (label, BacktestSummary field, formatter), in table order.
ROWS: tuple[Row, ...] = (
    ("Trading period length", "trading_period_length", format_duration),
    ("Return %", "return_pct", format_percent),
    ("Annualised return %", "annualised_return_pct", format_percent),
    ("Cash at start", "cash_at_start", format_money),
    ("Value at end", "value_at_end", format_money),
    ("Trade win percent", "trade_win_pct", format_percent),
    ("Total trades done", "total_trades", format_count),
    ("Won trades", "won_trades", format_count),
    ("Lost trades", "lost_trades", format_count),
    ("Stop losses triggered", "stop_losses_triggered", format_count),
    ("Stop loss % of all", "stop_loss_pct_of_all", format_percent),
    ("Stop loss % of lost", "stop_loss_pct_of_lost", format_percent),
    ("Zero profit trades", "zero_profit_trades", format_count),
    ("Positions open at the end", "positions_open_at_end", format_count),
    ("Realised profit and loss", "realised_profit", format_money),
    ("Portfolio unrealised value", "unrealised_value", format_money),
    ("Extra returns on lending pool interest", "interest_returns", format_money),
    ("Cash left at the end", "cash_left_at_end", format_money),
    ("Average winning trade profit %", "average_winning_trade_pct", format_percent),
    ("Average losing trade loss %", "average_losing_trade_pct", format_percent),
    ("Biggest winning trade %", "biggest_winning_trade_pct", format_percent),
    ("Biggest losing trade %", "biggest_losing_trade_pct", format_percent),
    ("Average duration of winning trades", "average_duration_of_winning_trades", format_duration),
    ("Average duration of losing trades", "average_duration_of_losing_trades", format_duration),
    ("CAGR %", "cagr", format_percent),
    ("Take profits triggered", "take_profits_triggered", format_count),
    ("Max drawdown %", "max_drawdown", format_percent),
    ("Sharpe ratio", "sharpe", format_ratio),
    ("Sortino ratio", "sortino", format_ratio),
    ("Profit factor", "profit_factor", format_ratio),
    ("LP fees paid", "lp_fees_paid", format_money),
    ("Gas paid", "gas_paid", format_money),
    ("Swaps executed", "swaps_executed", format_count),
    ("Data gaps", "data_gaps", format_count),
    ("Trades skipped", "trades_skipped", format_count),
)


def summary_as_dict(summary: BacktestSummary) -> dict[str, str]:
    """Row label -> formatted value, in table order (the same strings as the console table)."""
    return {label: formatter(getattr(summary, name)) for label, name, formatter in ROWS}


def format_summary_table(summary: BacktestSummary, warnings: Iterable[str] = ()) -> str:
    """The console table, laid out like the deployment guide's sample, then any warnings."""
    rows = summary_as_dict(summary)
    width = max(VALUE_MIN_WIDTH, *(len(v) for v in rows.values()))
    lines = ["Backtest summary"]
    lines += [f"{label:<{LABEL_WIDTH}}{value:>{width}}" for label, value in rows.items()]
    warnings = list(warnings)
    if warnings:
        lines.append("")
        lines += [f"Warning: {warning}" for warning in warnings]
    return "\n".join(lines)
