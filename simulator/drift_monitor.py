"""The standing drift monitor on production, and retraining when it fires.

Every ``window`` seconds the monitor compares production's latest window with
its reference window (the first window after that version took production)
by seed 001's rules (:func:`simulator.analysis.drift.analyse_drift`):

* features: a sample of ``sample_size`` logged requests per window; each
  feature's KS (or chi-square) test, PSI and Wasserstein distance. With
  several features, a feature drifts when its p-value is below
  ``ks_pvalue / features`` (Bonferroni), so the monitor as a whole keeps the
  seed's 5 % false-alarm rate per check;
* performance: measured accuracy (from labels that have arrived) and mean
  latency of the two windows;
* concept: change of the request error rate (the model's confidence is not
  simulated, so confidence drift is reported as not evaluated).

Its latest input drift score (the largest feature PSI) is what the
``driftScore`` rollback rule reads, through :meth:`DriftMonitor.scores`.
Retraining when it fires lives in :mod:`simulator.lifecycle`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from simulator.analysis.drift import DriftReport, analyse_drift, categorical_drift, numeric_drift
from simulator.observations import WindowStats
from simulator.scenario.drift_config import DriftMonitorConfig
from simulator.world.world import World

__all__ = ["DriftMonitor"]


@dataclass
class _Reference:
    version: str
    start: float
    features: dict[str, np.ndarray]
    stats: WindowStats
    accuracy: float | None = None


@dataclass
class DriftMonitor:
    """Compares production's windows with its reference window; remembers every check."""

    world: World
    config: DriftMonitorConfig
    reference: _Reference | None = None
    reference_start: float = 0.0
    checks: list[dict[str, Any]] = field(default_factory=list)
    detections: list[dict[str, Any]] = field(default_factory=list)
    latest_score: float | None = None

    def __post_init__(self) -> None:
        self.generator = self.world.streams.generator("feature-log")

    def _features(self, start: float, end: float) -> dict[str, np.ndarray]:
        drift = self.world.drift
        times = drift.sample_times(self.world.traffic.rate, start, end, self.config.sample_size, self.generator)
        return drift.sample_features(times, self.generator)

    def check(self, now: float) -> DriftReport | None:
        """Run one check at ``now`` (seconds); return the report, or ``None`` while building the reference."""
        world, config = self.world, self.config
        production = world.registry.production
        window = config.window
        if self.reference is not None and self.reference.version != production:
            self.reference, self.reference_start = None, now  # a new production version: a new reference
        if self.reference is None:
            if now - self.reference_start < window - 1e-9:
                return None
            stats = world.monitoring().window(production, window)
            self.reference = _Reference(production, now - window, self._features(now - window, now), stats)
            return None
        reference = self.reference
        stats = world.monitoring().window(production, window)
        if reference.accuracy is None and reference.stats.labelled < 100 and stats.labelled >= 100:
            # Labels arrive late: the first well-labelled window stands in for the reference's accuracy.
            reference.accuracy = stats.accuracy
        reference_accuracy = reference.accuracy if reference.accuracy is not None else (
            reference.stats.accuracy if reference.stats.labelled >= 100 else None)
        current = self._features(now - window, now)
        thresholds = config.thresholds
        per_feature = thresholds.ks_pvalue / max(1, len(current))
        numeric = world.drift.features.numeric
        features = tuple(
            numeric_drift(name, reference.features[name], values, p_threshold=per_feature,
                          psi_threshold=thresholds.psi)
            if name in numeric else
            categorical_drift(name, reference.features[name], values, p_threshold=per_feature,
                              psi_threshold=thresholds.psi)
            for name, values in current.items()
        )
        report = analyse_drift(
            reference_accuracy=reference_accuracy,
            current_accuracy=stats.accuracy if stats.labelled >= 100 else None,
            reference_latency=reference.stats.latency_mean, current_latency=stats.latency_mean,
            reference_error_rate=reference.stats.error_rate, current_error_rate=stats.error_rate,
            features=features, accuracy_threshold=thresholds.accuracy_drift,
            latency_threshold=thresholds.latency_drift,
        )
        row: dict[str, Any] = {
            "t": now, "version": production, "detected": report.detected, "primary": report.primary,
            "severity": report.severity, "accuracy_drift": report.accuracy_drift,
            "latency_drift": report.latency_drift, "drift_score": report.drift_score,
        }
        for feature in features:
            row[f"{feature.feature}_p_value"] = feature.p_value
            row[f"{feature.feature}_psi"] = feature.psi
        self.checks.append(row)
        self.latest_score = report.drift_score
        if report.detected:
            drifted = [f for f in features if f.detected]
            detail = f"{report.primary} drift ({report.severity}): " + "; ".join(
                [f"{f.feature} {f.test} statistic {f.statistic:.3g}, p={f.p_value:.2g}, PSI {f.psi:.3f}"
                 for f in drifted]
                + ([f"accuracy drift {report.accuracy_drift:.3f}"] if report.performance_detected
                   and report.accuracy_drift is not None and report.accuracy_drift > thresholds.accuracy_drift
                   else [])
            ) + f" -> {report.recommended_action}"
            self.detections.append({"t": now, "version": production, "primary": report.primary,
                                    "severity": report.severity, "action": report.recommended_action,
                                    "detail": detail, "report": report.to_dict()})
            world.log("drift_detected", detail, version=production, primary=report.primary,
                      severity=report.severity, action=report.recommended_action, drift_score=report.drift_score,
                      features=[f.feature for f in drifted])
        return report

    def scores(self) -> Mapping[str, float]:
        """The latest input drift score for each version (``{}`` before the first check).

        Every version serves requests from the same traffic, so the input
        drift measured on production's requests is the input drift of each.
        """
        if self.latest_score is None:
            return {}
        return {version: self.latest_score for version in self.world.versions}

    def summary(self, drift_start: float | None) -> dict[str, Any]:
        """Checks, detections and the delay of the first detection after the drift began (seconds)."""
        first = next((d["t"] for d in self.detections if drift_start is None or d["t"] > drift_start), None)
        return {
            "checks": len(self.checks),
            "detections": [{k: v for k, v in d.items() if k != "report"} for d in self.detections],
            "first_detection_s": first,
            "drift_start_s": drift_start,
            "detection_delay_s": None if first is None or drift_start is None else first - drift_start,
            "false_alarms": sum(1 for d in self.detections if drift_start is not None and d["t"] <= drift_start),
        }
