"""The history a live start reads, measured on the strategy's own indicators: on every v3 exchange's fee tiers too."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from trade_executor.runner.history_need import longest_warm_up, required_history
from trade_executor.strategy.module import load_strategy_module

REPO = Path(__file__).resolve().parents[3]


@pytest.mark.parametrize("example", ["devnet-eth-usdc-v3.py", "devnet-eth-usdc-pancake-v3.py"])
def test_the_warm_up_is_measured_on_a_probe_pair_of_the_exchanges_fee_tier(example):
    """PancakeSwap v3 has no 0.3 % tier: the probe pair takes one it has, rather than refusing the live start."""
    strategy = load_strategy_module(REPO / "strategies" / example)
    assert longest_warm_up(strategy) == 7  # the 8-candle SMA's leading NaNs
    assert required_history(strategy) == pd.Timedelta(seconds=15) * 100  # at least MIN_CANDLES cycles
