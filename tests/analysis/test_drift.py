"""Drift statistics against textbook formulas computed here; calibration; seed 001's rules."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest

from simulator.analysis.drift import (
    analyse_drift,
    categorical_drift,
    ks_test,
    numeric_drift,
    population_stability_index,
    psi_band,
)


def ks_distance(a: np.ndarray, b: np.ndarray) -> float:
    """Largest distance between the two empirical CDFs, over every observed value."""
    pooled = np.concatenate([a, b])
    cdf_a = np.searchsorted(np.sort(a), pooled, side="right") / len(a)
    cdf_b = np.searchsorted(np.sort(b), pooled, side="right") / len(b)
    return float(np.abs(cdf_a - cdf_b).max())


def ks_p_value_equal_sizes(distance: float, n: int) -> float:
    """Exact P(D >= distance) for two samples of n under no difference (Gnedenko and Korolyuk, 1951):

    P(D >= k/n) = 2 sum_{j >= 1} (-1)^(j+1) C(2n, n - jk) / C(2n, n), summed as exact fractions.
    """
    k = round(distance * n)
    total = sum(Fraction((-1) ** (j + 1) * math.comb(2 * n, n - j * k)) for j in range(1, n // k + 1))
    return float(2 * total / math.comb(2 * n, n))


@pytest.mark.parametrize(("n", "shift"), [
    (50, 0.5),
    (5000, 0.05),  # the drift monitor's default sample per window
])
def test_ks_statistic_and_p_value_are_the_exact_two_sided_test(n: int, shift: float) -> None:
    """Kills a one-sided KS (``alternative="greater"`` or ``"less"``) or an asymptotic p-value at these sizes."""
    rng = np.random.default_rng(1)
    reference, current = rng.normal(0, 1, n), rng.normal(shift, 1, n)

    statistic, p_value = ks_test(reference, current)

    distance = ks_distance(reference, current)
    expected = ks_p_value_equal_sizes(distance, n)
    assert 1e-6 < expected < 0.9  # an informative p-value, not a saturated one
    assert statistic == pytest.approx(distance, rel=1e-12)
    assert p_value == pytest.approx(expected, rel=1e-9, abs=0)


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


def pearson_chi_square_p_value(table: np.ndarray) -> float:
    """Pearson's chi-square test of homogeneity, by hand, without continuity correction.

    Expected counts are row total x column total / grand total. With 1 or 2
    degrees of freedom the chi-square survival function has a closed form:
    erfc(sqrt(x / 2)) and exp(-x / 2).
    """
    observed = np.asarray(table, dtype=float)
    expected = observed.sum(axis=1, keepdims=True) * observed.sum(axis=0, keepdims=True) / observed.sum()
    statistic = float(((observed - expected) ** 2 / expected).sum())
    degrees = (observed.shape[0] - 1) * (observed.shape[1] - 1)
    return {1: math.erfc(math.sqrt(statistic / 2)), 2: math.exp(-statistic / 2)}[degrees]


@pytest.mark.parametrize(("categories", "reference_shares", "current_shares"), [
    ("abc", [0.5, 0.3, 0.2], [0.4, 0.3, 0.3]),
    ("ab", [0.5, 0.5], [0.49, 0.51]),  # 2 x 2: where a continuity correction would change the p-value
])
def test_categorical_drift_uses_chi_square(categories: str, reference_shares: list[float],
                                           current_shares: list[float]) -> None:
    """Kills a test other than Pearson's uncorrected chi-square (Yates' correction, a G-test, goodness of fit)."""
    rng = np.random.default_rng(5)
    reference = rng.choice(list(categories), 5000, p=reference_shares)
    current = rng.choice(list(categories), 5000, p=current_shares)

    drift = categorical_drift("plan", reference, current)

    table = [[(reference == c).sum() for c in categories], [(current == c).sum() for c in categories]]
    expected = pearson_chi_square_p_value(np.array(table))
    assert drift.p_value == pytest.approx(expected, rel=1e-9, abs=0)  # (no absolute slack for tiny p-values)
    assert drift.detected is (expected < 0.05)
    assert drift.severity == ("high" if expected < 0.01 else "medium" if expected < 0.05 else "low")  # seed 001


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
