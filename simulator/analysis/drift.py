"""Drift statistics and the drift detector of seed 001.

Data drift between a reference sample and a current sample of one feature,
by the tests a monitor lists (``ks``, ``psi``, ``wasserstein``); a test not
listed is not run and decides nothing:

* ``ks``: the two-sample Kolmogorov-Smirnov test (:func:`scipy.stats.ks_2samp`,
  exact p-values for small samples and the asymptotic distribution for large
  ones — not the seed's hand-written approximation); for categorical
  features, Pearson's chi-square test of the category counts. Drift when the
  p-value is below the per-feature level;
* ``psi``: the population stability index over quantile bins of the
  reference (over categories for categorical features), with the usual
  bands: below 0.1 no shift, 0.1-0.2 moderate, above 0.2 significant. Drift
  when a PSI threshold is set and exceeded. See :func:`population_stability_index`
  for how it stays calibrated on small samples;
* ``wasserstein``: the earth mover's distance
  (:func:`scipy.stats.wasserstein_distance`) of numeric features; drift when
  a threshold (in the reference's standard deviations) is set and exceeded.

:func:`analyse_drift` applies seed 001's rules: performance drift when the
accuracy moves by more than 0.05 or mean latency by more than 20 %; data
drift when a feature drifts, with severity by the seed's p-value bands
(:func:`data_severity`); concept drift when mean confidence moves by more
than 0.1 or the error rate by more than 0.05; overall severity is the
highest, and the recommended action is the seed's.

:mod:`scipy.stats` (about 0.7 s to import) is imported by the tests that
use it, so a run that monitors no drift does not pay for it.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import asdict, dataclass, field
from typing import Literal

import numpy as np

__all__ = [
    "DRIFT_TESTS",
    "PSI_MAX_BINS",
    "PSI_MIN_SAMPLES",
    "PSI_SAMPLES_PER_BIN",
    "PSI_SMOOTHING",
    "FeatureDrift",
    "DriftReport",
    "ks_test",
    "psi_bins",
    "population_stability_index",
    "categorical_psi",
    "largest_psi",
    "categorical_drift",
    "numeric_drift",
    "data_severity",
    "analyse_drift",
    "psi_band",
]

Severity = Literal["none", "low", "medium", "high"]
_ORDER = {"none": 0, "low": 1, "medium": 2, "high": 3}

DRIFT_TESTS = ("ks", "psi", "wasserstein")
"""The data-drift tests a monitor may list."""

PSI_SAMPLES_PER_BIN = 20
"""Values of the smaller sample per PSI bin: the bin count grows with the samples."""
PSI_MAX_BINS = 10
"""The conventional ten bins, reached at 200 values per sample."""
PSI_MIN_SAMPLES = 2 * PSI_SAMPLES_PER_BIN
"""Values each sample needs for a PSI (two bins); below it PSI is not evaluated."""
PSI_SMOOTHING = 0.5
"""Added to every bin's count before shares are taken (Jeffreys' add-half), so no share is 0."""


def ks_test(reference: np.ndarray, current: np.ndarray) -> tuple[float, float]:
    """Two-sample KS statistic and p-value (scipy's exact or asymptotic distribution)."""
    from scipy import stats

    result = stats.ks_2samp(reference, current, method="auto")
    return float(result.statistic), float(result.pvalue)


def _psi_from_counts(reference_counts: np.ndarray, current_counts: np.ndarray) -> float:
    # Add-half smoothing: an empty bin gets a share of about 1 / (2n), which shrinks as the sample
    # grows, instead of a fixed floor whose logarithm dominates small samples.
    bins = len(reference_counts)
    reference_share = (reference_counts + PSI_SMOOTHING) / (reference_counts.sum() + PSI_SMOOTHING * bins)
    current_share = (current_counts + PSI_SMOOTHING) / (current_counts.sum() + PSI_SMOOTHING * bins)
    return float(np.sum((current_share - reference_share) * np.log(current_share / reference_share)))


def psi_bins(reference_size: int, current_size: int) -> int | None:
    """Quantile bins for PSI of samples of these sizes, or ``None`` when PSI is not evaluated.

    One bin per :data:`PSI_SAMPLES_PER_BIN` (20) values of the smaller
    sample, at most :data:`PSI_MAX_BINS` (10); ``None`` below
    :data:`PSI_MIN_SAMPLES` (40). With no drift, the PSI of two samples of
    n values over k bins is about ``(2 / n) * chi2(k - 1)``: ten bins at 50
    values put it above 0.2 most of the time. At 20 values per bin it
    exceeds 0.2 in at most about 5 % of checks, at any sample size.
    """
    smaller = min(reference_size, current_size)
    if smaller < PSI_MIN_SAMPLES:
        return None
    return min(PSI_MAX_BINS, smaller // PSI_SAMPLES_PER_BIN)


def population_stability_index(reference: np.ndarray, current: np.ndarray, bins: int | None = None) -> float | None:
    """PSI of ``current`` against ``reference`` over quantile bins of the reference (dimensionless).

    ``sum((c - r) * ln(c / r))`` over bins, where ``r`` and ``c`` are each
    sample's bin shares after adding :data:`PSI_SMOOTHING` (0.5) to every
    bin's count. ``bins`` defaults to :func:`psi_bins` of the sample sizes.
    ``None`` (not evaluated, never a pass or a fail) when either sample has
    fewer than :data:`PSI_MIN_SAMPLES` (40) values.
    """
    chosen = psi_bins(len(reference), len(current))
    if chosen is None:
        return None
    bins = chosen if bins is None else bins
    edges = np.quantile(reference, np.linspace(0, 1, bins + 1)[1:-1])
    reference_counts = np.bincount(np.searchsorted(edges, reference, side="right"), minlength=bins)
    current_counts = np.bincount(np.searchsorted(edges, current, side="right"), minlength=bins)
    return _psi_from_counts(reference_counts, current_counts)


def categorical_psi(reference: np.ndarray, current: np.ndarray) -> float | None:
    """PSI over categories, smoothed as :func:`population_stability_index` (dimensionless).

    Each category seen in either sample is a bin while there are enough
    values for it (:func:`psi_bins`); beyond that, the reference's most
    common categories keep their own bins and the rest share the last one.
    So small samples stay calibrated, at the cost of not telling the rarer
    categories apart. ``None`` when either sample has fewer than
    :data:`PSI_MIN_SAMPLES` (40) values.
    """
    bins = psi_bins(len(reference), len(current))
    if bins is None:
        return None
    categories = np.union1d(np.unique(reference), np.unique(current))
    reference_counts = np.array([(reference == c).sum() for c in categories])
    current_counts = np.array([(current == c).sum() for c in categories])
    if len(categories) > bins:
        # Most common first (a stable sort keeps ties in category order), then pool the tail.
        order = np.argsort(-reference_counts, kind="stable")
        reference_counts, current_counts = reference_counts[order], current_counts[order]
        reference_counts = np.append(reference_counts[:bins - 1], reference_counts[bins - 1:].sum())
        current_counts = np.append(current_counts[:bins - 1], current_counts[bins - 1:].sum())
    return _psi_from_counts(reference_counts, current_counts)


def psi_band(value: float) -> str:
    """The conventional reading of a PSI value."""
    return "no shift" if value < 0.1 else "moderate shift" if value <= 0.2 else "significant shift"


@dataclass(frozen=True, slots=True)
class FeatureDrift:
    """Drift of one feature between the reference and the current window.

    ``tests`` are the tests that ran (a listed test that does not apply,
    Wasserstein on a categorical feature, does not run); ``flagged_by`` those
    that found drift. A statistic is ``None`` when its test did not run, and
    ``psi`` also when a sample was too small for it (not evaluated).
    ``test`` names the hypothesis test behind ``ks``: Kolmogorov-Smirnov or
    chi-square.
    """

    feature: str
    kind: Literal["numeric", "categorical"]
    test: str
    statistic: float | None
    p_value: float | None
    psi: float | None
    wasserstein: float | None
    detected: bool
    severity: Severity
    tests: tuple[str, ...] = DRIFT_TESTS
    flagged_by: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, object]:
        """JSON-ready mapping."""
        return asdict(self)


def data_severity(p_value: float, p_threshold: float) -> Severity:
    """Seed 001's data-drift severity of a p-value, relative to the per-feature level ``p_threshold``.

    The seed reads ``high`` below 0.01, ``medium`` below 0.05 (its detection
    level), else ``low``. With m features tested at ``0.05 / m`` each
    (Bonferroni), the bands apply to the adjusted p-value ``m * p``: ``high``
    below a fifth of the per-feature level, ``medium`` below it. So every
    band stays reachable however many features there are.
    """
    return "high" if p_value < p_threshold / 5 else "medium" if p_value < p_threshold else "low"


def _verdict(p_value: float | None, p_threshold: float, flagged: list[str], evaluated: bool) -> tuple[bool, Severity]:
    """Whether a feature drifted and its severity, from what its tests found (``none``: no test evaluated)."""
    if not evaluated:
        return False, "none"
    severity: Severity = data_severity(p_value, p_threshold) if p_value is not None else "low"
    if flagged and _ORDER[severity] < _ORDER["medium"]:
        # PSI and Wasserstein have no bands in seed 001: a drift they alone find is the seed's
        # band for a detected drift.
        severity = "medium"
    return bool(flagged), severity


def numeric_drift(feature: str, reference: np.ndarray, current: np.ndarray, *, p_threshold: float = 0.05,
                  psi_threshold: float | None = None, wasserstein_threshold: float | None = None,
                  tests: Collection[str] = DRIFT_TESTS, bins: int | None = None) -> FeatureDrift:
    """The listed tests of a numeric feature; detected when a test that ran finds drift.

    ``ks``: KS p-value below ``p_threshold``; ``psi``: PSI above
    ``psi_threshold`` (when given; a PSI not evaluated finds nothing);
    ``wasserstein``: distance above ``wasserstein_threshold`` standard
    deviations of the reference (when given).
    """
    _check_tests(tests)
    statistic = p_value = psi = wasserstein = None
    flagged: list[str] = []
    if "ks" in tests:
        statistic, p_value = ks_test(reference, current)
        if p_value < p_threshold:
            flagged.append("ks")
    if "psi" in tests:
        psi = population_stability_index(reference, current, bins)
        if psi_threshold is not None and psi is not None and psi > psi_threshold:
            flagged.append("psi")
    if "wasserstein" in tests:
        from scipy import stats

        wasserstein = float(stats.wasserstein_distance(reference, current))
        spread = float(np.std(reference))
        if wasserstein_threshold is not None and wasserstein > wasserstein_threshold * spread:
            flagged.append("wasserstein")
    evaluated = p_value is not None or psi is not None or wasserstein is not None
    detected, severity = _verdict(p_value, p_threshold, flagged, evaluated)
    ran = tuple(test for test in DRIFT_TESTS if test in tests)
    return FeatureDrift(feature, "numeric", "Kolmogorov-Smirnov", statistic, p_value, psi, wasserstein, detected,
                        severity, ran, tuple(flagged))


def categorical_drift(feature: str, reference: np.ndarray, current: np.ndarray, *, p_threshold: float = 0.05,
                      psi_threshold: float | None = None, tests: Collection[str] = DRIFT_TESTS) -> FeatureDrift:
    """Chi-square test of category counts (``ks``) and PSI over categories (``psi``), as listed.

    Wasserstein does not apply to categories and does not run.
    """
    _check_tests(tests)
    statistic = p_value = psi = None
    flagged: list[str] = []
    if "ks" in tests:
        categories = np.union1d(np.unique(reference), np.unique(current))
        table = np.array([[(sample == c).sum() for c in categories] for sample in (reference, current)])
        table = table[:, table.sum(axis=0) > 0]
        if table.shape[1] < 2:
            statistic, p_value = 0.0, 1.0
        else:
            from scipy import stats

            result = stats.chi2_contingency(table, correction=False)
            statistic, p_value = float(result.statistic), float(result.pvalue)
        if p_value < p_threshold:
            flagged.append("ks")
    if "psi" in tests:
        psi = categorical_psi(reference, current)
        if psi_threshold is not None and psi is not None and psi > psi_threshold:
            flagged.append("psi")
    detected, severity = _verdict(p_value, p_threshold, flagged, p_value is not None or psi is not None)
    ran = tuple(test for test in ("ks", "psi") if test in tests)
    return FeatureDrift(feature, "categorical", "chi-square", statistic, p_value, psi, None, detected, severity,
                        ran, tuple(flagged))


def largest_psi(values: Collection[float | None]) -> float | None:
    """The largest of the features' PSIs (the ``driftScore``), or ``None`` (not evaluated).

    ``None`` without features or when any feature's PSI was not evaluated:
    the largest of the others could understate the drift.
    """
    if not values or any(value is None for value in values):
        return None
    return max(value for value in values if value is not None)


def _check_tests(tests: Collection[str]) -> None:
    unknown = sorted(set(tests) - set(DRIFT_TESTS))
    if unknown:
        raise ValueError(f"unknown drift test(s) {unknown}: expected some of {list(DRIFT_TESTS)}")


@dataclass(frozen=True)
class DriftReport:
    """Seed 001's drift analysis of one window against a reference window."""

    accuracy_drift: float | None
    latency_drift: float | None
    performance_detected: bool
    performance_severity: Severity
    features: tuple[FeatureDrift, ...]
    data_detected: bool
    data_severity: Severity
    confidence_drift: float | None
    error_pattern_change: float | None
    concept_detected: bool
    concept_severity: Severity
    severity: Severity
    primary: Literal["performance", "data", "concept", "none"]
    recommended_action: str
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def detected(self) -> bool:
        """Whether any kind of drift was detected."""
        return self.performance_detected or self.data_detected or self.concept_detected

    @property
    def drift_score(self) -> float | None:
        """The largest PSI over features (:func:`largest_psi`), ``None`` when not evaluated."""
        return largest_psi([feature.psi for feature in self.features])

    def to_dict(self) -> dict[str, object]:
        """JSON-ready mapping."""
        data = asdict(self)
        data["features"] = [feature.to_dict() for feature in self.features]
        data["detected"] = self.detected
        data["drift_score"] = self.drift_score
        return data


def _performance_severity(accuracy_drift: float, latency_drift: float) -> Severity:
    if accuracy_drift > 0.15 or latency_drift > 0.5:
        return "high"
    if accuracy_drift > 0.1 or latency_drift > 0.3:
        return "medium"
    return "low"


def _concept_severity(confidence_drift: float, error_change: float) -> Severity:
    if confidence_drift > 0.2 or error_change > 0.1:
        return "high"
    if confidence_drift > 0.15 or error_change > 0.075:
        return "medium"
    return "low"


def analyse_drift(
    *,
    reference_accuracy: float | None,
    current_accuracy: float | None,
    reference_latency: float | None,
    current_latency: float | None,
    reference_error_rate: float | None = None,
    current_error_rate: float | None = None,
    reference_confidence: float | None = None,
    current_confidence: float | None = None,
    features: tuple[FeatureDrift, ...] = (),
    accuracy_threshold: float = 0.05,
    latency_threshold: float = 0.2,
) -> DriftReport:
    """Seed 001's ``DetectDriftAsync`` on already measured windows (``None`` where not measured)."""
    notes: list[str] = []
    accuracy_drift = (
        abs(reference_accuracy - current_accuracy)
        if reference_accuracy is not None and current_accuracy is not None else None
    )
    if accuracy_drift is None:
        notes.append("accuracy drift not evaluated: no labels in one of the windows")
    latency_drift = (
        abs(reference_latency - current_latency) / reference_latency
        if reference_latency and current_latency is not None else None
    )
    performance_detected = (accuracy_drift or 0.0) > accuracy_threshold or (latency_drift or 0.0) > latency_threshold
    performance_severity: Severity = (
        _performance_severity(accuracy_drift or 0.0, latency_drift or 0.0)
        if accuracy_drift is not None or latency_drift is not None else "none"
    )
    data_detected = any(feature.detected for feature in features)
    data_band: Severity = max((f.severity for f in features), key=_ORDER.__getitem__, default="none")
    unevaluated = [f.feature for f in features if "psi" in f.tests and f.psi is None]
    if unevaluated:
        notes.append(f"PSI not evaluated for {', '.join(unevaluated)}: fewer than {PSI_MIN_SAMPLES} values "
                     "in a window")
    confidence_drift = (
        abs(reference_confidence - current_confidence)
        if reference_confidence is not None and current_confidence is not None else None
    )
    error_change = (
        abs(reference_error_rate - current_error_rate)
        if reference_error_rate is not None and current_error_rate is not None else None
    )
    concept_detected = (confidence_drift or 0.0) > 0.1 or (error_change or 0.0) > 0.05
    concept_severity: Severity = (
        _concept_severity(confidence_drift or 0.0, error_change or 0.0)
        if confidence_drift is not None or error_change is not None else "none"
    )
    severity = max((performance_severity, data_band, concept_severity), key=_ORDER.__getitem__)
    primary: Literal["performance", "data", "concept", "none"] = (
        "performance" if performance_detected else "data" if data_detected
        else "concept" if concept_detected else "none"
    )
    if performance_severity == "high":
        action = "Immediate model retraining recommended"
    elif data_band == "high":
        action = "Data pipeline investigation and model retraining required"
    elif concept_severity == "high":
        action = "Concept drift detected - review target variable and retrain model"
    else:
        action = "Continue monitoring - consider retraining if drift persists"
    return DriftReport(
        accuracy_drift=accuracy_drift, latency_drift=latency_drift, performance_detected=performance_detected,
        performance_severity=performance_severity, features=features, data_detected=data_detected,
        data_severity=data_band, confidence_drift=confidence_drift, error_pattern_change=error_change,
        concept_detected=concept_detected, concept_severity=concept_severity, severity=severity,
        primary=primary, recommended_action=action, notes=tuple(notes),
    )
