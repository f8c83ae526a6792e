"""Scenario model of the health check a blue-green rollback runs on its target before switching traffic."""

from __future__ import annotations

from pydantic import Field

from simulator.scenario.base import StrictModel
from simulator.scenario.limits import MAX_SAMPLES
from simulator.scenario.types import Count, Fraction, Latency

__all__ = ["HealthCheckConfig"]


class HealthCheckConfig(StrictModel):
    """Seed 004's ``_run_deployment_health_checks`` on a rollback target, as synthetic requests.

    The seed sends a health, a readiness and a prediction request and fails
    on any answer but 200; here ``samples`` synthetic requests go to the
    ready target (as a smoke test), and the check fails if more than
    ``max_error_rate`` of them fail (errors and requests over the service
    timeout) or, when given, their p99 latency exceeds ``max_latency_p99``.
    """

    samples: Count = Field(10, ge=1, le=MAX_SAMPLES, description="synthetic requests sent to the target")
    max_error_rate: Fraction = Field(
        0.0, ge=0, le=1, description="largest share of failed requests, 0-1 (seed 004: any failure fails)"
    )
    max_latency_p99: Latency | None = Field(
        None, gt=0, description="largest p99 latency of the answered requests, seconds (default: not checked)"
    )
