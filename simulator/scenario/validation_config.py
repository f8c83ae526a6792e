"""Scenario model of the checks a new version passes before it takes user traffic (seed 003's validator)."""

from __future__ import annotations

from pydantic import Field, model_validator

from simulator.scenario.base import CamelModel
from simulator.scenario.limits import MAX_SAMPLES
from simulator.scenario.types import Count, Fraction, Latency

__all__ = ["ValidationConfig"]


class ValidationConfig(CamelModel):
    """Seed 003's ``DeploymentValidator``: synthetic response tests, performance and compatibility.

    Every key defaults to the seed's value. Validation fails if any check
    fails: the version is not ready (health check), fewer than
    ``minPassRate`` of ``responseTests`` synthetic requests succeed with a
    correct prediction, their average response time exceeds
    ``maxAverageResponseTime``, or the version keeps less than
    ``minCompatibility`` of the API contract.
    """

    response_tests: Count = Field(
        20, ge=1, le=MAX_SAMPLES, description="synthetic requests sent to the new version before any user traffic"
    )
    min_pass_rate: Fraction = Field(
        0.8, ge=0, le=1, description="share of response tests that must succeed with a correct prediction, 0-1 "
                                     "(seed 003: 0.8)"
    )
    max_average_response_time: Latency = Field(
        3.0, gt=0, description="highest mean latency of the answered response tests, seconds (seed 003: 3 s)"
    )
    warn_average_response_time: Latency | None = Field(
        2.0, gt=0, description="mean latency above which validation passes with a warning, seconds (seed 003: 2 s)"
    )
    min_compatibility: Fraction = Field(
        0.95, ge=0, le=1, description="least share of the API contract the new version must keep, 0-1 "
                                      "(seed 003: 0.95)"
    )

    @model_validator(mode="after")
    def _warning_below_limit(self) -> ValidationConfig:
        warn = self.warn_average_response_time
        if warn is not None and warn > self.max_average_response_time:
            raise ValueError(f"got warnAverageResponseTime {warn:g}s above maxAverageResponseTime "
                             f"{self.max_average_response_time:g}s; expected the warning at or below the limit")
        return self
