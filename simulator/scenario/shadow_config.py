"""Scenario models of the shadow deployment and the immediate switch (seed guide 002)."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field

from simulator.scenario.limits import MAX_COUNT
from simulator.scenario.rollback_thresholds import RollbackThresholds
from simulator.scenario.strategy_base import LatencyMetric, StrategyBase
from simulator.scenario.types import Count, Duration, Fraction, Percentage

__all__ = ["ImmediateConfig", "ShadowConfig"]


class ImmediateConfig(StrategyBase):
    """Switch all traffic to the candidate as soon as it is up; no checks."""

    kind: ClassVar[str] = "immediate"
    ready_timeout: Duration = Field(600.0, gt=0, description="give up if the new replicas are not ready by then")


class ShadowConfig(StrategyBase):
    """Shadow deployment per seed guide 002: mirror traffic, compare, promote or retire."""

    kind: ClassVar[str] = "shadow"
    mirror_percentage: Percentage = Field(100.0, gt=0, le=100, description="share of user requests copied, %")
    duration: Duration = Field(3600.0, gt=0, description="how long the shadow runs before the verdict, seconds")
    max_divergence: Fraction = Field(
        0.05, ge=0, le=1, description="promote only if at most this share of predictions differ from production"
    )
    rollback_thresholds: RollbackThresholds = Field(default_factory=RollbackThresholds.seed_defaults)
    latency_metric: LatencyMetric = "p99"
    minimum_requests: Count = Field(50, ge=1, le=MAX_COUNT)
    minimum_labels: Count = Field(100, ge=1, le=MAX_COUNT)
    ready_timeout: Duration = Field(600.0, gt=0)
