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

import pytest
from statsmodels.stats.power import NormalIndPower
from statsmodels.stats.proportion import proportion_effectsize

from simulator import parse_scenario, run

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
