"""Fixture strategy: a small backtest whose state has a bit of everything.

Its data is made here, deterministically: 72 hourly ETH candles following a smooth wave (each bar
opens at the previous close), with the bar at 06:00 on the second day missing. It trades every 12
hours with a stop loss and a take profit, closes after 6 hours (and once more near the end, left open), tries one dust order, and draws a
plot and a message, so the state holds closed and open positions, stop-loss and take-profit
trades, gas, LP fees, skipped trades, a data gap and visualisation data.
"""

import math
from decimal import Decimal

import pandas as pd

from trade_executor.strategy.api import ChainId

trading_strategy_engine_version = "1.0"
trading_strategy_cycle = "1h"
chain_id = ChainId.ethereum
exchange = "uniswap-v2"
reserve_currency = "USDC"

START = pd.Timestamp("2021-03-01 00:00")
MISSING_BAR = START + pd.Timedelta(hours=30)


class Parameters:
    initial_cash = 10_000
    pool_liquidity_usd = 2_000_000
    allocation: float = 0.5
    stop_loss_pct: float = 0.98
    take_profit_pct: float = 1.03


def make_candles() -> pd.DataFrame:
    rows = []
    close = 2000.0
    for i in range(72):
        open_ = close
        close = round(2000.0 + 120.0 * math.sin(i / 4.0) + 15.0 * math.sin(i * 1.7), 2)
        rows.append((START + pd.Timedelta(hours=i), open_, max(open_, close) + 3.5, min(open_, close) - 3.5, close, 10.0))
    frame = pd.DataFrame(rows, columns=["timestamp", "open", "high", "low", "close", "volume"]).set_index("timestamp")
    return frame.drop(index=MISSING_BAR)


def create_trading_universe(timestamp, data, execution_context, options):
    return data.from_frames({"ETH": make_candles()})


def decide_trades(input):
    pm = input.position_manager
    pair = input.universe.get_single_pair()
    candles = input.get_candles()
    if len(candles):
        input.visualisation.plot_indicator(input.timestamp, "last close", candles["close"].iloc[-1], colour="blue")
    if input.cycle == 0:
        input.visualisation.add_message(input.timestamp, "Starting: half the cash every 12 hours")
    if input.cycle == 1:
        return pm.open_long(pair, "0.5")  # below the minimum trade value: skipped
    if (input.cycle % 12 == 0 or input.cycle == 70) and not pm.is_any_open():
        cash = pm.get_current_cash() * Decimal(str(input.parameters.allocation))
        return pm.open_long(
            pair, cash, stop_loss_pct=input.parameters.stop_loss_pct, take_profit_pct=input.parameters.take_profit_pct
        )
    if input.cycle % 12 == 6 and pm.is_any_open():
        return pm.close_all()
    return []
