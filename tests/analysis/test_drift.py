"""Drift statistics against textbook formulas computed here; calibration; seed 001's rules."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest

from simulator.analysis.drift import (
    PSI_MIN_SAMPLES,
    analyse_drift,
    categorical_drift,
    categorical_psi,
    data_severity,
    ks_test,
    largest_psi,
    numeric_drift,
    population_stability_index,
    psi_band,
    psi_bins,
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


@pytest.mark.parametrize(("size", "bins"), [(20000, 10), (50, 2), (120, 6)])
def test_psi_equals_a_direct_computation(size: int, bins: int) -> None:
    """Quantile bins of the reference, one per 20 values up to 10, each count plus one half.

    Kills a fixed bin count, a floor instead of add-half smoothing, and bins of the current sample.
    """
    rng = np.random.default_rng(2)
    reference, current = rng.normal(0, 1, size), rng.normal(0.3, 1.2, size)
    edges = np.quantile(reference, [i / bins for i in range(1, bins)])
    expected = 0.0
    for low, high in zip([-np.inf, *edges], [*edges, np.inf], strict=True):
        r = (np.sum((reference > low) & (reference <= high)) + 0.5) / (size + 0.5 * bins)
        c = (np.sum((current > low) & (current <= high)) + 0.5) / (size + 0.5 * bins)
        expected += (c - r) * np.log(c / r)
    assert population_stability_index(reference, current) == pytest.approx(expected, rel=1e-9)


def test_psi_bands() -> None:
    assert (psi_band(0.05), psi_band(0.15), psi_band(0.3)) == ("no shift", "moderate shift", "significant shift")


def test_no_drift_fires_at_the_test_level() -> None:
    """Independent windows from one distribution: the KS test at p < 0.05 fires in 5 % +- 2 % of windows."""
    rng = np.random.default_rng(3)
    windows = 2000
    fired = sum(numeric_drift("x", rng.normal(0, 1, 1000), rng.normal(0, 1, 1000), tests=("ks",)).detected
                for _ in range(windows))
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
    assert report.drift_score is not None and report.drift_score > 0.2
    assert report.drift_score == pytest.approx(shifted.psi)
    quiet = analyse_drift(reference_accuracy=None, current_accuracy=0.88, reference_latency=0.02,
                          current_latency=0.02)
    assert not quiet.detected and "no labels" in quiet.notes[0]
    assert quiet.recommended_action.startswith("Continue monitoring")


# -- PSI on small samples ------------------------------------------------------------------------------


@pytest.mark.parametrize(("reference_size", "current_size", "bins"), [
    (5000, 5000, 10), (200, 200, 10), (199, 5000, 9), (5000, 60, 3), (50, 50, 2), (40, 40, 2),
    (39, 5000, None), (5000, 20, None),
])
def test_psi_bins_grow_with_the_smaller_sample(reference_size: int, current_size: int, bins: int | None) -> None:
    """One bin per 20 values of the smaller sample, 2 to 10; none below 40.

    Mutant tried: ``bins = 10`` whatever the sizes (this test, and the calibration tests, fail).
    """
    assert psi_bins(reference_size, current_size) == bins


def test_psi_below_the_minimum_sample_is_not_evaluated() -> None:
    """Fewer than 40 values on either side: ``None`` (not evaluated), not a number that could fail.

    Mutant tried: no minimum (2 bins at any size): a PSI of 39 values comes back as a number.
    """
    rng = np.random.default_rng(7)
    small, large = rng.normal(0, 1, PSI_MIN_SAMPLES - 1), rng.normal(3, 1, 5000)
    assert population_stability_index(large, small) is None
    assert population_stability_index(small, large) is None
    assert categorical_psi(np.array(["a", "b"] * 19 + ["a"]), np.array(["b"] * 500)) is None
    drift = numeric_drift("x", large, small, psi_threshold=0.2, tests=("psi",))
    assert drift.psi is None and not drift.detected and drift.severity == "none"
    report = analyse_drift(reference_accuracy=None, current_accuracy=None, reference_latency=None,
                           current_latency=None, features=(drift,))
    assert report.drift_score is None
    assert "PSI not evaluated for x: fewer than 40 values" in " ".join(report.notes)
    at_the_minimum = population_stability_index(large[:PSI_MIN_SAMPLES], rng.normal(0, 1, PSI_MIN_SAMPLES))
    assert at_the_minimum is not None and at_the_minimum > 1


def test_an_empty_bin_is_smoothed_by_half_a_count() -> None:
    """An empty current bin among 10 adds about ``0.1 * ln(0.1 * 2n)``, not the floor's ``0.1 * ln(1000)``.

    Mutant tried: the fixed 1e-4 floor (PSI 0.76 instead of 0.60 here).
    """
    reference = np.arange(1000, dtype=float)
    current = np.concatenate([np.arange(100, 1000, dtype=float), np.arange(100, 200, dtype=float)])
    counts = np.array([0, 200] + [100] * 8)
    r = (100 + 0.5) / (1000 + 5)
    c = (counts + 0.5) / (1000 + 5)
    psi = population_stability_index(reference, current)
    assert psi is not None and psi < 0.65
    assert psi == pytest.approx(float(np.sum((c - r) * np.log(c / r))))


def test_categorical_psi_pools_the_rarer_categories_on_small_samples() -> None:
    """50 values make 2 bins: the reference's most common category, and all the others pooled.

    Mutant tried: one bin per category at any size (the 3-category PSI, 0.39 here, not 0.0015).
    """
    reference = np.array(["eu"] * 25 + ["us"] * 15 + ["apac"] * 10)
    current = np.array(["eu"] * 26 + ["us"] * 4 + ["apac"] * 20)  # us and apac swap most of their share

    def share(count: int) -> float:
        return (count + 0.5) / (50 + 0.5 * 2)

    r, c = np.array([share(25), share(25)]), np.array([share(26), share(24)])
    assert categorical_psi(reference, current) == pytest.approx(float(np.sum((c - r) * np.log(c / r))), rel=1e-9)
    every = np.concatenate([reference, reference])
    one_bin_each = categorical_psi(every, np.concatenate([current, current]))  # 100 values: 3 bins
    assert one_bin_each is not None and one_bin_each > 0.3


def test_largest_psi_is_none_when_any_feature_was_not_evaluated() -> None:
    assert largest_psi([0.1, 0.4]) == 0.4
    assert largest_psi([0.1, None]) is None
    assert largest_psi([]) is None


# -- which tests run ---------------------------------------------------------------------------------


def test_a_test_not_listed_is_not_run_and_decides_nothing() -> None:
    """Mutant tried: run every test whatever ``tests`` lists (KS then decides a PSI-only check)."""
    rng = np.random.default_rng(8)
    reference, current = rng.normal(0, 1, 2000), rng.normal(0.2, 1, 2000)  # KS finds it; PSI about 0.04

    psi_only = numeric_drift("x", reference, current, psi_threshold=0.2, tests=("psi",))
    assert psi_only.tests == ("psi",) and psi_only.p_value is None and psi_only.statistic is None
    assert psi_only.wasserstein is None and psi_only.psi is not None and psi_only.psi < 0.2
    assert not psi_only.detected and psi_only.severity == "low"

    ks_only = numeric_drift("x", reference, rng.normal(3, 1, 2000), psi_threshold=0.2, tests=("ks",))
    assert ks_only.tests == ("ks",) and ks_only.psi is None and ks_only.flagged_by == ("ks",)

    everything = numeric_drift("x", reference, current, psi_threshold=0.2)
    assert everything.tests == ("ks", "psi", "wasserstein") and everything.flagged_by == ("ks",)

    categorical = categorical_drift("plan", np.array(["a", "b"] * 100), np.array(["a", "b"] * 100),
                                    tests=("psi", "wasserstein"))
    assert categorical.tests == ("psi",) and categorical.p_value is None  # Wasserstein does not apply

    with pytest.raises(ValueError, match="unknown drift test"):
        numeric_drift("x", reference, current, tests=("kolmogorov",))


def test_wasserstein_decides_in_reference_standard_deviations() -> None:
    """Distance 0.5 of a feature with standard deviation 2 is 0.25 deviations.

    Mutant tried: compare the raw distance with the threshold (0.5 > 0.3 would fire).
    """
    reference = np.linspace(-1, 1, 1001) * 2 * math.sqrt(3)  # uniform, standard deviation about 2
    drift = numeric_drift("x", reference, reference + 0.5, wasserstein_threshold=0.3, tests=("wasserstein",))
    assert drift.wasserstein == pytest.approx(0.5, rel=1e-9)
    assert not drift.detected
    drift = numeric_drift("x", reference, reference + 0.7, wasserstein_threshold=0.3, tests=("wasserstein",))
    assert drift.detected and drift.flagged_by == ("wasserstein",)
    assert drift.severity == "medium"  # no band of its own in seed 001: the band of a detected drift


# -- severity bands ----------------------------------------------------------------------------------


def banded_feature(name: str, offset: int, p_threshold: float) -> tuple:
    """50 evenly spaced values against the same shifted by ``offset - 0.5``: KS distance offset / 50."""
    reference = np.arange(50, dtype=float)
    drift = numeric_drift(name, reference, reference + offset - 0.5, p_threshold=p_threshold, tests=("ks",))
    return drift, ks_p_value_equal_sizes(offset / 50, 50)


@pytest.mark.parametrize(("offset", "band", "exact_p"), [
    (19, "high", 0.0013),  # adjusted 5 x p = 0.0066 < 0.01
    (17, "medium", 0.0058),  # adjusted 0.029: seed 001's 0.01 <= p < 0.05
    (15, "low", 0.0217),  # adjusted 0.11: no drift
])
def test_every_data_severity_band_is_reachable_with_five_features(offset: int, band: str, exact_p: float) -> None:
    """Five features, Bonferroni level 0.05 / 5 = 0.01 each; the seed's bands on the adjusted p-value.

    Mutant tried: high below ``min(0.01, level)`` and medium below the level (the rule before): with a
    level of 0.01 the medium band is empty and the p = 0.0058 feature comes out high.
    """
    level = 0.05 / 5
    drifted, p_value = banded_feature("x1", offset, level)
    assert drifted.p_value == pytest.approx(p_value, rel=1e-9) and p_value == pytest.approx(exact_p, abs=5e-5)
    quiet = tuple(banded_feature(f"x{i}", 1, level)[0] for i in range(2, 6))
    report = analyse_drift(reference_accuracy=0.9, current_accuracy=0.9, reference_latency=0.02,
                           current_latency=0.02, reference_error_rate=0.01, current_error_rate=0.01,
                           features=(drifted, *quiet))
    assert report.data_severity == band and report.severity == band
    assert report.data_detected is (band != "low")
    assert report.primary == ("data" if band != "low" else "none")
    assert report.recommended_action == ("Data pipeline investigation and model retraining required"
                                         if band == "high" else
                                         "Continue monitoring - consider retraining if drift persists")


def test_with_one_feature_the_bands_are_the_seeds() -> None:
    assert [data_severity(p, 0.05) for p in (0.009, 0.01, 0.049, 0.05)] == ["high", "medium", "medium", "low"]
    assert [data_severity(p, 0.01) for p in (0.0019, 0.002, 0.0099, 0.01)] == ["high", "medium", "medium", "low"]


@pytest.mark.parametrize(("accuracy_drift", "latency_drift", "band"), [
    (0.16, 0.0, "high"), (0.0, 0.51, "high"), (0.11, 0.0, "medium"), (0.0, 0.31, "medium"),
    (0.06, 0.0, "low"), (0.0, 0.0, "low"),
])
def test_every_performance_severity_band_is_reachable(accuracy_drift: float, latency_drift: float,
                                                      band: str) -> None:
    """Seed 001: high above 0.15 accuracy or 50 % latency, medium above 0.1 or 30 %."""
    report = analyse_drift(reference_accuracy=0.9, current_accuracy=0.9 - accuracy_drift, reference_latency=0.1,
                           current_latency=0.1 * (1 + latency_drift))
    assert report.performance_severity == band and report.severity == band
    assert report.performance_detected is (accuracy_drift > 0.05 or latency_drift > 0.2)


@pytest.mark.parametrize(("error_change", "band"), [(0.11, "high"), (0.08, "medium"), (0.06, "low"), (0.0, "low")])
def test_every_concept_severity_band_is_reachable(error_change: float, band: str) -> None:
    """Seed 001: high above a 0.1 error-rate change, medium above 0.075 (confidence is not simulated)."""
    report = analyse_drift(reference_accuracy=None, current_accuracy=None, reference_latency=None,
                           current_latency=None, reference_error_rate=0.01, current_error_rate=0.01 + error_change)
    assert report.concept_severity == band and report.severity == band
    assert report.concept_detected is (error_change > 0.05)


def test_nothing_measured_is_severity_none() -> None:
    report = analyse_drift(reference_accuracy=None, current_accuracy=None, reference_latency=None,
                           current_latency=None)
    assert report.severity == "none" and not report.detected and report.drift_score is None
