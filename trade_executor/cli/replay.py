"""`replay`: backtest a strategy, trade the same history live on a local chain, compare the two."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from trade_executor.cli.common import parse_date, reports_errors, setup_logging
from trade_executor.cli.options import LogLevel, LogLevelOption, StateFile, StrategyFile

PRICE_TOLERANCE = 0.0005  # 0.05%
EQUITY_TOLERANCE = 0.001  # 0.1%

Start = Annotated[str | None, typer.Option("--start", envvar="REPLAY_START", show_envvar=True, help="First cycle to replay, e.g. 2018-01-01.")]
End = Annotated[str | None, typer.Option("--end", envvar="REPLAY_END", show_envvar=True, help="Last cycle to replay, e.g. 2018-01-31.")]
Resume = Annotated[bool, typer.Option("--resume", envvar="REPLAY_RESUME", show_envvar=True, help="Continue a replay that was stopped, from its last checkpoint.")]
CheckpointEvery = Annotated[int, typer.Option("--checkpoint-every", envvar="REPLAY_CHECKPOINT_EVERY", show_envvar=True, min=1, help="Save the chain and the live state every this many cycles.")]


@reports_errors
def replay(
    ctx: typer.Context,
    strategy_file: StrategyFile,
    start: Start = None,
    end: End = None,
    state_file: StateFile = None,
    resume: Resume = False,
    checkpoint_every: CheckpointEvery = 168,
    log_level: LogLevelOption = LogLevel.warning,
) -> None:
    """Prove backtest and live agree: replay history onto a local chain, trade it live, compare trade by trade."""
    setup_logging(log_level.value)
    from trade_executor.cli.state_files import replay_state_file
    from trade_executor.replay.driver import ReplayOptions, run_replay

    state = replay_state_file(state_file, strategy_file, ctx)  # never STATE_FILE from the environment: that is a live or backtest file
    options = ReplayOptions(
        strategy_file=strategy_file, state_file=state, start=parse_date(start, "--start"), end=parse_date(end, "--end"),
        progress=_progress_printer(), resume=resume, checkpoint_every=checkpoint_every,
    )
    result = run_replay(options)
    typer.echo(render(result))
    if not result.comparison.decisions_match or result.comparison.worst_price_difference > PRICE_TOLERANCE or abs(result.comparison.equity_difference) > EQUITY_TOLERANCE:
        raise typer.Exit(1)


def _progress_printer():
    """Every tenth of the way, one line on stderr: long replays show they are alive."""
    shown = {"step": -1}

    def progress(done: int, total: int) -> None:
        step = done * 10 // total
        if step != shown["step"]:
            shown["step"] = step
            print(f"Replayed {done:,} of {total:,} cycles", file=sys.stderr, flush=True)

    return progress


def render(result) -> str:
    comparison = result.comparison
    lines = comparison_lines(result.backtest, result.live, comparison, "live (anvil)", "live price")
    lines.append(f"Worst executed price difference: {comparison.worst_price_difference * 100:.6f}% (tolerance {PRICE_TOLERANCE * 100:.2f}%)")
    lines.append(
        f"Final equity: backtest ${comparison.backtest_equity:,.2f}, live ${comparison.live_equity - comparison.live_gas_usd:,.2f} "
        f"after ${comparison.live_gas_usd:,.2f} gas; difference {comparison.equity_difference * 100:+.6f}% (tolerance {EQUITY_TOLERANCE * 100:.1f}%)"
    )
    lines.append(f"Replayed {result.cycles:,} cycles in {result.seconds:.1f} s ({result.pool_moves:,} arbitrage swaps); live state in the replay's state file")
    return "\n".join(lines)


def comparison_lines(backtest_state, live_state, comparison, label: str, price_label: str) -> list[str]:
    """The two summaries side by side, the trade-by-trade table and the decisions' verdict (replay and compare)."""
    from trade_executor.reporting.summary import calculate_summary, summary_as_dict

    backtest, live = summary_as_dict(calculate_summary(backtest_state)), summary_as_dict(calculate_summary(live_state))
    lines = [f"{'':40} {'backtest':>14} {label:>14}"]
    lines += [f"{name:40} {backtest[name]:>14} {live[name]:>14}" for name in backtest]
    lines.append("")
    lines.append(f"{'trade (cycle)':21} {'pair':9} {'side':4} {'type':18} {'backtest price':>18} {price_label:>18} {'difference':>11} {'LP fee b/l':>19}")
    price = lambda value: f"{value:.6f}" if value is not None else "-"  # noqa: E731
    fee = lambda value: f"{value:.2f}" if value is not None else "-"  # noqa: E731
    for row in comparison.rows:
        difference = f"{row.price_difference * 100:+.6f}%" if row.price_difference is not None else "missing"
        fees = f"{fee(row.backtest_lp_fee)}/{fee(row.live_lp_fee)}"
        live_price = row.live_unfilled or price(row.live_price)
        lines.append(
            f"{row.opened_at!s:21} {row.ticker:9} {row.side:4} {row.trade_type:18} {price(row.backtest_price):>18} {live_price:>18} {difference:>11} {fees:>19}"
        )
    lines.append("")
    if comparison.decisions_match:
        lines.append(f"Decisions: identical ({len(comparison.rows)} trades)")
    else:
        lines.append(f"Decisions: DIFFERENT at {len(comparison.mismatches)} of {len(comparison.rows)} trades:")
        lines += [f"  {mismatch}" for mismatch in comparison.mismatches[:10]]
        if len(comparison.mismatches) > 10:
            lines.append(f"  ... and {len(comparison.mismatches) - 10} more")
    return lines
