"""Drift statistics against scipy and a direct PSI computation; calibration; seed 001's rules."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from simulator.analysis.drift import (
    analyse_drift,
    categorical_drift,
    ks_test,
    numeric_drift,
    population_stability_index,
    psi_band,
)


def test_ks_equals_scipy() -> None:
    rng = np.random.default_rng(1)
    for n in (50, 5000):
        reference, current = rng.normal(0, 1, n), rng.normal(0.1, 1, n)
        expected = stats.ks_2samp(reference, current)
        assert ks_test(reference, current) == (pytest.approx(expected.statistic), pytest.approx(expected.pvalue))


def test_psi_equals_a_direct_computation() -> None:
    rng = np.random.default_rng(2)
    reference, current = rng.normal(0, 1, 20000), rng.normal(0.3, 1.2, 20000)
    edges = np.quantile(reference, [i / 10 for i in range(1, 10)])
    expected = 0.0
    for low, high in zip([-np.inf, *edges], [*edges, np.inf], strict=True):
        r = np.mean((reference > low) & (reference <= high))
        c = np.mean((current > low) & (current <= high))
        expected += (c - r) * np.log(c / r)
    assert population_stability_index(reference, current) == pytest.approx(expected, rel=1e-9)


def test_psi_bands() -> None:
    assert (psi_band(0.05), psi_band(0.15), psi_band(0.3)) == ("no shift", "moderate shift", "significant shift")


def test_no_drift_fires_at_the_test_level() -> None:
    """Independent windows from one distribution: the KS test at p < 0.05 fires in 5 % +- 2 % of windows."""
    rng = np.random.default_rng(3)
    windows = 2000
    fired = sum(numeric_drift("x", rng.normal(0, 1, 1000), rng.normal(0, 1, 1000)).detected for _ in range(windows))
    assert abs(fired / windows - 0.05) <= 0.02


def test_half_a_standard_deviation_is_found() -> None:
    rng = np.random.default_rng(4)
    windows = 200
    fired = sum(numeric_drift("x", rng.normal(0, 1, 1000), rng.normal(0.5, 1, 1000)).detected for _ in range(windows))
    assert fired / windows >= 0.95


def test_categorical_drift_uses_chi_square() -> None:
    rng = np.random.default_rng(5)
    reference = rng.choice(["a", "b", "c"], 5000, p=[0.5, 0.3, 0.2])
    current = rng.choice(["a", "b", "c"], 5000, p=[0.4, 0.3, 0.3])
    drift = categorical_drift("plan", reference, current)
    table = [[(reference == c).sum() for c in "abc"], [(current == c).sum() for c in "abc"]]
    assert drift.p_value == pytest.approx(stats.chi2_contingency(table, correction=False).pvalue)
    assert drift.detected and drift.severity == "high"


def test_seed_001_rules_and_actions() -> None:
    rng = np.random.default_rng(6)
    shifted = numeric_drift("tenure_days", rng.normal(0, 1, 3000), rng.normal(1.5, 1, 3000))
    report = analyse_drift(reference_accuracy=0.88, current_accuracy=0.70, reference_latency=0.02,
                           current_latency=0.021, features=(shifted,))
    assert report.performance_detected and report.performance_severity == "high"
    assert report.primary == "performance" and report.severity == "high"
    assert report.recommended_action == "Immediate model retraining recommended"
    assert report.drift_score == pytest.approx(shifted.psi) and report.drift_score > 0.2
    quiet = analyse_drift(reference_accuracy=None, current_accuracy=0.88, reference_latency=0.02,
                          current_latency=0.02)
    assert not quiet.detected and "no labels" in quiet.notes[0]
    assert quiet.recommended_action.startswith("Continue monitoring")
