"""Search spaces in Parameters: what a grid is made of, and why a plain run refuses one.

The modules are copies of strategies/eth-usd-sma.py with values turned into lists, written to
tmp_path, so each test reads the real loader's answer about a real file.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from trade_executor.errors import StrategyModuleError
from trade_executor.research.evaluate import Evaluator, Job, expand_grid, search_space
from trade_executor.strategy.module import load_strategy_module

REPO = Path(__file__).resolve().parents[3]
EXAMPLE = REPO / "strategies" / "eth-usd-sma.py"


def strategy_with(tmp_path: Path, *replacements: tuple[str, str], name: str = "grid.py") -> Path:
    source = EXAMPLE.read_text()
    for old, new in replacements:
        assert source.count(old) == 1, old
        source = source.replace(old, new)
    path = tmp_path / name
    path.write_text(source)
    return path


def line_of(path: Path, text: str) -> int:
    return next(n for n, line in enumerate(path.read_text().splitlines(), start=1) if text in line)


FAST = ("fast_sma: int = 24", "fast_sma: int = [12, 24, 36]")
SLOW = ("slow_sma: int = 96", "slow_sma: int = range(48, 145, 48)")


def test_lists_and_ranges_are_the_search_space_in_written_order(tmp_path):
    path = strategy_with(tmp_path, FAST, SLOW)
    assert search_space(path) == {"fast_sma": [12, 24, 36], "slow_sma": [48, 96, 144]}
    assert search_space(load_strategy_module(EXAMPLE)) == {}


def test_search_space_of_an_imported_module_object(tmp_path):
    path = strategy_with(tmp_path, FAST)
    evaluator = Evaluator(path)
    assert search_space(evaluator.strategy.module) == {"fast_sma": [12, 24, 36]}
    assert search_space(evaluator.strategy) == {"fast_sma": [12, 24, 36]}


def test_expand_grid_gives_every_combination_first_parameter_slowest():
    jobs = expand_grid({"slow_sma": [48, 96], "fast_sma": [12, 24, 36]}, "2018-01-01T00:00:00", None)
    assert [job.as_dict() for job in jobs] == [
        {"slow_sma": 48, "fast_sma": 12}, {"slow_sma": 48, "fast_sma": 24}, {"slow_sma": 48, "fast_sma": 36},
        {"slow_sma": 96, "fast_sma": 12}, {"slow_sma": 96, "fast_sma": 24}, {"slow_sma": 96, "fast_sma": 36},
    ]
    assert jobs[0] == Job((("fast_sma", 12), ("slow_sma", 48)), "2018-01-01T00:00:00", None)  # pairs sorted by name
    assert len(set(jobs)) == 6 and expand_grid({}) == [Job(())]


def test_a_backtest_of_a_search_space_is_refused_naming_the_parameter_and_grid_search(tmp_path):
    path = strategy_with(tmp_path, FAST, SLOW)
    with pytest.raises(StrategyModuleError) as info:
        load_strategy_module(path)
    assert str(info.value) == (
        f"{path}:{line_of(path, 'fast_sma: int = [')}: Parameters.fast_sma is a search space [12, 24, 36], but a backtest or live run "
        f"needs one value. Give it a single value, or try every combination with `trade-executor grid-search --strategy-file={path}`."
    )
    assert info.value.exit_code == 2


def test_each_value_of_a_space_is_checked_like_a_single_value(tmp_path):
    path = strategy_with(tmp_path, ("fast_sma: int = 24", "fast_sma: int = [12, 24.5]"))
    with pytest.raises(StrategyModuleError) as info:
        search_space(path)
    line = line_of(path, "fast_sma: int = [")
    assert str(info.value) == f"{path}:{line}: Parameters.fast_sma is 24.5 (float) (in the search space [12, 24.5]), but is annotated as int. Give it a int value."

    path = strategy_with(tmp_path, ("pool_liquidity_usd = 5_000_000", "pool_liquidity_usd = [5_000_000, -1]"), name="liquidity.py")
    with pytest.raises(StrategyModuleError, match=r"Parameters.pool_liquidity_usd value -1 of the search space must be more than 0, not -1"):
        search_space(path)

    path = strategy_with(tmp_path, ("fast_sma: int = 24", "fast_sma: int = []"), name="empty.py")
    with pytest.raises(StrategyModuleError, match=r"Parameters.fast_sma is an empty search space \[\]. Give it at least one value."):
        search_space(path)


def test_a_list_annotated_as_a_list_is_one_value_not_a_space(tmp_path):
    path = strategy_with(tmp_path, ("allocation: float = 1.0", 'allocation: float = 1.0\n    symbols: list[str] = ["ETH", "BTC"]'))
    strategy = load_strategy_module(path)
    assert strategy.parameters.symbols == ["ETH", "BTC"]
    assert strategy.parameters.search_space() == {}


def test_a_job_fills_in_one_combination_checked_like_written_values(tmp_path):
    evaluator = Evaluator(strategy_with(tmp_path, FAST, ("pool_liquidity_usd = 5_000_000", "pool_liquidity_usd = [1_000_000, 5_000_000]")))
    parameters = evaluator.strategy_for(Job.of({"fast_sma": 36, "pool_liquidity_usd": 1_000_000})).parameters
    assert (parameters.fast_sma, parameters.slow_sma, parameters.pool_liquidity_usd) == (36, 96, Decimal(1_000_000))
    with pytest.raises(StrategyModuleError, match=r"Parameters.fast_sma is 'x' \(str\), but is annotated as int"):
        evaluator.strategy_for(Job.of({"fast_sma": "x", "pool_liquidity_usd": 1}))
    with pytest.raises(StrategyModuleError, match=r"Parameters.fast_smaa is not a parameter of this strategy. .* Did you mean fast_sma\?"):
        evaluator.strategy_for(Job.of({"fast_smaa": 12, "pool_liquidity_usd": 1}))
