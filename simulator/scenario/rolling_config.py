"""Scenario model of a rolling update's configuration (seeds 000 and 002)."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field

from simulator.scenario.limits import MAX_COUNT, MAX_REPLICAS
from simulator.scenario.rollback_thresholds import RollbackThresholds
from simulator.scenario.strategy_base import LatencyMetric, StrategyBase
from simulator.scenario.types import Count, Duration, Fraction

__all__ = ["RollingConfig"]


class RollingConfig(StrategyBase):
    """Rolling update per seeds 000 and 002: ``batchSize`` replicas at a time."""

    kind: ClassVar[str] = "rolling"
    batch_size: Count = Field(1, ge=1, le=MAX_REPLICAS, description="replicas replaced per batch")
    delay: Duration = Field(30.0, ge=0, description="wait after a batch is ready, before its health check, seconds")
    error_rate_threshold: Fraction = Field(
        0.05, ge=0, le=1, description="health check fails above this candidate error rate (seed 000: 0.05)"
    )
    response_time_threshold: Duration = Field(
        5.0, gt=0, description="health check fails above this candidate latency, seconds (seed 000: 5s)"
    )
    latency_metric: LatencyMetric = "p99"
    rollback_thresholds: RollbackThresholds | None = Field(
        None, description="optional relative rules, candidate against stable"
    )
    minimum_requests: Count = Field(20, ge=1, le=MAX_COUNT)
    minimum_labels: Count = Field(100, ge=1, le=MAX_COUNT)
    recheck_interval: Duration = Field(15.0, gt=0, description="wait before looking again when data is missing")
    max_data_wait: Duration | None = Field(
        None, ge=0, description="revert after a health check stays inconclusive this long, seconds "
                                "(default: 300 s plus the labels' delay)"
    )
    ready_timeout: Duration = Field(600.0, gt=0, description="a batch not ready after this fails the rollout")
    on_failure: Literal["rollback", "pause"] = Field(
        "rollback",
        description="when a batch fails: rollback (revert every batch) or pause (revert the failed batch, keep "
                    "the earlier ones on the candidate and hold; the run ends incomplete) -- seed 002's "
                    "'pause/rollback if issues detected'",
    )
