"""A fill at time T uses the pool liquidity known at T: the close of the last candle closed by then, never its own candle's close."""

import numpy as np
import pandas as pd

from trade_executor.execution.backtest_pricing import BacktestPricing
from trade_executor.market.loader import MarketDataLoader


def test_liquidity_at_a_cycle_is_the_last_closed_candles_not_the_one_opening_then():
    index = pd.date_range("2024-01-01", periods=4, freq="1h", name="timestamp")
    frame = pd.DataFrame({"open": 100.0, "high": 101.0, "low": 99.0, "close": 100.0, "liquidity": [1_000.0, 2_000.0, 3_000.0, 4_000.0]}, index=index)
    universe = MarketDataLoader(1, "uniswap-v2", "USDC").from_frames({"ETH": frame})
    pair = universe.get_pair("ETH")
    pricing = BacktestPricing(universe, index.as_unit("ns").asi8)
    seen = []
    for cursor in range(4):
        pricing.cursor = cursor
        seen.append(float(pricing.get_liquidity(pair)))
    # 00:00 has no closed candle yet (the first candle's value is all there is); 01:00 knows the 00:00 candle's close, and so on.
    assert seen == [1_000.0, 1_000.0, 2_000.0, 3_000.0]
    assert np.isfinite(seen).all()
