"""Drift statistics and the drift detector of seed 001.

Data drift between a reference sample and a current sample of one feature:

* two-sample Kolmogorov-Smirnov test (:func:`scipy.stats.ks_2samp`, exact
  p-values for small samples and the asymptotic distribution for large ones —
  not the seed's hand-written approximation);
* population stability index (PSI) over the reference's quantile bins, with
  the usual bands: below 0.1 no shift, 0.1-0.2 moderate, above 0.2 significant;
* Wasserstein (earth mover's) distance (:func:`scipy.stats.wasserstein_distance`);
* for categorical features, the chi-square test of the category counts and
  PSI over categories.

:func:`analyse_drift` applies seed 001's rules: performance drift when the
accuracy moves by more than 0.05 or mean latency by more than 20 %; data
drift when a test's p-value is below 0.05 (severity high below 0.01); concept
drift when mean confidence moves by more than 0.1 or the error rate by more
than 0.05; overall severity is the highest, and the recommended action is
the seed's.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Literal

import numpy as np
from scipy import stats

__all__ = [
    "FeatureDrift",
    "DriftReport",
    "ks_test",
    "population_stability_index",
    "categorical_drift",
    "numeric_drift",
    "analyse_drift",
    "psi_band",
]

Severity = Literal["none", "low", "medium", "high"]
_ORDER = {"none": 0, "low": 1, "medium": 2, "high": 3}
_PSI_FLOOR = 1e-4  # share given to an empty bin so the logarithm stays finite


def ks_test(reference: np.ndarray, current: np.ndarray) -> tuple[float, float]:
    """Two-sample KS statistic and p-value (scipy's exact or asymptotic distribution)."""
    result = stats.ks_2samp(reference, current, method="auto")
    return float(result.statistic), float(result.pvalue)


def _psi_from_shares(reference_share: np.ndarray, current_share: np.ndarray) -> float:
    reference_share = np.maximum(reference_share, _PSI_FLOOR)
    current_share = np.maximum(current_share, _PSI_FLOOR)
    return float(np.sum((current_share - reference_share) * np.log(current_share / reference_share)))


def population_stability_index(reference: np.ndarray, current: np.ndarray, bins: int = 10) -> float:
    """PSI of ``current`` against ``reference`` over ``bins`` quantile bins of the reference.

    ``sum((c - r) * ln(c / r))`` over bins, with empty bins floored at 1e-4.
    """
    edges = np.quantile(reference, np.linspace(0, 1, bins + 1)[1:-1])
    reference_counts = np.bincount(np.searchsorted(edges, reference, side="right"), minlength=bins)
    current_counts = np.bincount(np.searchsorted(edges, current, side="right"), minlength=bins)
    return _psi_from_shares(reference_counts / len(reference), current_counts / len(current))


def psi_band(value: float) -> str:
    """The conventional reading of a PSI value."""
    return "no shift" if value < 0.1 else "moderate shift" if value <= 0.2 else "significant shift"


@dataclass(frozen=True, slots=True)
class FeatureDrift:
    """Drift of one feature between the reference and the current window."""

    feature: str
    kind: Literal["numeric", "categorical"]
    test: str
    statistic: float
    p_value: float
    psi: float
    wasserstein: float | None
    detected: bool
    severity: Severity

    def to_dict(self) -> dict[str, object]:
        """JSON-ready mapping."""
        return asdict(self)


def _data_severity(p_value: float, threshold: float) -> Severity:
    # Seed 001: high below 0.01, medium below 0.05 (the detection threshold), else low.
    return "high" if p_value < min(0.01, threshold) else "medium" if p_value < threshold else "low"


def numeric_drift(feature: str, reference: np.ndarray, current: np.ndarray, *, p_threshold: float = 0.05,
                  psi_threshold: float | None = None, bins: int = 10) -> FeatureDrift:
    """KS, PSI and Wasserstein drift of a numeric feature; detected by KS p-value (or PSI if given)."""
    statistic, p_value = ks_test(reference, current)
    psi = population_stability_index(reference, current, bins)
    detected = p_value < p_threshold or (psi_threshold is not None and psi > psi_threshold)
    return FeatureDrift(feature, "numeric", "Kolmogorov-Smirnov", statistic, p_value, psi,
                        float(stats.wasserstein_distance(reference, current)), detected,
                        _data_severity(p_value, p_threshold))


def categorical_drift(feature: str, reference: np.ndarray, current: np.ndarray, *, p_threshold: float = 0.05,
                      psi_threshold: float | None = None) -> FeatureDrift:
    """Chi-square test of category counts and PSI over categories."""
    categories = np.union1d(np.unique(reference), np.unique(current))
    reference_counts = np.array([(reference == c).sum() for c in categories])
    current_counts = np.array([(current == c).sum() for c in categories])
    table = np.vstack([reference_counts, current_counts])
    table = table[:, table.sum(axis=0) > 0]
    if table.shape[1] < 2:
        statistic, p_value = 0.0, 1.0
    else:
        result = stats.chi2_contingency(table, correction=False)
        statistic, p_value = float(result.statistic), float(result.pvalue)
    psi = _psi_from_shares(reference_counts / len(reference), current_counts / len(current))
    detected = p_value < p_threshold or (psi_threshold is not None and psi > psi_threshold)
    return FeatureDrift(feature, "categorical", "chi-square", statistic, p_value, psi, None, detected,
                        _data_severity(p_value, p_threshold))


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
    def drift_score(self) -> float:
        """The largest PSI over features (0 without features): the ``driftScore`` rollback rules compare."""
        return max((feature.psi for feature in self.features), default=0.0)

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
    data_severity: Severity = max((f.severity for f in features), key=_ORDER.__getitem__, default="none")
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
    severity = max((performance_severity, data_severity, concept_severity), key=_ORDER.__getitem__)
    primary: Literal["performance", "data", "concept", "none"] = (
        "performance" if performance_detected else "data" if data_detected
        else "concept" if concept_detected else "none"
    )
    if performance_severity == "high":
        action = "Immediate model retraining recommended"
    elif data_severity == "high":
        action = "Data pipeline investigation and model retraining required"
    elif concept_severity == "high":
        action = "Concept drift detected - review target variable and retrain model"
    else:
        action = "Continue monitoring - consider retraining if drift persists"
    return DriftReport(
        accuracy_drift=accuracy_drift, latency_drift=latency_drift, performance_detected=performance_detected,
        performance_severity=performance_severity, features=features, data_detected=data_detected,
        data_severity=data_severity, confidence_drift=confidence_drift, error_pattern_change=error_change,
        concept_detected=concept_detected, concept_severity=concept_severity, severity=severity,
        primary=primary, recommended_action=action, notes=tuple(notes),
    )
