"""Drift in the simulated world: how features and accuracy change over time.

Features do not change how a request is served, so the world does not draw
them for every request. When monitoring logs features over a window, it logs
a sample: requests' times are drawn in proportion to the traffic, and each
sampled request's features from their distribution at that time (with the
data drift in force). This is what a feature log sampled at random would
hold, at a fraction of the cost.
"""

from __future__ import annotations

import math

import numpy as np

from simulator.scenario.drift_config import ConceptDrift, DataDrift, FeaturesConfig
from simulator.world.traffic import RateFunction

__all__ = ["DriftSchedule", "ramp_fraction"]


def ramp_fraction(times: np.ndarray, start: float, ramp: float) -> np.ndarray:
    """0 before ``start``, rising linearly to 1 over ``ramp`` seconds (a step when ``ramp`` is 0)."""
    if ramp <= 0:
        return (times >= start).astype(float)
    return np.clip((times - start) / ramp, 0.0, 1.0)


def _drift_level(drift: DataDrift, times: np.ndarray) -> np.ndarray:
    if drift.kind == "recurring":
        assert drift.period is not None
        phase = 2.0 * math.pi * (times - drift.start) / drift.period
        return np.where(times >= drift.start, (1.0 - np.cos(phase)) / 2.0, 0.0)
    return ramp_fraction(times, drift.start, drift.ramp if drift.kind == "gradual" else 0.0)


class DriftSchedule:
    """Features' distributions and versions' accuracy as functions of time."""

    def __init__(self, features: FeaturesConfig, data: list[DataDrift], concept: ConceptDrift | None,
                 versions: list[str], base_accuracy: np.ndarray,
                 segments: dict[str, dict[str, float]] | None = None) -> None:
        self.features = features
        self.data = data
        self.concept = concept
        self.base_accuracy = base_accuracy
        self.loss = np.array([concept.accuracy_loss.get(v, 0.0) if concept else 0.0 for v in versions])
        # (version index, feature, category, accuracy) for versions whose accuracy differs by segment
        self.segments: list[tuple[int, str, str, float]] = [
            (index, key.split("=")[0], key.split("=")[1], accuracy)
            for index, version in enumerate(versions)
            for key, accuracy in (segments or {}).get(version, {}).items()
        ]
        self._segment_features = sorted({feature for _, feature, _, _ in self.segments})

    @property
    def first_change(self) -> float | None:
        """When the first drift starts (seconds), if any."""
        starts = [d.start for d in self.data] + ([self.concept.start] if self.concept else [])
        return min(starts) if starts else None

    def category(self, feature: str, times: np.ndarray, uniform: np.ndarray) -> np.ndarray:
        """The category of ``feature`` of requests at ``times``, from one U(0,1) draw each (drift applied)."""
        categorical = self.features.categorical[feature]
        names = np.array(list(categorical.categories))
        probabilities = np.tile(np.array(list(categorical.categories.values())), (len(times), 1))
        for drift in self.data:
            if drift.feature == feature and drift.to is not None:
                total = sum(drift.to.values())
                after = np.array([drift.to.get(c, 0.0) / total for c in categorical.categories])
                level = _drift_level(drift, times)[:, None]
                probabilities = (1 - level) * probabilities + level * after
        cumulative = np.cumsum(probabilities, axis=1)
        return names[np.minimum((uniform[:, None] > cumulative).sum(axis=1), len(names) - 1)]

    def accuracy(self, version: np.ndarray, times: np.ndarray, segment_draws: np.ndarray | None = None) -> np.ndarray:
        """True accuracy of each request's version at its time, 0-1.

        Segment accuracies replace the base accuracy for requests in the
        segment; concept drift then subtracts the version's loss. Each
        segment feature reads its own uniform, derived from the request's
        segment draw (``(draw * 2**k) mod 1`` for the k-th feature).
        """
        accuracy = self.base_accuracy[version]
        if self.segments and segment_draws is not None:
            accuracy = accuracy.copy()
            for k, feature in enumerate(self._segment_features):
                category = self.category(feature, times, np.mod(segment_draws * 2.0**k, 1.0))
                for index, segment_feature, value, segment_accuracy in self.segments:
                    if segment_feature == feature:
                        accuracy[(version == index) & (category == value)] = segment_accuracy
        if self.concept is None or not self.loss.any():
            return accuracy
        fraction = ramp_fraction(times, self.concept.start, self.concept.ramp)
        return np.clip(accuracy - self.loss[version] * fraction, 0.0, 1.0)

    def sample_times(self, rate: RateFunction, start: float, end: float, size: int,
                     generator: np.random.Generator) -> np.ndarray:
        """``size`` request times on ``[start, end)`` distributed like the traffic (by thinning)."""
        peak = rate.max_rate(start, end)
        times: list[np.ndarray] = []
        drawn = 0
        while drawn < size:
            candidates = generator.uniform(start, end, 2 * (size - drawn) + 16)
            kept = candidates[generator.random(len(candidates)) * peak < rate.rate(candidates)]
            times.append(kept[: size - drawn])
            drawn += len(times[-1])
        return np.sort(np.concatenate(times))

    def sample_features(self, times: np.ndarray, generator: np.random.Generator) -> dict[str, np.ndarray]:
        """Feature values of requests at ``times``, drift applied."""
        values: dict[str, np.ndarray] = {}
        for name, feature in self.features.numeric.items():
            mean = np.full(len(times), feature.mean)
            std = np.full(len(times), feature.std)
            for drift in self.data:
                if drift.feature == name:
                    level = _drift_level(drift, times)
                    mean = mean + level * drift.shift * feature.std
                    std = std * (1.0 + level * (drift.scale - 1.0))
            values[name] = mean + std * generator.standard_normal(len(times))
        for name in self.features.categorical:
            values[name] = self.category(name, times, generator.random(len(times)))
        return values
