"""The Mann-Whitney canary judge: p-values by counting pairs, the Hodges-Lehmann shift and its interval
against the allowance, at least 5 intervals per side, and a score that does not depend on how many metrics
were evaluated.

Tests that pin a rule name the mutant of ``simulator/analysis/judge.py`` they were seen to kill (each made in
a copy of the tree and run there).
"""

from __future__ import annotations

import itertools
import json
import math
from collections import Counter

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from simulator import parse_scenario, run
from simulator.analysis.judge import mann_whitney_judge
from simulator.observations import MetricSeries
from simulator.scenario import RollbackThresholds
from tests.helpers import scenario_data, until_rollout_end

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


def steady(version: str, *, n: int = 20, error=0.001, p50=0.04, p99=0.16, accuracy=0.92, spread=0.03,
           labelled=900.0) -> MetricSeries:
    """Interval values spread evenly (no randomness) around the given levels.

    Latency and accuracy vary by the factor exp(spread x u), error rate by 0.0005 x u, with u evenly spaced
    in [-1, 1]. Two such series differ by a pure shift on the judge's scales, and their pairwise
    differences are symmetric about it, so the Hodges-Lehmann estimate is the shift itself.
    """
    u = np.linspace(-1.0, 1.0, n)
    return MetricSeries(
        version=version, requests=np.full(n, 3000.0), error_rate=error + 0.0005 * u,
        latency_p50=p50 * np.exp(spread * u), latency_p99=p99 * np.exp(spread * u),
        labelled=np.full(n, labelled), accuracy=accuracy * np.exp(spread * u),
    )


def by_metric(result) -> dict:
    return {m.metric: m for m in result.metrics}


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


