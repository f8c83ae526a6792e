"""Scenario model of the rollback rules a watching strategy checks, candidate against stable."""

from __future__ import annotations

from pydantic import Field

from simulator.scenario.base import CamelModel
from simulator.scenario.types import Duration, Fraction, Number

__all__ = ["RollbackThresholds"]


class RollbackThresholds(CamelModel):
    """Rollback rules, judged over one window.

    The relative rules of seed guide 002 judge the candidate against the
    stable version; the absolute limits of seeds 000 and 003 (``maxErrorRate``,
    ``maxResponseTime``) judge the candidate alone. A rule left out is not
    checked. ``None`` for the whole block means seed guide 002's defaults
    (:meth:`seed_defaults`).
    """

    accuracy_drop: Fraction | None = Field(
        None, ge=0, le=1, description="roll back if (stable - candidate) / stable accuracy exceeds this (relative)"
    )
    latency_increase: Number | None = Field(
        None, gt=0, description="roll back if candidate / stable latency exceeds this ratio"
    )
    error_rate_increase: Fraction | None = Field(
        None, ge=0, le=1, description="roll back if candidate - stable error rate exceeds this (absolute)"
    )
    drift_score: Number | None = Field(
        None, ge=0, description="roll back if the candidate's data drift score exceeds this"
    )
    max_error_rate: Fraction | None = Field(
        None, ge=0, le=1,
        description="roll back if the candidate's error rate exceeds this, 0-1, whatever stable does "
                    "(seed 000's MaxErrorRate: 0.01; seed 003's shift: 0.05)",
    )
    max_response_time: Duration | None = Field(
        None, gt=0,
        description="roll back if the candidate's mean latency exceeds this, seconds, whatever stable does "
                    "(seed 000's MaxResponseTime: 2 s; seed 003's shift: 5 s; both compare the average)",
    )

    @classmethod
    def seed_defaults(cls) -> RollbackThresholds:
        """Seed guide 002: accuracy -5 % relative, latency x1.5, error rate +1 point, drift 0.3."""
        return cls(accuracy_drop=0.05, latency_increase=1.5, error_rate_increase=0.01, drift_score=0.3)
