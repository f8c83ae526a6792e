"""Scenario models of model quality over time: features, data and concept drift, the drift monitor, retraining."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, PrivateAttr, field_serializer, field_validator, model_validator

from simulator.scenario.base import StrictModel
from simulator.scenario.limits import MAX_FEATURE_VALUE, MAX_SAMPLES, MAX_SHIFT, MAX_WEIGHT
from simulator.scenario.types import Count, Duration, Fraction, Number
from simulator.scenario.version_config import VersionConfig

__all__ = [
    "NumericFeature",
    "CategoricalFeature",
    "FeaturesConfig",
    "DataDrift",
    "ConceptDrift",
    "DriftConfig",
    "DriftMonitorConfig",
    "RetrainingConfig",
    "DEFAULT_FEATURES",
]


class NumericFeature(StrictModel):
    """A numeric feature, normal with ``mean`` and ``std`` before any drift."""

    mean: Number = Field(0.0, ge=-MAX_FEATURE_VALUE, le=MAX_FEATURE_VALUE)
    std: Number = Field(1.0, gt=0, le=MAX_FEATURE_VALUE)


class CategoricalFeature(StrictModel):
    """A categorical feature with category probabilities (normalised).

    The weights as written are kept for the dump, so that dumping and
    loading again gives the same probabilities to the last bit.
    """

    categories: dict[str, Number] = Field(min_length=2)
    _written: dict[str, float] = PrivateAttr(default_factory=dict)

    @field_validator("categories")
    @classmethod
    def _weights(cls, categories: dict[str, float]) -> dict[str, float]:
        if any(not 0 <= p <= MAX_WEIGHT for p in categories.values()) or sum(categories.values()) <= 0:
            raise ValueError(f"expected weights between 0 and {MAX_WEIGHT:g} with a positive sum")
        return categories

    @model_validator(mode="after")
    def _normalised(self) -> CategoricalFeature:
        if self._written:
            return self  # an instance met again (pydantic runs after-validators on instances too)
        self._written = dict(self.categories)
        total = sum(self.categories.values())
        object.__setattr__(self, "categories", {name: p / total for name, p in self.categories.items()})
        return self

    @field_serializer("categories")
    def _as_written(self, categories: dict[str, float]) -> dict[str, float]:
        return self._written or categories


class FeaturesConfig(StrictModel):
    """The features requests carry. Without this block: three numeric and two categorical features."""

    numeric: dict[str, NumericFeature] = Field(default_factory=dict)
    categorical: dict[str, CategoricalFeature] = Field(default_factory=dict)


DEFAULT_FEATURES = FeaturesConfig(
    numeric={"x1": NumericFeature(), "x2": NumericFeature(mean=5.0, std=2.0), "x3": NumericFeature()},
    categorical={
        "region": CategoricalFeature(categories={"eu": 0.5, "us": 0.3, "apac": 0.2}),
        "plan": CategoricalFeature(categories={"free": 0.6, "pro": 0.3, "enterprise": 0.1}),
    },
)


class DataDrift(StrictModel):
    """A feature's distribution moves: its mean by ``shift`` standard deviations, or its categories change.

    ``kind`` ``sudden`` (at ``start``), ``gradual`` (linearly over ``ramp``), or
    ``recurring`` (a cosine of ``period``, from no shift to the full shift and back).
    """

    feature: str
    kind: Literal["sudden", "gradual", "recurring"] | None = None
    start: Duration = 0.0
    ramp: Duration = Field(0.0, ge=0)
    period: Duration | None = Field(None, gt=0)
    shift: Number = Field(
        0.0, ge=-MAX_SHIFT, le=MAX_SHIFT, description="mean shift, standard deviations (numeric features)"
    )
    scale: Number = Field(
        1.0, gt=0, le=MAX_SHIFT, description="standard deviation multiplied by this (numeric features)"
    )
    to: dict[str, Number] | None = Field(None, description="new category probabilities (categorical features)")

    @field_validator("to")
    @classmethod
    def _weights(cls, to: dict[str, float] | None) -> dict[str, float] | None:
        if to is not None and (any(not 0 <= p <= MAX_WEIGHT for p in to.values()) or sum(to.values()) <= 0):
            raise ValueError(f"expected weights between 0 and {MAX_WEIGHT:g} with a positive sum")
        return to

    @model_validator(mode="after")
    def _kind(self) -> DataDrift:
        if self.kind is None:
            object.__setattr__(self, "kind", "gradual" if self.ramp > 0 else "sudden")
        if self.kind == "recurring" and self.period is None:
            raise ValueError("a recurring drift needs 'period'")
        return self


class ConceptDrift(StrictModel):
    """Accuracy falls by ``accuracy_loss[version]`` (absolute), ramping in from ``start`` over ``ramp``.

    A version not listed loses nothing (for instance one retrained on drifted data).
    """

    start: Duration = 0.0
    ramp: Duration = Field(0.0, ge=0)
    accuracy_loss: dict[str, Number] = Field(default_factory=dict)

    @field_validator("accuracy_loss")
    @classmethod
    def _losses(cls, losses: dict[str, float]) -> dict[str, float]:
        if any(not 0 <= loss <= 1 for loss in losses.values()):
            raise ValueError("expected losses between 0 and 1")
        return losses


class DriftConfig(StrictModel):
    """Data drift (one or several features) and concept drift."""

    data: list[DataDrift] = Field(default_factory=list)
    concept: ConceptDrift | None = None

    @field_validator("data", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        return [value] if isinstance(value, dict) else value


class DriftThresholds(StrictModel):
    """When the drift monitor fires (seed 001's defaults)."""

    ks_pvalue: Fraction = Field(
        0.05, gt=0, lt=1, description="fire when a feature's KS (chi-square) p-value is below this / features"
    )
    psi: Number | None = Field(None, gt=0, description="also fire when a feature's PSI exceeds this")
    wasserstein: Number | None = Field(
        None, gt=0, description="also fire when a numeric feature's Wasserstein distance exceeds this, "
        "in standard deviations of the reference"
    )
    accuracy_drift: Fraction = Field(0.05, gt=0, le=1, description="absolute accuracy change")
    latency_drift: Number = Field(0.2, gt=0, description="relative mean latency change")


class DriftMonitorConfig(StrictModel):
    """The standing drift monitor on the production version (seed 001).

    ``tests`` are the data-drift tests each check runs; a test not listed is
    not run and decides nothing. ``ks`` (chi-square for categorical
    features) decides by ``thresholds.ks_pvalue``, ``psi`` by
    ``thresholds.psi`` and ``wasserstein`` by ``thresholds.wasserstein``
    when those are set. The ``driftScore`` rollback rule is a PSI whatever
    ``tests`` lists.
    """

    window: Duration = Field(
        3600.0, ge=1, description="compared window, seconds; the first one is the reference"
    )
    tests: list[Literal["ks", "psi", "wasserstein"]] = Field(
        default_factory=lambda: ["ks", "psi"],  # type: ignore[arg-type]
        min_length=1,
        description="data-drift tests each check runs; ks decides, psi and wasserstein when their threshold is set",
    )
    thresholds: DriftThresholds = Field(default_factory=DriftThresholds)
    sample_size: Count = Field(
        5000, ge=20, le=MAX_SAMPLES,
        description="logged feature values per window; PSI needs at least 40 (fewer: not evaluated)",
    )

    @model_validator(mode="after")
    def _tests_take_effect(self) -> DriftMonitorConfig:
        thresholds = self.thresholds
        for test in ("psi", "wasserstein"):
            if getattr(thresholds, test) is not None and test not in self.tests:
                raise ValueError(
                    f"got thresholds.{test} {getattr(thresholds, test):g} and tests {list(self.tests)}; expected "
                    f"tests to list {test} (thresholds.{test} has no effect when tests does not list {test})"
                )
        if "ks" not in self.tests and thresholds.psi is None and thresholds.wasserstein is None:
            raise ValueError(
                f"got tests {list(self.tests)} and no threshold for them; expected ks in tests, or the "
                "threshold of a listed test (thresholds.psi, thresholds.wasserstein): else no test decides drift"
            )
        return self


class RetrainingConfig(StrictModel):
    """Retrain when the drift monitor fires (or on a schedule), then roll the new version out."""

    trigger: Literal["drift", "schedule"] = "drift"
    every: Duration | None = Field(None, gt=0, description="schedule period, seconds (trigger: schedule)")
    duration: Duration = Field(3600.0, ge=0, description="time to retrain and validate, seconds")
    produces: VersionConfig = Field(description="the new version's properties (as under versions)")
    deploy_with: str = Field(description="label of the strategy that rolls the new version out")
    max_retrains: Count = Field(3, ge=1, le=20)

    @model_validator(mode="after")
    def _schedule(self) -> RetrainingConfig:
        if self.trigger == "schedule" and self.every is None:
            raise ValueError("a scheduled retraining needs 'every'")
        return self
