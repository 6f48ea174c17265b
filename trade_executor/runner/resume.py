"""What a restarted live executor resumes from, in one log line an operator can read after a crash."""

from __future__ import annotations

from pathlib import Path

from trade_executor.state import State


def describe_resume(state: State, path: Path) -> str:
    """The cycle, open and frozen positions and unfinished trades of a state loaded from ``path``.

    Logged before recovery, so the lines recovery logs next (what it did with each unfinished
    trade) read as the answer to this one.
    """
    portfolio = state.portfolio
    live = state.live
    last = f", last at {live.last_cycle_at:%Y-%m-%d %H:%M:%S}" if live and live.last_cycle_at else ""
    held = [*portfolio.open_positions.values(), *portfolio.frozen_positions.values()]
    positions = "; ".join(
        f"#{p.position_id} {p.pair.ticker} {p.get_quantity():f} {p.pair.base.token_symbol}{' frozen' if p.is_frozen() else ''}" for p in held
    )
    pending = [t for p in held for t in p.trades.values() if t.is_pending]
    trades = "; ".join(
        f"#{t.trade_id} {'buy' if t.is_buy else 'sell'} {t.pair.ticker} {t.status.value}"
        + (f" {t.blockchain_transactions[-1].tx_hash}" if t.blockchain_transactions else " (never signed)")
        for t in pending
    )
    return (
        f"Resuming from {path}: {state.cycle} cycle(s) completed{last}; "
        f"{len(portfolio.open_positions)} open and {len(portfolio.frozen_positions)} frozen position(s){': ' + positions if positions else ''}; "
        f"{len(pending)} unresolved trade(s){': ' + trades + ' (recovery follows)' if pending else ''}; cash {portfolio.get_cash():f}"
    )
