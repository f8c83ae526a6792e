"""The Mann-Whitney canary judge: p-values by counting pairs, effect allowances, seed 003's score bands."""

from __future__ import annotations

import itertools
import math
from collections import Counter

import numpy as np
import pytest

from simulator import parse_scenario, run
from simulator.analysis.judge import mann_whitney_judge
from simulator.observations import MetricSeries
from simulator.scenario import RollbackThresholds
from tests.helpers import scenario_data

RULES = RollbackThresholds.seed_defaults()


def series(version: str, rng: np.random.Generator, *, error=0.001, p50=0.04, p99=0.16, accuracy=0.92, n=20):
    return MetricSeries(
        version=version,
        requests=np.full(n, 3000.0),
        error_rate=np.clip(rng.normal(error, 0.0005, n), 0, 1),
        latency_p50=rng.normal(p50, p50 * 0.03, n),
        latency_p99=rng.normal(p99, p99 * 0.05, n),
        labelled=np.full(n, 900.0),
        accuracy=np.clip(rng.normal(accuracy, 0.01, n), 0, 1),
    )


def u_statistic(x: np.ndarray, y: np.ndarray) -> float:
    """Mann-Whitney U of ``x`` over ``y``: the pairs in which x is the larger, ties counting half."""
    pairs_x_larger = (x[:, None] > y[None, :]).sum()
    pairs_tied = (x[:, None] == y[None, :]).sum()
    return float(pairs_x_larger + 0.5 * pairs_tied)


def p_x_larger_normal(x: np.ndarray, y: np.ndarray) -> float:
    """One-sided p-value of "x tends to be larger" (no ties): U's normal approximation, continuity-corrected.

    Under no difference U has mean n m / 2 and variance n m (n + m + 1) / 12.
    """
    n, m = len(x), len(y)
    z = (u_statistic(x, y) - n * m / 2 - 0.5) / math.sqrt(n * m * (n + m + 1) / 12)
    return 0.5 * math.erfc(z / math.sqrt(2))


def p_x_larger_exact(x: np.ndarray, y: np.ndarray) -> float:
    """The same p-value from U's exact distribution (no ties): the share of all equally likely
    assignments of the pooled ranks to x that give a U at least as large as the one observed."""
    observed = u_statistic(x, y)
    n, total = len(x), len(x) + len(y)
    at_least = 0
    for ranks in itertools.combinations(range(1, total + 1), n):
        at_least += sum(ranks) - n * (n + 1) / 2 >= observed  # U = rank sum of x - n (n + 1) / 2
    return at_least / math.comb(total, n)


@pytest.mark.parametrize(("intervals", "p_value_of"), [
    (20, p_x_larger_normal),  # a 5 min window at 15 s scrapes
    (6, p_x_larger_exact),  # a short window: too few intervals for the normal approximation
])
def test_p_values_are_one_sided_mann_whitney_in_the_harmful_direction(intervals: int, p_value_of) -> None:
    """Latency is tested for an increase, accuracy for a decrease, each by counting pairs.

    Kills a judge that tests the wrong direction (``alternative="less"`` for
    latency, ``"greater"`` for accuracy) or both sides.
    """
    rng = np.random.default_rng(1)
    # Slightly slower and slightly less accurate: p-values well inside (0, 1), not saturated.
    candidate = series("v2", rng, p99=0.164, accuracy=0.915, n=intervals)
    stable = series("v1", rng, n=intervals)

    result = mann_whitney_judge(candidate, stable, RULES)

    by_metric = {m.metric: m for m in result.metrics}
    latency = p_value_of(candidate.latency_p99, stable.latency_p99)  # the candidate larger
    accuracy = p_value_of(stable.accuracy, candidate.accuracy)  # the stable version larger
    assert 0.001 < latency < 0.9 and 0.001 < accuracy < 0.9
    assert by_metric["latency_p99"].p_value == pytest.approx(latency, rel=1e-9)
    assert by_metric["accuracy"].p_value == pytest.approx(accuracy, rel=1e-9)


@pytest.mark.parametrize(
    ("candidate", "score", "verdict"),
    [
        ({}, 100, "pass"),
        ({"p99": 0.4}, 75, "marginal"),  # 3 of 4 metrics pass: seed 003 holds between 70 % and 90 %
        ({"p99": 0.4, "p50": 0.1}, 50, "fail"),
    ],
)
def test_score_bands(candidate: dict, score: float, verdict: str) -> None:
    rng = np.random.default_rng(2)
    result = mann_whitney_judge(series("v2", rng, **candidate), series("v1", rng), RULES)
    assert (result.score, result.verdict) == (score, verdict)


def test_a_significant_but_allowed_difference_passes() -> None:
    rng = np.random.default_rng(3)
    result = mann_whitney_judge(series("v2", rng, p50=0.05), series("v1", rng), RULES)  # x1.25 < x1.5
    p50 = next(m for m in result.metrics if m.metric == "latency_p50")
    assert p50.p_value < 0.05 and p50.passed


def test_accuracy_is_skipped_without_enough_labels() -> None:
    rng = np.random.default_rng(4)
    candidate = series("v2", rng)
    candidate = MetricSeries(**{**{k: getattr(candidate, k) for k in candidate.__slots__}, "labelled": np.zeros(20)})
    result = mann_whitney_judge(candidate, series("v1", rng), RULES)
    assert [m.metric for m in result.metrics] == ["error_rate", "latency_p50", "latency_p99"]


def judged(data: dict) -> dict:
    data["strategies"] = {"canary": {**data["strategies"]["canary"], "judge": "mann_whitney"}}
    data.pop("expect", None)
    return data


def test_judged_canary_catches_the_slow_candidate() -> None:
    scenario = parse_scenario(judged(scenario_data("quickstart.yaml")))
    outcomes = Counter(run(scenario, "canary", seed).outcome for seed in range(10))
    assert outcomes["rolled_back"] == 10


def test_judged_canary_promotes_a_good_candidate() -> None:
    data = judged(scenario_data("quickstart.yaml"))
    data["versions"]["v2"] = dict(data["versions"]["v1"])
    scenario = parse_scenario(data)
    outcomes = Counter(run(scenario, "canary", seed).outcome for seed in range(10))
    assert outcomes["promoted"] >= 9


def test_marginal_scores_hold_the_weight_then_roll_back() -> None:
    from simulator.scenario import CanaryConfig
    from simulator.strategies import CanaryStrategy
    from tests.strategies.observe import FakeMetrics, World, kinds

    rng = np.random.default_rng(5)

    class MarginalMetrics(FakeMetrics):
        def series(self, version: str, duration: float) -> MetricSeries:
            return series(version, rng, p99=0.4) if version == "v2" else series(version, rng)

    world = World(metrics=MarginalMetrics())
    strategy = CanaryStrategy(CanaryConfig(judge="mann_whitney", max_holds=2, monitoring_duration=300))
    history = []
    for _ in range(10):
        commands = strategy.step(world.observe())
        world.apply(commands)
        history.append(kinds(commands))
        if history[-1][-1] == "Finish":
            break
    holds = [h for h in history if h == ["Note", "Wait"]]
    assert len(holds) == 2  # two holds at 10 %, then the third marginal score rolls back
    assert history[-1][-2:] == ["Decide", "Finish"]
    assert world.weights == {"v1": 100.0}
