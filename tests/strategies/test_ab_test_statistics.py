"""A/B test statistics through the whole simulator, over many seeds.

* A/A (two identical versions): the fixed-horizon test checked once rejects
  in about alpha of runs; the same test checked at 10 looks rejects far more
  (theory: about 19 %); the sequential mSPRT checked at every look stays at
  or below alpha.
* Power: with the per-arm sample size statsmodels gives for 80 % power to
  tell 0.90 from 0.92, the fixed-horizon test finds the difference in about
  80 % of runs.
* The mSPRT's confidence sequence: its closed form against the mixture
  likelihood ratio integrated numerically (``scipy.integrate``), and its
  running intersection over looks.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import integrate, optimize, stats
from statsmodels.stats.power import NormalIndPower
from statsmodels.stats.proportion import proportion_effectsize, proportions_ztest
from statsmodels.stats.weightstats import CompareMeans, DescrStatsW, ttest_ind

from simulator import load_scenario, parse_scenario, run
from simulator.analysis.ab_stats import (
    ArmSummary,
    msprt_interval,
    msprt_p_value,
    proportion_test,
    sample_ratio_p_value,
    sequential_test,
    welch_test,
)
from simulator.world.monitoring import interval_mean_variance
from tests.helpers import SCENARIOS

ALPHA = 0.05


def experiment(test: str, samples: int, accuracy_b: float = 0.9, looks: int = 10):
    """A small, fast world: 400 requests/s, every prediction labelled at once, looks every 0.5 s."""
    return parse_scenario({
        "name": "a-a",
        "horizon": "1h",
        "traffic": {"rate": 400},
        "service": {"replicas": 4, "concurrency": 8, "timeout": "2s"},
        "versions": {
            "a": {"accuracy": 0.9, "latency": {"dist": "constant", "value": "10ms"}, "startup": 0},
            "b": {"accuracy": accuracy_b, "latency": {"dist": "constant", "value": "10ms"}, "startup": 0},
        },
        "stable": "a",
        "candidate": "b",
        "monitoring": {"scrape_interval": "500ms", "labels": {"delay": 0, "fraction": 1.0}},
        "strategies": {"ab": {"strategy": "ABTesting", "minimumSamples": samples, "test": test, "looks": looks,
                              "checkInterval": "500ms", "significanceLevel": ALPHA}},
        "simulation": {"until": "rollout_end"},  # the test's verdict only: no need to simulate the aftermath
    })


def rejection_rate(test: str, seeds: int, samples: int = 2000, accuracy_b: float = 0.9) -> float:
    scenario = experiment(test, samples, accuracy_b)
    rejected = 0
    for seed in range(seeds):
        analysis = run(scenario, "ab", seed).analysis
        assert analysis is not None and analysis["plan"] == test
        rejected += bool(analysis["result"]["significant"])
    return rejected / seeds


SEEDS = 2000  # binomial standard error at 5 %: 0.49 points, so +-1.5 points is 3 standard errors


@pytest.mark.slow
def test_a_a_fixed_horizon_checked_once_keeps_its_level() -> None:
    assert abs(rejection_rate("fixed_horizon", SEEDS) - ALPHA) <= 0.015


@pytest.mark.slow
def test_a_a_peeking_at_ten_looks_inflates_false_positives() -> None:
    rate = rejection_rate("peeking", SEEDS // 2)
    assert 0.13 <= rate <= 0.25  # theory for 10 equally spaced looks: about 0.19


@pytest.mark.slow
def test_a_a_sequential_test_stays_valid_at_every_look() -> None:
    rate = rejection_rate("sequential", SEEDS)
    assert rate <= ALPHA + 2 * math.sqrt(ALPHA * (1 - ALPHA) / SEEDS)


@pytest.mark.slow
def test_power_matches_statsmodels() -> None:
    effect = proportion_effectsize(0.92, 0.90)
    per_arm = math.ceil(NormalIndPower().solve_power(effect_size=abs(effect), alpha=ALPHA, power=0.8, ratio=1.0))
    seeds = 600  # standard error of 80 %: 1.6 points
    power = rejection_rate("fixed_horizon", seeds, samples=per_arm, accuracy_b=0.92)
    assert abs(power - 0.8) <= 0.05, (per_arm, power)


def test_report_says_which_test_and_what_it_found() -> None:
    result = run(experiment("sequential", 2000, accuracy_b=0.95), "ab", 1)
    assert result.outcome == "promoted"
    analysis = result.analysis
    assert analysis is not None
    assert analysis["result"]["test"].startswith("mSPRT") and analysis["result"]["winner"] == "candidate"
    assert analysis["result"]["ci_low"] > 0 and analysis["sample_ratio"]["mismatch"] is False
    assert analysis["result"]["interval"] == "confidence sequence" and "95% confidence sequence" in result.reason
    assert "candidate wins: accuracy" in result.reason and "mSPRT" in result.reason
    users = analysis["sample_ratio"]["users"]
    assert users["a"] > 0 and users["b"] > 0


def test_p_values_agree_with_statsmodels() -> None:
    """Each fixed-horizon p-value against statsmodels (the simulator computes them with scipy).

    Kills a chi-square with Yates' correction, a pooled-variance t-test in
    place of Welch's, and a sample-ratio check against the wrong split.
    """
    # Accuracy, 9,020 of 10,000 against 9,100 of 10,000: the uncorrected 2x2 chi-square is the
    # two-proportion z-test with the pooled rate.
    stable = ArmSummary(n=10_000, mean=0.902, variance=0.902 * 0.098)
    candidate = ArmSummary(n=10_000, mean=0.910, variance=0.910 * 0.090)
    _, expected = proportions_ztest([9_100, 9_020], [10_000, 10_000])
    assert 0.01 < expected < 0.2
    assert proportion_test("accuracy", stable, candidate, ALPHA).p_value == pytest.approx(expected, rel=1e-9)

    # Latency with unequal sizes and spreads, where Welch's test and the pooled t-test differ.
    rng = np.random.default_rng(7)
    stable_latency, candidate_latency = rng.lognormal(np.log(0.040), 0.4, 400), rng.lognormal(np.log(0.042), 0.8, 150)

    def summary(sample: np.ndarray) -> ArmSummary:
        return ArmSummary(n=len(sample), mean=float(sample.mean()), variance=float(sample.var(ddof=1)))

    _, expected, _ = ttest_ind(candidate_latency, stable_latency, usevar="unequal")
    assert 0.01 < expected < 0.9
    outcome = welch_test("latency", summary(stable_latency), summary(candidate_latency), ALPHA)
    assert outcome.p_value == pytest.approx(expected, rel=1e-9)

    # Users per arm, 6,880 and 3,120 against a 70/30 split: the two-category goodness of fit is the
    # one-proportion z-test with the null variance.
    _, expected = proportions_ztest(3_120, 10_000, value=0.3, prop_var=0.3)
    assert 0.001 < expected < 0.05
    assert sample_ratio_p_value(6_880, 3_120, 0.3) == pytest.approx(expected, rel=1e-9)


def mixture_likelihood_ratio(effect: float, variance: float, mixing: float, null_effect: float) -> float:
    """The mSPRT statistic by its definition: the likelihood of the estimate averaged over N(d0, m) effects,
    over its likelihood at d0, integrated numerically."""
    at_null = float(stats.norm.logpdf(effect, null_effect, math.sqrt(variance)))

    def integrand(theta: float) -> float:
        ratio = float(stats.norm.logpdf(effect, theta, math.sqrt(variance))) - at_null
        return math.exp(ratio) * float(stats.norm.pdf(theta, null_effect, math.sqrt(mixing)))

    spread = 12 * math.sqrt(mixing)
    lower, upper = null_effect - spread, null_effect + spread
    breaks = [point for point in (effect,) if lower < point < upper]
    average, _ = integrate.quad(integrand, lower, upper, points=breaks or None, limit=200)
    return average


@pytest.mark.parametrize(("n", "alpha", "tau"), [(400, 0.05, 0.1), (5_000, 0.05, 0.1), (2_000, 0.01, 1.0)])
def test_confidence_sequence_is_the_set_of_effects_the_msprt_does_not_reject(n: int, alpha: float, tau: float) -> None:
    """The closed-form sequence ends where the numerically integrated mixture ratio reaches 1 / alpha.

    Kills a radius without the ``ln((V + m) / V)`` term and the fixed-horizon ``1.96 sqrt(V)``.
    """
    stable = ArmSummary(n=n, mean=0.90, variance=0.90 * 0.10)
    candidate = ArmSummary(n=n, mean=0.92, variance=0.92 * 0.08)
    variance = stable.variance / n + candidate.variance / n
    mixing = tau**2 * (stable.variance + candidate.variance) / 2
    low, high = msprt_interval(stable, candidate, tau, alpha)
    assert (low + high) / 2 == pytest.approx(0.02)

    def excess(null_effect: float) -> float:
        return math.log(mixture_likelihood_ratio(0.02, variance, mixing, null_effect) * alpha)

    width = 10 * math.sqrt(variance)
    assert low == pytest.approx(optimize.brentq(excess, 0.02 - width, 0.02), rel=1e-6)
    assert high == pytest.approx(optimize.brentq(excess, 0.02, 0.02 + width), rel=1e-6)
    for null_effect, inside in [(low + 1e-6, True), (high - 1e-6, True), (low - 1e-6, False), (high + 1e-6, False)]:
        assert (msprt_p_value(stable, candidate, tau, null_effect) > alpha) is inside
    assert high - low > 2 * float(stats.norm.ppf(1 - alpha / 2)) * math.sqrt(variance)  # wider than fixed horizon


def test_sequential_test_keeps_the_running_minimum_p_and_the_running_intersection() -> None:
    """Kills a sequence reported from the last look alone (it may widen again) and a p-value that rises."""
    looks = [ArmSummary(n=n, mean=mean, variance=mean * (1 - mean)) for n, mean in
             [(5_000, 0.935), (10_000, 0.925), (20_000, 0.918)]]
    stable = [ArmSummary(n=look.n, mean=0.90, variance=0.09) for look in looks]
    outcome = None
    lows, highs, p_values = [], [], []
    for stable_arm, candidate_arm in zip(stable, looks, strict=True):
        outcome = sequential_test("accuracy", stable_arm, candidate_arm, 0.05, 0.1, outcome)
        lows.append(outcome.ci_low)
        highs.append(outcome.ci_high)
        p_values.append(outcome.p_value)
        alone_low, alone_high = msprt_interval(stable_arm, candidate_arm, 0.1, 0.05)
        assert alone_low <= outcome.ci_low and outcome.ci_high <= alone_high
        assert outcome.p_value <= msprt_p_value(stable_arm, candidate_arm, 0.1)
    assert lows == sorted(lows) and highs == sorted(highs, reverse=True)
    assert p_values == sorted(p_values, reverse=True)
    assert outcome is not None and outcome.interval == "confidence sequence" and outcome.significant
    # Rejected at alpha exactly when zero is outside the sequence.
    assert (outcome.ci_low > 0) == outcome.significant


@pytest.mark.slow
@pytest.mark.parametrize("label", ["ab", "ab-sequential"])
def test_a_more_accurate_candidate_that_fails_4_percent_of_requests_is_not_shipped(label: str) -> None:
    """Issue 10's acceptance, through the simulator on the bundled scenario: +3 points of accuracy, 4 % of
    requests failed. Every seed keeps stable on the error-rate guardrail; without guardrails every seed ships.

    Mutant killed: guardrail failures ignored (all five seeds promoted).
    """
    scenario = load_scenario(SCENARIOS / "ab-guardrails.yaml")
    for seed in range(5):
        result = run(scenario, label, seed)
        assert result.outcome == "rolled_back", result.reason
        assert result.analysis is not None
        assert result.reason.startswith("guardrail error_rate: effect +0.0")
        # Stopped at the first look (the sequential test's first of ten), where the fixed-horizon primary
        # alone would have shipped it.
        assert result.analysis["looks"] == 1
        if label == "ab":
            assert result.analysis["result"]["winner"] == "candidate"
        assert result.versions["v2"].requests < result.versions["v1"].requests
        assert run(scenario, "ab-accuracy-only", seed).outcome == "promoted"


def test_constant_latencies_that_differ_only_by_rounding_are_not_a_difference() -> None:
    """Two arms serving a constant 10 ms: their means, sums over thousands of requests, differ in the 17th
    digit and neither has any spread. Kills the exact ``effect == 0`` check, which called that significant
    and failed the latency guardrail in half of such A/A runs."""
    stable = ArmSummary(n=2_170, mean=0.009999999999999964, variance=0.0)
    candidate = ArmSummary(n=2_036, mean=0.009999999999999967, variance=0.0)
    assert welch_test("latency", stable, candidate, ALPHA).p_value == 1.0
    slower = ArmSummary(n=2_036, mean=0.011, variance=0.0)
    outcome = welch_test("latency", stable, slower, ALPHA)
    assert outcome.p_value == 0.0 and outcome.winner == "stable"


def test_welch_on_scrape_intervals_is_welch_on_the_interval_means() -> None:
    """With the same count in every interval, the mean's cluster-robust variance is the variance of the
    interval means over their number: Welch's test of the arms then is Welch's test of their interval
    means (statsmodels), p-value and interval, with intervals - 1 degrees of freedom per arm.

    Kills the request count's n - 1 degrees of freedom in place of the intervals' (p 0.107 instead of 0.133).
    """
    rng = np.random.default_rng(11)

    def arm(intervals: int, level: float) -> tuple[ArmSummary, np.ndarray]:
        per_interval = 40
        drift = rng.normal(0.0, 0.01, intervals)  # each interval's queue
        latency = rng.lognormal(np.log(level), 0.5, (intervals, per_interval)) + drift[:, None]
        counts, sums = np.full(intervals, per_interval), latency.sum(axis=1)
        variance, groups = interval_mean_variance(counts, sums)
        assert variance is not None and groups == intervals
        n = intervals * per_interval
        return ArmSummary(n=n, mean=float(latency.mean()), variance=n * variance,
                          degrees_of_freedom=intervals - 1), latency.mean(axis=1)

    stable, stable_means = arm(12, 0.050)
    candidate, candidate_means = arm(7, 0.058)
    outcome = welch_test("latency", stable, candidate, ALPHA)
    _, expected, _ = ttest_ind(candidate_means, stable_means, usevar="unequal")
    assert 0.01 < expected < 0.2
    assert outcome.p_value == pytest.approx(expected, rel=1e-9)
    low, high = CompareMeans(DescrStatsW(candidate_means), DescrStatsW(stable_means)).tconfint_diff(
        alpha=ALPHA, usevar="unequal")
    assert (outcome.ci_low, outcome.ci_high) == (pytest.approx(low, rel=1e-9), pytest.approx(high, rel=1e-9))


@pytest.mark.parametrize("degrees_of_freedom", [0, None])
def test_without_a_variance_estimate_latency_is_not_tested(degrees_of_freedom: float | None) -> None:
    """One interval (no degree of freedom), or one request: p = 1 and an unbounded interval, and the
    sequential test likewise."""
    n = 500 if degrees_of_freedom == 0 else 1
    stable = ArmSummary(n=n, mean=0.05, variance=math.nan if n > 1 else 0.0, degrees_of_freedom=degrees_of_freedom)
    candidate = ArmSummary(n=500, mean=0.08, variance=0.5, degrees_of_freedom=9)
    assert not stable.testable and candidate.testable
    outcome = welch_test("latency", stable, candidate, ALPHA)
    assert outcome.p_value == 1.0 and (outcome.ci_low, outcome.ci_high) == (-math.inf, math.inf)
    assert msprt_p_value(stable, candidate, 0.1) == 1.0
    assert msprt_interval(stable, candidate, 0.1, ALPHA) == (-math.inf, math.inf)
