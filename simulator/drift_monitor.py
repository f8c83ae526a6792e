"""The standing drift monitor on production, and each version's drift score.

Every ``window`` seconds the monitor compares production's latest window with
its reference window (the first window after that version took production)
by seed 001's rules (:func:`simulator.analysis.drift.analyse_drift`):

* features: a sample of ``sample_size`` logged requests per window; for each
  feature the tests ``tests`` lists (KS or chi-square, PSI, Wasserstein; a
  test not listed is not run, and each check records which ran). With
  several features, a feature drifts when its p-value is below
  ``ks_pvalue / features`` (Bonferroni), so the monitor as a whole keeps the
  seed's 5 % false-alarm rate per check;
* performance: measured accuracy (from labels that have arrived) and mean
  latency of the two windows;
* concept: change of the request error rate (the model's confidence is not
  simulated, so confidence drift is reported as not evaluated).

Each version's drift score (what the ``driftScore`` rollback rule reads,
through :meth:`DriftMonitor.scores`) is the largest feature PSI of the inputs
that version served over the last ``window`` seconds against the reference
that version is judged by:

* a retrained version: the data it was trained on, taken to be the last
  ``window`` of production's inputs before it was registered (when
  retraining ended);
* the run's first production version: its first production window,
  ``[0, window)``;
* any other version (no training data declared): the reference of the
  production version at the time it first served requests, kept after that.

So a candidate is judged on its own drift: a model retrained on drifted data
scores low on the drifted inputs it serves, while the model it replaces
scores high on the same inputs. A version that served fewer than 40
requests in the window (too few for PSI), or whose reference window has not
ended, has no score: the rule reports it as not evaluated.
Retraining when the monitor fires lives in :mod:`simulator.lifecycle`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from simulator.analysis.drift import (
    PSI_MIN_SAMPLES,
    DriftReport,
    FeatureDrift,
    analyse_drift,
    categorical_drift,
    categorical_psi,
    largest_psi,
    numeric_drift,
    population_stability_index,
)
from simulator.observations import WindowStats
from simulator.scenario.drift_config import DriftMonitorConfig
from simulator.world.world import World

__all__ = ["DriftMonitor", "VersionReference"]


@dataclass
class _Reference:
    version: str
    start: float
    features: dict[str, np.ndarray]
    stats: WindowStats
    accuracy: float | None = None


@dataclass(frozen=True)
class VersionReference:
    """The inputs a version's drift score is judged against: a sample of one window's logged requests.

    ``kind`` says whose window it is: the version's ``training data``, its
    ``first production window``, or the ``production reference`` it adopted
    (that of ``judged_by``). ``start`` and ``end`` bound the window, seconds.
    """

    version: str
    kind: Literal["training data", "first production window", "production reference"]
    judged_by: str
    start: float
    end: float
    features: Mapping[str, np.ndarray] = field(repr=False, compare=False)

    def describe(self) -> dict[str, Any]:
        """JSON-ready facts of the reference (without the sample)."""
        return {"kind": self.kind, "version": self.judged_by, "start_s": self.start, "end_s": self.end}


@dataclass
class DriftMonitor:
    """Compares production's windows with its reference window; remembers every check; scores versions."""

    world: World
    config: DriftMonitorConfig
    reference: _Reference | None = None
    reference_start: float = 0.0
    checks: list[dict[str, Any]] = field(default_factory=list)
    detections: list[dict[str, Any]] = field(default_factory=list)
    version_references: dict[str, VersionReference] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.generator = self.world.streams.generator("feature-log")
        # The drift scores read their own stream: how often a strategy looks does not move the checks' draws.
        self.score_generator = self.world.streams.generator("drift-score-log")
        self._scored_at: float | None = None
        self._scores: dict[str, float] = {}

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
        tests = tuple(config.tests)
        features = tuple(
            numeric_drift(name, reference.features[name], values, p_threshold=per_feature,
                          psi_threshold=thresholds.psi, wasserstein_threshold=thresholds.wasserstein, tests=tests)
            if name in numeric else
            categorical_drift(name, reference.features[name], values, p_threshold=per_feature,
                              psi_threshold=thresholds.psi, tests=tests)
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
        ran = [test for test in ("ks", "psi", "wasserstein") if any(test in f.tests for f in features)]
        row: dict[str, Any] = {
            "t": now, "version": production, "detected": report.detected, "primary": report.primary,
            "severity": report.severity, "accuracy_drift": report.accuracy_drift,
            "latency_drift": report.latency_drift, "drift_score": report.drift_score, "tests": ",".join(ran),
            "notes": "; ".join(report.notes),
        }
        for feature in features:
            # Only the statistics of the tests that ran (a PSI that ran but was not evaluated is None).
            if "ks" in feature.tests:
                row[f"{feature.feature}_p_value"] = feature.p_value
            if "psi" in feature.tests:
                row[f"{feature.feature}_psi"] = feature.psi
            if "wasserstein" in feature.tests:
                row[f"{feature.feature}_wasserstein"] = feature.wasserstein
        self.checks.append(row)
        if report.detected:
            drifted = [f for f in features if f.detected]
            detail = f"{report.primary} drift ({report.severity}): " + "; ".join(
                [f"{f.feature} {_describe(f)}" for f in drifted]
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
        """Each version's input drift score now: the largest feature PSI (dimensionless).

        The inputs the version served over the last ``window`` seconds
        against its reference (:meth:`reference_for`). A version without a
        score (fewer than 40 requests served in the window, no reference
        yet) is absent: the ``driftScore`` rule reads that as not evaluated.
        """
        now = float(self.world.env.now)
        if self._scored_at != now:
            self.world.advance()  # the requests that arrived so far are in the series
            scores = {}
            for version in self.world.versions:
                score = self.score(version, now)
                if score is not None:
                    scores[version] = score
            self._scored_at, self._scores = now, scores
        return dict(self._scores)

    def score(self, version: str, now: float) -> float | None:
        """``version``'s input drift score at ``now`` (seconds), or ``None`` when it cannot be evaluated."""
        served = self._served_features(version, now)
        if served is None:
            return None
        reference = self.reference_for(version, now)
        if reference is None:
            return None
        numeric = self.world.drift.features.numeric
        return largest_psi([
            population_stability_index(reference.features[name], values) if name in numeric
            else categorical_psi(reference.features[name], values)
            for name, values in served.items()
        ])

    def reference_for(self, version: str, now: float) -> VersionReference | None:
        """The reference ``version`` is judged by (see the module's docstring), or ``None`` while it has none.

        Made on first use and kept.
        """
        known = self.version_references.get(version)
        if known is not None:
            return known
        world, window = self.world, self.config.window
        registered = next((event.t for event in world.events if event.kind == "registry"
                           and event.data.get("action") == "register" and event.data.get("version") == version),
                          None)
        first_production = world.registry.history[0]
        reference: VersionReference | None
        if registered is not None:
            start = max(0.0, registered - window)
            if registered <= start:
                return None
            reference = VersionReference(version, "training data", version, start, registered,
                                         self._log_sample(start, registered))
        elif version == first_production:
            if now < window - 1e-9:
                return None
            reference = VersionReference(version, "first production window", version, 0.0, window,
                                         self._log_sample(0.0, window))
        else:
            production = world.registry.production
            adopted = self.reference_for(production if production != version else first_production, now)
            if adopted is None:
                return None
            reference = VersionReference(version, "production reference", adopted.judged_by, adopted.start,
                                         adopted.end, adopted.features)
        self.version_references[version] = reference
        return reference

    def _log_sample(self, start: float, end: float) -> dict[str, np.ndarray]:
        """Features of ``sample_size`` requests of all traffic on ``[start, end)`` (production's inputs)."""
        drift = self.world.drift
        times = drift.sample_times(self.world.traffic.rate, start, end, self.config.sample_size,
                                   self.score_generator)
        return drift.sample_features(times, self.score_generator)

    def _served_features(self, version: str, now: float) -> dict[str, np.ndarray] | None:
        """Features of up to ``sample_size`` requests ``version`` served in the last window, or ``None`` if < 40.

        Requests are drawn by the version's request counts per scrape
        interval (features do not depend on routing, so a request's features
        follow their distribution at its time).
        """
        series = self.world.store.series
        interval = series.bin_seconds
        start = max(0.0, now - self.config.window)
        first = int(math.floor(start / interval))
        last = min(int(math.floor(now / interval)), series.n_bins - 1)
        counts = series.requests[first:last + 1, self.world.index(version)].astype(float)
        total = int(counts.sum())
        size = min(self.config.sample_size, total)
        if size < PSI_MIN_SAMPLES:
            return None
        generator = self.score_generator
        bins = first + generator.choice(len(counts), size=size, p=counts / total)
        low = np.maximum(bins * interval, start)
        high = np.maximum(np.minimum((bins + 1) * interval, now), low)
        times = np.sort(generator.uniform(low, high))
        return self.world.drift.sample_features(times, generator)

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
            "references": {version: reference.describe() for version, reference in self.version_references.items()},
        }


def _describe(feature: FeatureDrift) -> str:
    """The figures of the tests that ran on ``feature``, for an event's sentence."""
    parts = []
    if feature.p_value is not None and feature.statistic is not None:
        parts.append(f"{feature.test} statistic {feature.statistic:.3g}, p={feature.p_value:.2g}")
    if "psi" in feature.tests:
        parts.append("PSI not evaluated" if feature.psi is None else f"PSI {feature.psi:.3f}")
    if feature.wasserstein is not None:
        parts.append(f"Wasserstein {feature.wasserstein:.3g}")
    return ", ".join(parts)
