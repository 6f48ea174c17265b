"""Benchmark strategy: 50 synthetic pairs, hold the 5 with the best positive momentum."""

from decimal import Decimal

from trade_executor.strategy.api import ChainId, IndicatorSet
from trade_executor.testing.synthetic import synthetic_candles

trading_strategy_engine_version = "1.0"
trading_strategy_cycle = "1h"
chain_id = ChainId.ethereum
exchange = "uniswap-v2"
reserve_currency = "USDC"

SYMBOLS = [f"T{i:02d}" for i in range(50)]


class Parameters:
    initial_cash = 1_000_000
    lookback: int = 48
    holdings: int = 5
    pool_liquidity_usd = 10_000_000
    native_token_price_usd = 2000


def create_trading_universe(timestamp, data, execution_context, options):
    return data.from_frames(synthetic_candles(SYMBOLS, periods=8760, seed=42))


def create_indicators(timestamp, parameters, universe, execution_context):
    indicators = IndicatorSet()
    indicators.add("momentum", lambda close: close.pct_change(parameters.lookback))
    return indicators


def decide_trades(input):
    momentum = input.indicators.get_all("momentum")
    scored = sorted(((value, ticker) for ticker, value in momentum.items() if value > 0), reverse=True)
    wanted = [ticker for _, ticker in scored[: input.parameters.holdings]]  # a list, not a set: set order varies per process
    position_manager = input.position_manager
    trades = []
    freed = Decimal(0)
    held = set()
    for position in position_manager.get_open_positions():
        if position.pair.ticker in wanted:
            held.add(position.pair.ticker)
        else:
            freed += position.get_value()
            trades += position_manager.close_position(position)
    missing = [t for t in wanted if t not in held]
    budget = (position_manager.get_current_cash() + freed) / len(missing) if missing else 0
    if budget > 10:
        for ticker in missing:
            trades += position_manager.open_long(ticker, budget * Decimal("0.99"))
    return trades
