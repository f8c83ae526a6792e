"""A/B test statistics through the whole simulator, over many seeds.

* A/A (two identical versions): the fixed-horizon test checked once rejects
  in about alpha of runs; the same test checked at 10 looks rejects far more
  (theory: about 19 %); the sequential mSPRT checked at every look stays at
  or below alpha.
* Power: with the per-arm sample size statsmodels gives for 80 % power to
  tell 0.90 from 0.92, the fixed-horizon test finds the difference in about
  80 % of runs.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from statsmodels.stats.power import NormalIndPower
from statsmodels.stats.proportion import proportion_effectsize, proportions_ztest
from statsmodels.stats.weightstats import ttest_ind

from simulator import parse_scenario, run
from simulator.analysis.ab_stats import ArmSummary, proportion_test, sample_ratio_p_value, welch_test

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
        "monitoring": {"scrape_interval": 0.5, "labels": {"delay": 0, "fraction": 1.0}},
        "strategies": {"ab": {"strategy": "ABTesting", "minimumSamples": samples, "test": test, "looks": looks,
                              "checkInterval": 0.5, "significanceLevel": ALPHA}},
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
    assert analysis["result"]["test"].startswith("mSPRT") and analysis["result"]["winner"] == "candidate"
    assert analysis["result"]["ci_low"] > 0 and analysis["sample_ratio"]["mismatch"] is False
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
