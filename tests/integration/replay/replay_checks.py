"""What the replay tests check and print of a replay: its figures, and its agreement with the backtest."""

from decimal import Decimal


def report(name: str, result) -> str:
    """The figures of a replay: cycles, trades per pair, the worst fill difference and the equity difference."""
    comparison = result.comparison
    per_pair = {}
    for row in comparison.rows:
        per_pair[row.ticker] = per_pair.get(row.ticker, 0) + 1
    line = (
        f"\n{name}: {result.cycles} cycles, {len(comparison.rows)} trades ({', '.join(f'{t} {n}' for t, n in per_pair.items())}), "
        f"{result.pool_moves} pool moves, worst fill difference {comparison.worst_price_difference * 100:.6f}%, "
        f"equity difference {comparison.equity_difference * 100:+.6f}%"
    )
    print(line)
    return line


def assert_agree(result, *, lp_fee_tolerance: Decimal = Decimal("0.02")) -> None:
    """Identical decisions, every live fill within 0.05% of the backtest's, final equity within 0.1% (gas counted on both sides)."""
    comparison = result.comparison
    assert comparison.decisions_match, comparison.mismatches
    assert comparison.worst_price_difference < 0.0005
    assert abs(comparison.equity_difference) < 0.001
    for row in comparison.rows:  # each pool's own fee on both sides, to the cent
        assert abs(row.backtest_lp_fee - row.live_lp_fee) < lp_fee_tolerance


def live_trades(state):
    return sorted((t for p in state.portfolio.get_all_positions() for t in p.trades.values() if t.is_success), key=lambda t: t.trade_id)
