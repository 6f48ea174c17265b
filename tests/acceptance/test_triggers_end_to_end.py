"""Stop loss and trailing stop on hand-made price paths, through the CLI, with exact expected fills.

The candles are written as a user's CSV file; a strategy buys once at the second cycle and lets
the trigger close the position. The paths are chosen so the expected fill is known by hand.
"""

from __future__ import annotations

import textwrap
from decimal import Decimal

import pandas as pd

from trade_executor.state import JSONFileStore, TradeType

STRATEGY = """
from pathlib import Path

from trade_executor.strategy.api import ChainId

trading_strategy_engine_version = "1.0"
trading_strategy_cycle = "1h"
chain_id = ChainId.ethereum
exchange = "uniswap-v2"
reserve_currency = "USDC"


class Parameters:
    initial_cash = 10_000
    fill_model = "simple"


def create_trading_universe(timestamp, data, execution_context, options):
    return data.files(Path(__file__).parent / "eth.csv", pairs=["ETH-USDC"])


def decide_trades(input):
    position_manager = input.position_manager
    if input.cycle == 1 and not position_manager.is_any_open():
        return position_manager.open_long("ETH-USDC", 1_000, {triggers})
    return []
"""


def bars(rows: list[tuple[float, float, float, float]]) -> pd.DataFrame:
    index = pd.date_range("2020-01-01", periods=len(rows), freq="1h", name="timestamp")
    return pd.DataFrame(rows, columns=["open", "high", "low", "close"], index=index).reset_index()


def run(te, tmp_path, candles: pd.DataFrame, triggers: str):
    candles.to_csv(tmp_path / "eth.csv", index=False)
    strategy = tmp_path / "triggers.py"
    strategy.write_text(textwrap.dedent(STRATEGY).format(triggers=triggers))
    state_file = tmp_path / "state.json"
    result = te.run("start", f"--strategy-file={strategy}", "--execution-type=backtest", f"--state-file={state_file}")
    te.assert_complete_summary(result)
    return JSONFileStore(state_file).load()


def test_stop_loss_inside_a_bar_fills_at_the_stop(te, tmp_path):
    # Flat at 100, then a bar that trades down through 95 after opening above it.
    rows = [(100.0, 101.0, 99.0, 100.0)] * 10 + [(99.0, 99.5, 90.0, 91.0)] + [(91.0, 92.0, 90.0, 91.0)] * 5
    state = run(te, tmp_path, bars(rows), "stop_loss_pct=0.95")
    (position,) = state.portfolio.closed_positions.values()
    closing = position.get_closing_trade()
    assert position.closed_by() is TradeType.stop_loss
    assert (closing.trigger_price, closing.planned_price) == (Decimal("95.00"), Decimal("95.00"))
    assert closing.executed_at == pd.Timestamp("2020-01-01 11:00").to_pydatetime()  # the close of the 10:00 bar


def test_stop_loss_on_a_bar_that_opens_through_the_stop_fills_at_the_open(te, tmp_path):
    # Flat at 100, then the price gaps down: the next bar opens at 80, below the 95 stop.
    rows = [(100.0, 101.0, 99.0, 100.0)] * 10 + [(80.0, 81.0, 79.0, 80.0)] * 5
    state = run(te, tmp_path, bars(rows), "stop_loss_pct=0.95")
    (position,) = state.portfolio.closed_positions.values()
    closing = position.get_closing_trade()
    assert position.closed_by() is TradeType.stop_loss
    assert closing.trigger_price == Decimal("95.00")
    assert closing.planned_price == Decimal("80.0")  # nothing trades at 95 when the market opens at 80


def test_trailing_stop_follows_the_high_and_fires_at_the_trailed_level(te, tmp_path):
    flat = [(100.0, 100.5, 99.5, 100.0)] * 2
    rising = [(100.0 + 5 * k, 100.0 + 5 * (k + 1), 100.0 + 5 * k, 100.0 + 5 * (k + 1)) for k in range(10)]  # up to 150
    falling = [(150.0 - 2 * j, 150.0 - 2 * j, 150.0 - 2 * (j + 1), 150.0 - 2 * (j + 1)) for j in range(12)]  # down to 126
    state = run(te, tmp_path, bars(flat + rising + falling), "trailing_stop_loss_pct=0.9")
    (position,) = state.portfolio.closed_positions.values()
    closing = position.get_closing_trade()
    assert position.closed_by() is TradeType.trailing_stop_loss
    assert position.high_water_price == Decimal("150.0")
    # 90% of the 150 high; the bar opening at 136 trades down through 135, so it fills at 135.
    assert closing.trigger_price == closing.planned_price == Decimal("135.00")
