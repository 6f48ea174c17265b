"""`trade-executor check-lookahead` through the real command: peeking strategies are caught, the examples pass.

Each run is a subprocess from the repository root over one month of the embedded hourly ETH data
(one backtest, a control run and five reruns: about a second each).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

MONTH = ("--backtest-start=2018-01-01", "--backtest-end=2018-02-01")
FIXTURES = "tests/strategies/lookahead"
# The examples on the embedded data; one reading data.chain(...) needs a devnet's downloaded pools first.
EXAMPLES = sorted(p.name for p in (Path(__file__).resolve().parents[2] / "strategies").glob("*.py") if "data.chain(" not in p.read_text())


def check(te, strategy: str, *extra: str):
    return te.run("check-lookahead", f"--strategy-file={strategy}", *MONTH, *extra)


def rows(stdout: str) -> dict[str, list[str]]:
    """The findings table as {what changed: the other cells}."""
    lines = stdout.splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("What changed"))
    table = []
    for line in lines[header + 1 :]:
        if not line.strip():
            break
        table.append(re.split(r"\s{2,}", line.strip()))
    return {cells[0]: cells[1:] for cells in table}


def test_an_indicator_reading_the_next_candle_is_named(te):
    result = check(te, f"{FIXTURES}/peeks_with_shift.py")
    assert result.returncode == 1, str(result)
    assert "Look-ahead found: 2 thing(s) before a cut changed when only data after the cut changed." in result.stdout
    found = rows(result.stdout)
    assert sorted(found) == ["decisions", "indicator next_close (ETH-USDC)"]
    cut, first_differs, original, changed, seen = found["indicator next_close (ETH-USDC)"]
    assert (cut, first_differs, seen) == ("2018-01-06 18:00", "2018-01-06 17:00", "5 of 5")
    assert (original, changed) == ("993.4", "987.539122")  # the close of the 18:00 candle, and its mirrored value
    assert found["decisions"][0] == "2018-01-11 15:00"
    assert "the indicator reads later candles (shift(-n)" in result.stdout
    assert "Traceback" not in result.stderr


def test_a_universe_kept_from_create_indicators_is_caught_by_the_decisions(te):
    result = check(te, f"{FIXTURES}/peeks_through_kept_universe.py")
    assert result.returncode == 1, str(result)
    found = rows(result.stdout)
    assert list(found) == ["decisions"]
    cut, first_differs, original, changed, seen = found["decisions"]
    assert first_differs == cut
    assert original.startswith(f"{cut} rebalance ") and " ETH-USDC for " in original
    assert changed == "no trade" or changed.startswith(f"{cut} rebalance ")
    assert seen.endswith(" of 5")


def test_input_universe_shows_nothing_to_peek_at(te):
    """The fixture trades on the still-open candle whenever any path of input.universe shows one; none does.

    With 4h cycle candles and 1h stop-loss candles, so stop_loss_candles is read as well.
    """
    result = check(te, f"{FIXTURES}/reads_input_universe.py", "--backtest-candle-time-frame-override=4h", "--backtest-stop-loss-time-frame-override=1h")
    assert result.returncode == 0, str(result)
    assert result.stdout.splitlines()[-1] == "No look-ahead found (5 cuts, 542 cycles compared)"


@pytest.mark.parametrize("example", EXAMPLES)
def test_every_shipped_example_passes(te, example):
    extra = ("--backtest-candle-time-frame-override=1h",) if example.startswith("devnet-eth-usdc") else ()  # a 15 s devnet cycle
    result = check(te, f"strategies/{example}", *extra)
    assert result.returncode == 0, str(result)
    assert re.fullmatch(r"No look-ahead found \(5 cuts, [\d,]+ cycles compared\)", result.stdout.splitlines()[-1]), str(result)


def test_a_strategy_that_is_not_deterministic_is_refused_not_accused(te):
    result = check(te, f"{FIXTURES}/not_deterministic.py")
    assert result.returncode == 1, str(result)
    assert "Look-ahead found" not in result.stdout
    assert result.stderr.startswith("Strategy error: The strategy is not deterministic: two runs on the same data differ (decisions at ")
    assert "Seed any random numbers" in result.stderr


def test_bad_input_exits_2(te):
    zero = check(te, "strategies/eth-usd-sma.py", "--lookahead-cuts=0")
    assert zero.returncode == 2, str(zero)
    assert zero.stderr.strip() == "Error: --lookahead-cuts=0: check at least 1 cut time (default 5)."
    missing = check(te, "strategies/nope.py")
    assert missing.returncode == 2, str(missing)
    assert missing.stderr.startswith("Error: Strategy file strategies/nope.py does not exist.")
    env = te.run("check-lookahead", "--strategy-file=strategies/eth-usd-sma.py", env={"LOOKAHEAD_CUTS": "2", "BACKTEST_START": "2018-01-01", "BACKTEST_END": "2018-01-15"})
    assert env.returncode == 0, str(env)
    assert re.fullmatch(r"No look-ahead found \(2 cuts, [\d,]+ cycles compared\)", env.stdout.splitlines()[-1]), str(env)
