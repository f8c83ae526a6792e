"""Scenario model of a blue-green deployment's configuration (seed guide 002; seed 003's gradual shift)."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field, field_validator, model_validator

from simulator.scenario.limits import MAX_COUNT, MAX_SAMPLES
from simulator.scenario.rollback_thresholds import RollbackThresholds
from simulator.scenario.strategy_base import LatencyMetric, WatchingStrategy, check_weights
from simulator.scenario.types import Count, Duration, Percentage
from simulator.scenario.validation_config import ValidationConfig

__all__ = ["BlueGreenConfig"]


class BlueGreenConfig(WatchingStrategy):
    """Blue-green per seed guide 002: one atomic switch; with ``shiftSteps``, seed 003's gradual shift."""

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
    shift_steps: list[Percentage] | None = Field(
        None, description="green's weights in %, each held shiftInterval and checked (seed 003: 10, 25, 50, 75, "
                          "100; default: one atomic switch to 100)"
    )
    shift_interval: Duration | None = Field(
        None, gt=0, description="time at each shift step before its check, seconds (seed 003 and the default "
                                "with shiftSteps: 30; not without shiftSteps)"
    )
    validation: ValidationConfig | None = Field(
        None, description="checks of green before any user traffic (seed 003's validator; default: none)"
    )

    @field_validator("shift_steps")
    @classmethod
    def _check_shift_steps(cls, steps: list[float] | None) -> list[float] | None:
        return None if steps is None else check_weights(steps)

    @model_validator(mode="after")
    def _shift_keys_take_effect(self) -> BlueGreenConfig:
        if self.shift_interval is not None and self.shift_steps is None:
            raise ValueError(f"got shiftInterval {self.shift_interval:g} without shiftSteps; expected shiftSteps "
                             "too (shiftInterval has no effect with one atomic switch)")
        return self

    @property
    def shift_step_seconds(self) -> float:
        """Seconds each shift step is held before its check (default 30, seed 003)."""
        return 30.0 if self.shift_interval is None else self.shift_interval
