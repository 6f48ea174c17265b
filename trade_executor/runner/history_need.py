"""How much candle history a live strategy needs at start: declared, or measured on its own indicators.

A live start reads from the chain only the history the strategy will use. A module may declare it
(``Parameters.required_history_period = "200h"``). Otherwise the strategy's indicators are run on
a synthetic random walk and each one's warm-up (its leading NaNs: 49 for a 50-candle SMA) is
counted; twice the longest, and at least MIN_CANDLES, covers the indicators and leaves room for
their first crossings. What decide_trades reads from ``input.universe`` directly cannot be
measured: declare the period then.
"""

from __future__ import annotations

import logging
from decimal import Decimal

import numpy as np
import pandas as pd

from trade_executor.identifiers import DEFAULT_LP_FEE
from trade_executor.market.candles import parse_time_frame
from trade_executor.market.fee_tiers import PIPS, fee_tiers_of
from trade_executor.market.loader import MarketDataLoader
from trade_executor.strategy.indicators import IndicatorSet, compute_indicators
from trade_executor.strategy.module import StrategyModule, call_with_supported_arguments

logger = logging.getLogger(__name__)

MIN_CANDLES = 100
PROBE_CANDLES = 5_000


def required_history(strategy: StrategyModule) -> pd.Timedelta:
    declared = strategy.parameters.as_dict().get("required_history_period")
    if declared:
        return parse_time_frame(declared)
    return strategy.cycle_duration * max(MIN_CANDLES, 2 * longest_warm_up(strategy))


def longest_warm_up(strategy: StrategyModule) -> int:
    """The most leading NaNs of any indicator on a synthetic series (0 without indicators, or when they cannot run on it)."""
    if strategy.create_indicators is None:
        return 0
    steps = np.random.default_rng(0).normal(0, 0.01, PROBE_CANDLES)
    close = 100 * np.exp(np.cumsum(steps))
    index = pd.date_range("2020-01-01", periods=PROBE_CANDLES, freq=strategy.cycle_duration, name="timestamp")
    frame = pd.DataFrame({"open": close, "high": close * 1.001, "low": close * 0.999, "close": close, "volume": 1.0}, index=index)
    tiers = fee_tiers_of(strategy.exchange_slug)  # a v3 probe pair needs one of its exchange's fee tiers (PancakeSwap v3 has no 0.3 %)
    fee = DEFAULT_LP_FEE if not tiers or DEFAULT_LP_FEE * PIPS in tiers else Decimal(tiers[0]) / PIPS
    universe = MarketDataLoader(strategy.chain_id, strategy.exchange_slug, strategy.reserve_currency).from_frames({"PROBE": frame}, fee=fee)
    try:
        indicator_set = call_with_supported_arguments(strategy.create_indicators, timestamp=None, parameters=strategy.parameters, universe=universe, execution_context=None)
        if not isinstance(indicator_set, IndicatorSet):
            return 0
        computed = compute_indicators(indicator_set, universe)
    except Exception as e:  # noqa: BLE001 - a probe: the strategy may expect its real pairs
        logger.info("Could not measure the indicators' warm-up on synthetic data (%s: %s); set Parameters.required_history_period", type(e).__name__, e)
        return 0
    longest = 0
    for per_pair in computed.values():
        for values in per_pair.values():
            finite = np.flatnonzero(np.isfinite(values))
            longest = max(longest, int(finite[0]) if len(finite) else PROBE_CANDLES)
    return longest
