"""The price-impact tripwire in a backtest: the buy the live contract suite refuses is refused by the same rule.

The live tests of a searcher moving the pool for one block just before a cycle (the deviation tripwire,
the minimum out from the reference, the price-impact tripwire before signing) run on every venue in
test_venue_contract.py.
"""

from decimal import Decimal
from pathlib import Path

from trade_executor.runner.backtest import BacktestOptions, BacktestRun, build_universe
from trade_executor.strategy.context import ExecutionContext, ExecutionMode
from trade_executor.strategy.module import load_strategy_module

OVERSIZED_BUY = Path(__file__).resolve().parents[2] / "strategies" / "live_oversized_buy.py"


def test_the_price_impact_tripwire_refuses_the_same_buy_in_a_backtest():
    strategy = load_strategy_module(OVERSIZED_BUY)
    universe = build_universe(strategy, BacktestOptions(), ExecutionContext(ExecutionMode.backtesting, strategy.engine_version))
    state = BacktestRun(strategy, universe, BacktestOptions()).run().state

    trades = [t for p in state.portfolio.get_all_positions() for t in p.trades.values()]
    assert not trades, f"the backtest filled a buy whose price impact is above max_price_impact: {[str(t) for t in trades]}"
    assert state.portfolio.get_cash() == Decimal(10_000)
    assert state.backtest.skipped_trades >= 1
