"""Scenario model of a blue-green deployment's configuration (seed guide 002)."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field

from simulator.scenario.limits import MAX_COUNT, MAX_SAMPLES
from simulator.scenario.rollback_thresholds import RollbackThresholds
from simulator.scenario.strategy_base import LatencyMetric, WatchingStrategy
from simulator.scenario.types import Count, Duration

__all__ = ["BlueGreenConfig"]


class BlueGreenConfig(WatchingStrategy):
    """Blue-green per seed guide 002."""

    kind: ClassVar[str] = "blue_green"
    smoke_test_samples: Count = Field(
        100, ge=0, le=MAX_SAMPLES, description="synthetic requests sent to green before the switch"
    )
    monitoring_duration: Duration = Field(300.0, gt=0, description="watch time after the switch, seconds")
    keep_blue_duration: Duration = Field(300.0, ge=0, description="blue kept warm after the watch, seconds")
    rollback_thresholds: RollbackThresholds = Field(default_factory=RollbackThresholds.seed_defaults)
    latency_metric: LatencyMetric = "p99"
    minimum_requests: Count = Field(50, ge=1, le=MAX_COUNT)
    minimum_labels: Count = Field(100, ge=1, le=MAX_COUNT)
    recheck_interval: Duration = Field(30.0, gt=0)
    max_data_wait: Duration | None = Field(
        None, ge=0, description="how long a check may stay inconclusive before onInconclusive applies, seconds "
                                "(default: monitoringDuration plus the labels' delay)"
    )
    ready_timeout: Duration = Field(600.0, gt=0, description="roll back if green is not ready by then")
