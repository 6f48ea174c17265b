"""Fixture strategy that tries to look ahead through ``input.universe`` and finds nothing to read.

It trades a plain trend rule on the candles it is shown, and would trade on the candle still open
at the cycle time if any path of ``input.universe`` showed one (``get_candles``, ``candles``,
``stop_loss_candles``, ``end``). With the closed-candles view none does, so check-lookahead finds
nothing; on a universe that leaked later candles, its decisions would change with the future.
"""

from decimal import Decimal

from trade_executor.strategy.api import ChainId

trading_strategy_engine_version = "1.0"
trading_strategy_cycle = "1h"
chain_id = ChainId.ethereum
exchange = "uniswap-v2"
reserve_currency = "USDC"


class Parameters:
    initial_cash = 10_000
    pool_liquidity_usd = 5_000_000


def create_trading_universe(timestamp, data, execution_context, options):
    return data.embedded(["ETH"])


def not_closed_yet(input, pair) -> list:
    """Every candle the strategy is shown that had not closed by the cycle time (must be none)."""
    universe = input.universe
    frames = [universe.get_candles(pair), universe.candles[pair.ticker], input.get_candles(pair)]
    if universe.stop_loss_candles:
        frames.append(universe.stop_loss_candles[pair.ticker])
    later = [frame.loc[frame.index >= input.timestamp] for frame in frames]
    if universe.end is not None and universe.end >= input.timestamp:
        later.append(universe.get_candles(pair).loc[[universe.end]])
    return [frame for frame in later if len(frame)]


def decide_trades(input):
    pm = input.position_manager
    pair = input.universe.get_single_pair()
    peeked = not_closed_yet(input, pair)
    candles = input.universe.get_candles(pair)
    closes = candles.loc[candles.index < input.timestamp, "close"]
    if peeked and len(closes):
        rising = peeked[0]["close"].iloc[0] > closes.iloc[-1]  # the close of the candle still open now
    elif len(closes) >= 24:
        rising = closes.iloc[-1] > closes.iloc[-24:].mean()
    else:
        return []
    if rising and not pm.is_any_open():
        return pm.open_long(pair, pm.get_current_cash() * Decimal("0.5"))
    if not rising and pm.is_any_open():
        return pm.close_all()
    return []