def enumerated_upper_tail(n: int, m: int) -> np.ndarray:
    """P(U >= k), k = 0 .. n m + 1, under no difference: over every equally likely assignment of the pooled
    ranks to the candidate's n values (no ties)."""
    counts = np.zeros(n * m + 2)
    for ranks in itertools.combinations(range(1, n + m + 1), n):
        counts[sum(ranks) - n * (n + 1) // 2] += 1
    return np.cumsum(counts[::-1])[::-1] / math.comb(n + m, n)


def scipy_upper_tail(n: int, m: int, count: int) -> float:
    """P(U >= count) under no difference, from scipy's exact Mann-Whitney distribution: the one-sided p-value
    of two samples built to have U = count (the i-th candidate value lies above k_i stable values)."""
    above, left = [], count
    for _ in range(n):
        above.append(min(m, left))
        left -= above[-1]
    x = np.array(above, dtype=float) + 0.25 * np.arange(n) / n
    y = np.arange(m) + 0.5
    assert u_statistic(x, y) == count
    return float(stats.mannwhitneyu(x, y, alternative="greater", method="exact").pvalue)


def critical_count(n: int, m: int, alpha: float, upper_tail) -> int:
    """The smallest c with P(U >= c) <= alpha (the test rejects when U >= c)."""
    return next(c for c in range(n * m // 2, n * m + 2) if c > n * m or upper_tail(c) <= alpha)


@pytest.mark.parametrize(("n", "m", "oracle"), [
    (6, 7, "enumeration"),  # a short window
    (20, 20, "scipy"),  # a 5 min window at 15 s scrapes
])
def test_hodges_lehmann_estimate_and_interval_from_the_pairwise_differences(n: int, m: int, oracle: str) -> None:
    """The estimate is the median of the n x m pairwise differences on the metric's scale (log for latency and
    accuracy); the interval's ends are the (nm - c + 1)-th and c-th smallest differences, c the exact
    Mann-Whitney critical count at alpha. The harmful end is the one-sided bound (low for latency, high for
    accuracy).

    Killed mutants: the bound one order statistic off (``differences[pairs - critical + 1]``); c taken at
    alpha / 2 (a two-sided 95 % interval).
    """
    rng = np.random.default_rng(11)
    candidate, stable = series("v2", rng, p99=0.17, accuracy=0.91, n=n), series("v1", rng, n=m)
    if oracle == "enumeration":
        tail = enumerated_upper_tail(n, m)
        c = critical_count(n, m, 0.05, lambda k: tail[k])
    else:
        c = critical_count(n, m, 0.05, lambda k: scipy_upper_tail(n, m, k))

    judged = by_metric(mann_whitney_judge(candidate, stable, RULES))

    for metric, harmful_end in (("latency_p99", 0), ("accuracy", 1)):
        pairwise = np.log(getattr(candidate, metric))[:, None] - np.log(getattr(stable, metric))[None, :]
        ordered = np.sort(pairwise.ravel())
        judgement = judged[metric]
        assert judgement.estimate == pytest.approx(float(np.median(ordered)), rel=1e-12)
        assert judgement.interval == pytest.approx((ordered[n * m - c], ordered[c - 1]), rel=1e-12)
        assert judgement.bound == judgement.interval[harmful_end]


@pytest.mark.parametrize(("n", "m"), [(6, 7), (20, 20)])
def test_p_value_at_the_allowance_is_the_mann_whitney_test_of_the_shifted_sample(n: int, m: int) -> None:
    """``p_value_allowance`` tests H0 "the shift is within the allowance": the candidate's log latency minus
    ln 1.5 against the stable's, by scipy's exact one-sided test; it is at most alpha exactly when the
    metric fails.

    Killed mutant: the allowance left out of the count (``differences > 0``).
    """
    allowance = math.log(1.5)
    for factor in (1.3, 1.5, 1.6, 1.75):
        rng = np.random.default_rng(12)
        candidate, stable = series("v2", rng, p99=0.16 * factor, n=n), series("v1", rng, n=m)
        judgement = by_metric(mann_whitney_judge(candidate, stable, RULES))["latency_p99"]
        expected = stats.mannwhitneyu(np.log(candidate.latency_p99) - allowance, np.log(stable.latency_p99),
                                      alternative="greater", method="exact").pvalue
        assert judgement.p_value_allowance == pytest.approx(expected, rel=1e-9)
        assert (judgement.verdict == "fail") == (judgement.p_value_allowance <= 0.05)


@pytest.mark.parametrize("intervals", [3, 4])
def test_fewer_than_five_intervals_are_inconclusive(intervals: int) -> None:
    """Even a candidate 5x slower is not judged on 3 or 4 intervals per side; on 5 it fails.

    Killed mutant: ``MINIMUM_INTERVALS = 3``.
    """
    result = mann_whitney_judge(steady("v2", n=intervals, p99=0.8), steady("v1", n=intervals), RULES)
    assert result.verdict == "inconclusive" and result.score is None
    assert not any(m.evaluated for m in result.metrics)
    assert by_metric(result)["latency_p99"].reason == (
        f"{intervals} candidate / {intervals} stable intervals with data, fewer than 5")

    assert mann_whitney_judge(steady("v2", n=5, p99=0.8), steady("v1", n=5), RULES).verdict == "fail"


@pytest.mark.parametrize(("intervals", "verdict"), [(3, "marginal"), (5, "fail")])
def test_why_three_intervals_are_too_few(intervals: int, verdict: str) -> None:
    """At 3 against 3 the smallest one-sided p-value is 1 / C(6, 3) = 0.05, so the test rejects only when
    every pair lies beyond the allowance: one slow stable interval saves a candidate 5x slower. At 5
    against 5 the same single pair within the allowance leaves p = 2 / 252 and the candidate fails."""
    candidate, stable = steady("v2", n=intervals, p99=0.8), steady("v1", n=intervals)
    # One candidate interval within x1.5 of the slowest stable interval, beyond it for the others.
    candidate.latency_p99[0] = 1.5 * stable.latency_p99.max() * 0.99

    result = mann_whitney_judge(candidate, stable, RULES, minimum_intervals=3)

    p99 = by_metric(result)["latency_p99"]
    assert p99.p_value_allowance == pytest.approx(2 / math.comb(2 * intervals, intervals))
    assert p99.verdict == verdict


def test_a_shift_well_beyond_the_allowance_fails() -> None:
    """x2.5 latency at 20 intervals: the one-sided 95 % bound is beyond ln 1.5, so p99 fails and rolls back."""
    rng = np.random.default_rng(6)
    result = mann_whitney_judge(series("v2", rng, p99=0.4), series("v1", rng), RULES)
    p99 = by_metric(result)["latency_p99"]
    assert p99.verdict == "fail" and p99.bound is not None and p99.bound > math.log(1.5)
    assert p99.p_value_allowance is not None and p99.p_value_allowance <= 0.05
    assert result.verdict == "fail" and result.score is not None and result.score < 70
    assert result.failed == ("latency_p99",)


def test_a_significant_but_allowed_difference_passes() -> None:
    """x1.25 latency is significant (p < 0.05) but within x1.5: the metric and the judge pass.

    Killed mutant: the bound tested against 0 instead of the allowance (``lower > 0``).
    """
    rng = np.random.default_rng(3)
    result = mann_whitney_judge(series("v2", rng, p50=0.05), series("v1", rng), RULES)  # x1.25 < x1.5
    p50 = by_metric(result)["latency_p50"]
    assert p50.p_value is not None and p50.p_value < 0.05
    assert p50.bound is not None and 0 < p50.bound < math.log(1.5)
    assert p50.verdict == "pass" and result.verdict == "pass"


def test_an_estimate_beyond_the_allowance_without_the_bound_holds() -> None:
    """x1.6 latency on noisy intervals: the estimate is beyond x1.5 but the one-sided bound is not, so the
    metric is marginal (hold, look again), not a failure.

    Killed mutant: a metric fails when its point estimate exceeds the allowance (the old gate).
    """
    result = mann_whitney_judge(steady("v2", p99=0.16 * 1.6, spread=0.3), steady("v1", spread=0.3), RULES)
    p99 = by_metric(result)["latency_p99"]
    assert p99.estimate == pytest.approx(math.log(1.6))
    assert p99.bound is not None and p99.bound < math.log(1.5) < p99.estimate
    assert p99.verdict == "marginal" and result.verdict == "marginal"
    assert result.score is not None and 70 <= result.score < 90


@pytest.mark.parametrize("seconds", [0.004, 0.16, 4.0])
@pytest.mark.parametrize(("ratio", "verdict"), [(1.4, "pass"), (1.6, "fail")])
def test_the_latency_allowance_is_a_ratio_at_any_level(seconds: float, ratio: float, verdict: str) -> None:
    """Latency is judged on the log scale, where latencyIncrease x1.5 is a shift of ln 1.5 whatever the
    stable level.

    Killed mutant: latency on the seconds scale with the allowance ``latencyIncrease - 1`` (seconds).
    """
    result = mann_whitney_judge(steady("v2", p99=seconds * ratio), steady("v1", p99=seconds), RULES)
    p99 = by_metric(result)["latency_p99"]
    assert p99.scale == "log_ratio" and p99.allowance == pytest.approx(math.log(1.5))
    assert p99.estimate == pytest.approx(math.log(ratio))
    assert p99.verdict == verdict


@pytest.mark.parametrize("level", [0.5, 0.92])
@pytest.mark.parametrize(("ratio", "verdict"), [(0.96, "pass"), (0.93, "fail")])
def test_the_accuracy_allowance_is_a_relative_drop(level: float, ratio: float, verdict: str) -> None:
    """accuracyDrop 0.05 is relative: a 4 % drop passes and a 7 % drop fails at accuracy 0.5 as at 0.92.

    Killed mutant: accuracy on the absolute scale with the allowance ``accuracyDrop`` (0.035 < 0.05 at 0.5).
    """
    result = mann_whitney_judge(steady("v2", accuracy=level * ratio), steady("v1", accuracy=level), RULES)
    accuracy = by_metric(result)["accuracy"]
    assert accuracy.harmful == "decrease" and accuracy.allowance == pytest.approx(math.log(0.95))
    assert accuracy.verdict == verdict


@pytest.mark.parametrize("stable_rate", [0.001, 0.05])
@pytest.mark.parametrize(("increase", "verdict"), [(0.008, "pass"), (0.012, "fail")])
def test_the_error_rate_allowance_is_absolute(stable_rate: float, increase: float, verdict: str) -> None:
    """errorRateIncrease 0.01 is in percentage points, at any stable error rate."""
    result = mann_whitney_judge(steady("v2", error=stable_rate + increase), steady("v1", error=stable_rate), RULES)
    errors = by_metric(result)["error_rate"]
    assert errors.scale == "difference" and errors.estimate == pytest.approx(increase)
    assert errors.verdict == verdict


ERRORS_AND_LATENCY = RollbackThresholds(latency_increase=1.5, error_rate_increase=0.01)


@pytest.mark.parametrize(("p99_ratio", "spread", "verdict"), [
    (1.0, 0.03, "pass"),
    (1.6, 0.3, "marginal"),
    (2.5, 0.03, "fail"),
])
def test_the_score_does_not_depend_on_how_many_metrics_were_evaluated(p99_ratio: float, spread: float,
                                                                      verdict: str) -> None:
    """The same p99 evidence gives the same score and verdict among 3 metrics (no accuracy rule) as among 4.
    The share of passing metrics put one failure at 66.7 (roll back) among 3 and at 75 (hold) among 4.

    Killed mutants: score = share of evaluated metrics not failing; score = mean of the metric scores.
    """
    candidate = steady("v2", p99=0.16 * p99_ratio, spread=spread)
    stable = steady("v1", spread=spread)
    four = mann_whitney_judge(candidate, stable, RULES)
    three = mann_whitney_judge(candidate, stable, ERRORS_AND_LATENCY)
    assert [len(four.metrics), len(three.metrics)] == [4, 3] and three.unchecked == ("accuracy",)
    assert four.score == three.score == by_metric(four)["latency_p99"].score
    assert four.verdict == three.verdict == verdict


def test_seed_003_bands_on_the_score() -> None:
    """Moving the bands moves the verdicts: the marginal p99 (estimate beyond, bound within) proceeds with
    passScore at its score and rolls back with marginalScore above it."""
    candidate, stable = steady("v2", p99=0.16 * 1.6, spread=0.3), steady("v1", spread=0.3)
    score = mann_whitney_judge(candidate, stable, RULES).score
    assert score is not None and 70 <= score < 90
    assert mann_whitney_judge(candidate, stable, RULES, pass_score=score).verdict == "pass"
    assert mann_whitney_judge(candidate, stable, RULES, marginal_score=score + 1).verdict == "fail"


def slowed(candidate: MetricSeries, log_ratio: float) -> MetricSeries:
    """``candidate`` with its p99 multiplied by exp(log_ratio)."""
    fields = {k: getattr(candidate, k) for k in candidate.__slots__}
    return MetricSeries(**{**fields, "latency_p99": candidate.latency_p99 * math.exp(log_ratio)})


@pytest.mark.slow
def test_the_score_is_continuous_in_the_evidence() -> None:
    """Slowing the candidate step by step (x1.002 at a time, from x0.9 to x3.3) lowers its score through
    pass, marginal and fail, never up; and at each cut the score has no jump: narrowed down to a slow-down of
    1e-9 across the cut, the score on either side differs by less than 0.01 points.

    Killed mutant: a passing metric scores 100 whatever its margin (a jump from 100 to 90 at the allowance).
    """
    rng = np.random.default_rng(8)
    stable, candidate = series("v1", rng, p99=0.16), series("v2", rng, p99=0.16)

    def p99(log_ratio: float):
        return by_metric(mann_whitney_judge(slowed(candidate, log_ratio), stable, RULES))["latency_p99"]

    grid = np.arange(-0.1, 1.2, 0.002)
    judged = [p99(log_ratio) for log_ratio in grid]
    assert [j.verdict for j in judged] == sorted((j.verdict for j in judged), key=["pass", "marginal", "fail"].index)
    assert {j.verdict for j in judged} == {"pass", "marginal", "fail"}
    assert np.all(np.diff([j.score for j in judged]) <= 0)

    for i in np.flatnonzero([a.verdict != b.verdict for a, b in itertools.pairwise(judged)]):
        left, right = grid[i], grid[i + 1]
        while right - left > 1e-9:
            middle = (left + right) / 2
            left, right = (middle, right) if p99(middle).verdict == judged[i].verdict else (left, middle)
        assert p99(left).score - p99(right).score < 0.01


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 2**32 - 1), st.floats(-0.5, 1.5), st.floats(0.0, 0.5))
def test_a_slower_candidate_never_scores_higher(seed: int, log_ratio: float, step: float) -> None:
    rng = np.random.default_rng(seed)
    stable, candidate = series("v1", rng), series("v2", rng)
    faster, slower = (mann_whitney_judge(slowed(candidate, r), stable, RULES) for r in (log_ratio, log_ratio + step))
    assert by_metric(faster)["latency_p99"].score >= by_metric(slower)["latency_p99"].score
    assert faster.score is not None and slower.score is not None and faster.score >= slower.score


def test_a_metric_without_labels_is_inconclusive_and_never_passes() -> None:
    """Too few labels: accuracy is inconclusive, and so is the judge while no other metric fails; a failing
    metric still fails the judge.

    Killed mutant: the verdict taken from the evaluated metrics alone (accuracy left out passes).
    """
    no_labels = steady("v2", labelled=0.0)
    result = mann_whitney_judge(no_labels, steady("v1"), RULES)
    assert by_metric(result)["accuracy"].reason == "0 candidate / 18000 stable labels, fewer than 100"
    assert result.inconclusive == ("accuracy",) and result.verdict == "inconclusive"
    assert result.score == 100.0  # the evaluated metrics' score is still reported
    slow_without_labels = steady("v2", p99=0.4, labelled=0.0)
    assert mann_whitney_judge(slow_without_labels, steady("v1"), RULES).verdict == "fail"


def test_event_data_is_json() -> None:
    """``to_dict`` carries every metric's figures; infinite bounds (no bound at this alpha) become null."""
    result = mann_whitney_judge(steady("v2", n=5, p99=0.4), steady("v1", n=5), RULES, alpha=0.001)
    data = json.loads(json.dumps(result.to_dict(), allow_nan=False))
    assert data["verdict"] == result.verdict and data["alpha"] == 0.001
    p99 = next(m for m in data["metrics"] if m["metric"] == "latency_p99")
    assert p99["bound"] is None and p99["intervals"] == {"candidate": 5, "stable": 5}
    assert set(p99) >= {"estimate", "interval", "allowance", "p_value", "p_value_allowance", "score", "reason"}


@pytest.mark.parametrize(("keywords", "quoted"), [
    ({"alpha": 0.5}, "got 0.5"),
    ({"marginal_score": 95.0}, "marginal_score 95.0"),
    ({"minimum_intervals": 1}, "got 1"),
])
def test_bad_levels_are_refused(keywords: dict, quoted: str) -> None:
    with pytest.raises(ValueError, match=quoted):
        mann_whitney_judge(steady("v2"), steady("v1"), RULES, **keywords)


def judged(data: dict) -> dict:
    data["strategies"] = {"canary": {**data["strategies"]["canary"], "judge": "mann_whitney"}}
    data.pop("expect", None)
    return data


def test_judged_canary_catches_the_slow_candidate() -> None:
    scenario = parse_scenario(judged(scenario_data("quickstart.yaml")))
    outcomes = Counter(run(until_rollout_end(scenario), "canary", seed).outcome for seed in range(10))
    assert outcomes["rolled_back"] == 10


@pytest.mark.slow
def test_judged_canary_promotes_a_good_candidate() -> None:
    data = judged(scenario_data("quickstart.yaml"))
    data["versions"]["v2"] = dict(data["versions"]["v1"])
    scenario = parse_scenario(data)
    outcomes = Counter(run(until_rollout_end(scenario), "canary", seed).outcome for seed in range(10))
    assert outcomes["promoted"] >= 9


def test_marginal_scores_hold_the_weight_then_roll_back() -> None:
    """A candidate whose p99 estimate is beyond x1.5 without its bound holds its weight maxHolds times, then
    rolls back."""
    from simulator.commands import Note
    from simulator.scenario import CanaryConfig
    from simulator.strategies import CanaryStrategy
    from tests.strategies.observe import FakeMetrics, World, kinds

    class MarginalMetrics(FakeMetrics):
        def series(self, version: str, duration: float) -> MetricSeries:
            return steady(version, p99=0.16 * 1.6, spread=0.3) if version == "v2" else steady(version, spread=0.3)

    world = World(metrics=MarginalMetrics())
    strategy = CanaryStrategy(CanaryConfig(judge="mann_whitney", max_holds=2, monitoring_duration=300))
    history, verdicts = [], []
    for _ in range(100):
        commands = strategy.step(world.observe())
        world.apply(commands)
        history.append(kinds(commands))
        verdicts += [c.data.get("verdict") for c in commands if isinstance(c, Note) and not c.data.get("in_step")]
        if history[-1][-1] == "Finish":
            break
    assert verdicts == ["marginal", "marginal"]  # two holds at 10 %, then the third marginal score rolls back
    assert history[-1][-2:] == ["Decide", "Finish"]
    assert world.weights == {"v1": 100.0}
