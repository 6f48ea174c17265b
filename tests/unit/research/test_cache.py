"""The result cache: a key changes with anything a result depends on, and a stored result reads back exactly."""

from __future__ import annotations

import math
from pathlib import Path

from trade_executor.market.embedded import load_embedded_candles
from trade_executor.market.loader import MarketDataLoader
from trade_executor.research.cache import ResultCache, result_key
from trade_executor.research.evaluate import Evaluator, Job, Result, universe_fingerprint

REPO = Path(__file__).resolve().parents[3]
SOURCE = b"class Parameters: fast_sma = [12, 24]\n"
JOB = Job.of({"fast_sma": 12, "slow_sma": 48}, "2018-01-01T00:00:00", "2018-03-01T00:00:00")


def test_the_key_is_stable_and_changes_with_every_input():
    key = result_key(SOURCE, JOB, "data-1")
    assert key == result_key(SOURCE, Job.of({"slow_sma": 48, "fast_sma": 12}, JOB.start, JOB.end), "data-1")
    different = {
        result_key(SOURCE + b"# edited\n", JOB, "data-1"),
        result_key(SOURCE, Job.of({"fast_sma": 24, "slow_sma": 48}, JOB.start, JOB.end), "data-1"),
        result_key(SOURCE, Job.of({"fast_sma": 12.0, "slow_sma": 48}, JOB.start, JOB.end), "data-1"),  # 12.0 is not 12
        result_key(SOURCE, Job.of({"fast_sma": True, "slow_sma": 48}, JOB.start, JOB.end), "data-1"),
        result_key(SOURCE, Job.of(JOB.as_dict(), "2018-01-02T00:00:00", JOB.end), "data-1"),
        result_key(SOURCE, Job.of(JOB.as_dict(), JOB.start, None), "data-1"),
        result_key(SOURCE, JOB, "data-2"),
    }
    assert key not in different and len(different) == 7


def test_the_data_fingerprint_follows_every_candle():
    evaluator = Evaluator(REPO / "strategies" / "eth-usd-sma.py")
    whole = evaluator.data_fingerprint()
    assert whole == Evaluator(REPO / "strategies" / "eth-usd-sma.py").data_fingerprint() == evaluator.data_fingerprint(None, None)
    loader = MarketDataLoader(1, "uniswap-v2", "USDC")
    candles = load_embedded_candles("ETH")
    assert universe_fingerprint(loader.from_frames({"ETH-USDC": candles.copy()})) == whole
    edited = candles.copy()
    edited.iloc[100, edited.columns.get_loc("close")] += 0.01  # one close differs by a cent
    assert universe_fingerprint(loader.from_frames({"ETH-USDC": edited})) != whole


def test_a_stored_result_reads_back_exactly_and_leaves_no_temporary_file(tmp_path):
    calls = []

    def fingerprint(start, end):
        calls.append((start, end))
        return "data"

    cache = ResultCache(tmp_path / "cache", SOURCE, fingerprint)
    assert cache.get(JOB) is None
    result = Result(JOB, {"return_pct": -0.1234567890123456789, "sharpe": math.nan, "profit_factor": math.inf, "trades": 3.0}, 0.25)
    path = cache.put(result)
    assert path == tmp_path / "cache" / f"{result_key(SOURCE, JOB, 'data')}.json"
    assert sorted(p.name for p in (tmp_path / "cache").iterdir()) == [path.name]
    again = ResultCache(tmp_path / "cache", SOURCE, fingerprint).get(JOB)
    assert again == result and again.seconds == 0.25 and math.isinf(again.metrics["profit_factor"])
    assert calls == [(JOB.start, JOB.end), (JOB.start, JOB.end)]  # once per cache object and window

    path.write_text("{truncated")
    assert cache.get(JOB) is None  # an unreadable file means: run it again
