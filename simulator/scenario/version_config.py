"""Scenario model of a model version's true properties: accuracy, latency, errors, start-up."""

from __future__ import annotations

from pydantic import Field, field_validator

from simulator.scenario.autoscaling_config import AutoscalingConfig
from simulator.scenario.base import StrictModel
from simulator.scenario.latency_spec import LatencySpec
from simulator.scenario.types import Duration, Fraction, Number
from simulator.scenario.validation_errors import describe_value

__all__ = ["VersionConfig"]


class VersionConfig(StrictModel):
    """A model version's true properties (what the world does, not what monitoring sees)."""

    accuracy: Fraction = Field(ge=0, le=1, description="probability a prediction is correct")
    latency: LatencySpec = Field(description="service time: {p50, p99} or {dist: ...}")
    error_rate: Fraction = Field(0.0, ge=0, le=1, description="probability a request fails, 0-1")
    startup: Duration = Field(30.0, ge=0, description="time from start to serving, seconds")
    compatibility: Fraction = Field(
        1.0, ge=0, le=1, description="share of the API contract the version keeps, 0-1 (its smoke test reports it)"
    )
    autoscaling: AutoscalingConfig | None = Field(
        None, description="this version's own autoscaler, in place of service.autoscaling"
    )
    segments: dict[str, Number] = Field(
        default_factory=dict,
        description="accuracy within a segment of a categorical feature, e.g. {'plan=enterprise': 0.7}",
    )

    @field_validator("segments")
    @classmethod
    def _segments(cls, segments: dict[str, float]) -> dict[str, float]:
        for key, accuracy in segments.items():
            if key.count("=") != 1 or not all(key.split("=")):
                raise ValueError(f"got segment key {describe_value(key)}; expected keys like 'plan=enterprise'")
            if not 0 <= accuracy <= 1:
                raise ValueError(f"got accuracy {accuracy} for segment {describe_value(key)}; expected between 0 and 1")
        return segments
