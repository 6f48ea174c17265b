"""ETH/BTC momentum rotation across two venues: ETH on a Uniswap v3 0.05% pool, BTC on a Uniswap v2 pool.

The strategy of eth-btc-momentum.py (hold whichever of ETH and BTC has the best positive momentum,
with a trailing stop) on a mixed universe: the module's ``exchange`` is Uniswap v3, and
``exchange={"BTC": "uniswap-v2"}`` puts BTC on Uniswap v2. Each pair keeps its venue everywhere:
backtest swaps fill with the pool's own maths (v3 concentrated liquidity for ETH, x*y=k for BTC),
and live a rotation sells on one venue and buys on the other in the same cycle, from the one hot
wallet (runner/mixed_venue.py). Depth: Parameters.pool_liquidity_usd on each pool's quote side.
"""

import datetime
import math
from decimal import Decimal

from trade_executor.strategy.api import ChainId, IndicatorSet, StrategyInput, TradeType, TradingUniverse

trading_strategy_engine_version = "1.0"
trading_strategy_cycle = "4h"
chain_id = ChainId.ethereum
exchange = "uniswap-v3"
reserve_currency = "USDC"

PAIRS = ("ETH", "BTC")
STOP_TYPES = (TradeType.stop_loss, TradeType.trailing_stop_loss)


class Parameters:
    initial_cash = 10_000
    #: Rate of change over this many hourly candles (168 = 7 days).
    momentum_candles: int = 168
    #: Hold nothing unless the leader's momentum is above this (0.0 = any rise).
    minimum_momentum: float = 0.0
    #: Switch from the held pair only when the new leader beats it by this much (avoids churn).
    rotation_margin: float = 0.03
    #: The stop trails 10% below the highest price since entry (None: no trailing stop).
    trailing_stop_loss_pct: float | None = 0.90
    #: After a stop, do not buy the same pair again for this long.
    stop_cooldown_hours: int = 24
    allocation: float = 1.0
    pool_liquidity_usd = 10_000_000


def create_trading_universe(timestamp, data, execution_context, options) -> TradingUniverse:
    # ETH: the 0.05% Uniswap v3 pool; BTC: the Uniswap v2 pool (its 0.3% fee)
    return data.embedded(list(PAIRS), fee={"ETH": 0.0005, "BTC": 0.003}, exchange={"BTC": "uniswap-v2"})


def create_indicators(timestamp, parameters, universe, execution_context) -> IndicatorSet:
    indicators = IndicatorSet()
    indicators.add(
        "momentum",
        lambda close, candles: close.pct_change(periods=candles, fill_method=None),
        candles=parameters.momentum_candles,
    )
    return indicators


def _recently_stopped(input: StrategyInput, ticker: str) -> bool:
    """Was the last position in this pair closed by a stop within the cool-down?"""
    cooldown = datetime.timedelta(hours=input.parameters.stop_cooldown_hours)
    for position in reversed(input.state.portfolio.closed_positions.values()):
        if position.pair.ticker != ticker:
            continue
        return position.closed_by() in STOP_TYPES and input.timestamp - position.closed_at < cooldown
    return False


def _leader(input: StrategyInput, held_ticker: str | None):
    """The pair to hold now, or None for cash."""
    parameters = input.parameters
    momentum = {}
    for pair in input.universe.pairs.values():
        value = input.indicators.get("momentum", pair)
        if not math.isnan(value) and value > parameters.minimum_momentum and not _recently_stopped(input, pair.ticker):
            momentum[pair.ticker] = value
    if not momentum:
        return None
    best = max(momentum, key=momentum.get)
    if held_ticker in momentum and momentum[best] - momentum[held_ticker] < parameters.rotation_margin:
        best = held_ticker  # not worth the fees of a rotation
    return input.universe.get_pair(best)


def decide_trades(input: StrategyInput) -> list:
    position_manager = input.position_manager
    parameters = input.parameters
    held = position_manager.get_open_positions()
    held_ticker = held[0].pair.ticker if held else None
    leader = _leader(input, held_ticker)

    if leader is not None and leader.ticker == held_ticker:
        return []

    trades = []
    freed = Decimal(0)
    for position in held:
        closing = position_manager.close_position(position)
        if closing:
            freed += position.get_value()
        trades += closing
    if leader is not None:
        cash = (position_manager.get_current_cash() + freed) * Decimal(str(parameters.allocation))
        trades += position_manager.open_long(leader, cash, trailing_stop_loss_pct=parameters.trailing_stop_loss_pct)
    return trades
