"""The Optuna search: how each parameter is sampled, reproducibility with a seed, the best trial."""

from pathlib import Path

import pytest
from optuna.distributions import CategoricalDistribution, IntDistribution

from trade_executor.errors import ConfigurationError
from trade_executor.research.evaluate import Evaluator, Job, search_space
from trade_executor.research.objective import Objective
from trade_executor.research.optimise import Optimiser, dimensions

STRATEGY = Path(__file__).resolve().parents[2] / "strategies" / "sma_search_space.py"
START, END = "2018-01-01", "2018-01-20T23:59:59"


@pytest.fixture(scope="module")
def evaluator() -> Evaluator:
    return Evaluator(STRATEGY)


def run_in_process(evaluator: Evaluator):
    """The executors' contract, in this process: results in the order of the jobs."""
    calls: list[list[Job]] = []

    def run_jobs(jobs):
        calls.append(list(jobs))
        return [evaluator.run(job) for job in jobs]

    run_jobs.calls = calls
    return run_jobs


def test_even_integer_steps_are_an_ordered_scale_and_anything_else_is_a_set_of_choices():
    found = dimensions({"fast": range(6, 31, 6), "slow": [48, 72, 120], "mode": ["a", "b"], "pct": [0.9, 0.95], "one": [5]})

    assert [(d.name, d.distribution) for d in found] == [
        ("fast", IntDistribution(6, 30, step=6)),
        ("mode", CategoricalDistribution([0, 1])),
        ("one", CategoricalDistribution([0])),
        ("pct", CategoricalDistribution([0, 1])),
        ("slow", CategoricalDistribution([0, 1, 2])),
    ]
    assert [d.describe() for d in found] == [
        "fast: integers 6..30 step 6 (ordered, 5 values)",
        "mode: choices 'a', 'b' (unordered)",
        "one: choices 5 (unordered)",
        "pct: choices 0.9, 0.95 (unordered)",
        "slow: choices 48, 72, 120 (unordered)",
    ]
    assert [found[4].decode(2), found[3].decode(1), found[0].decode(18)] == [120, 0.95, 18]


def test_the_same_seed_gives_the_same_trials_and_best_and_another_seed_differs(evaluator):
    space = search_space(STRATEGY)

    def optimise(seed):
        report = Optimiser(space, Objective("sharpe"), run_in_process(evaluator), seed=seed, batch_size=3).run(12, START, END)
        return [(t.result.job.parameters, t.result.metrics["sharpe"]) for t in report.trials], report.best.result.job

    first, second, other = optimise(7), optimise(7), optimise(8)

    assert first == second
    assert first[0] != other[0]
    assert len(first[0]) == 12
    assert all(job_params[0][0] == "fast_sma" and job_params[1][0] == "slow_sma" for job_params, _ in first[0])


def test_trials_are_asked_in_batches_and_a_repeated_combination_is_not_backtested_again(evaluator):
    run_jobs = run_in_process(evaluator)

    report = Optimiser(search_space(STRATEGY), Objective("return_pct"), run_jobs, seed=1, batch_size=4).run(30, START, END)

    assert len(report.trials) == 30 and [t.number for t in report.trials] == list(range(1, 31))
    assert all(len(batch) <= 4 for batch in run_jobs.calls)
    backtested = [job for batch in run_jobs.calls for job in batch]
    assert len(backtested) == len(set(backtested)) == report.backtests() <= 15
    distinct = {t.result.job for t in report.trials}
    assert len(distinct) == report.backtests()
    assert all(job.start == START and job.end == END for job in distinct)


def test_the_best_trial_is_the_best_backtest_of_the_ones_tried(evaluator):
    report = Optimiser(search_space(STRATEGY), Objective("sharpe"), run_in_process(evaluator), seed=3, batch_size=2).run(10, START, END)

    direct = {job: evaluator.run(job).metrics["sharpe"] for job in {t.result.job for t in report.trials}}
    assert report.best.result.metrics["sharpe"] == max(direct.values())
    assert report.best.result.job == max(direct, key=direct.get)
    ranked = [t.result.metrics["sharpe"] for t in report.ranked()]
    assert ranked == sorted(direct.values(), reverse=True)


def test_minimising_picks_the_lowest(evaluator):
    report = Optimiser(search_space(STRATEGY), Objective("trades", "minimize"), run_in_process(evaluator), seed=3).run(6, START, END)

    assert report.best.result.metrics["trades"] == min(t.result.metrics["trades"] for t in report.trials)


def test_an_unknown_objective_suggests_the_right_name():
    with pytest.raises(ConfigurationError, match=r"^--objective='sharp' is not a metric\. Did you mean sharpe\? Use one of: return_pct, cagr, "):
        Objective.checked("sharp", "maximize")
