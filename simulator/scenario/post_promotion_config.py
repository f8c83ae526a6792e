"""Scenario model of the health check that keeps watching a promoted version (seed 000)."""

from __future__ import annotations

from pydantic import Field

from simulator.scenario.base import CamelModel
from simulator.scenario.limits import MAX_COUNT
from simulator.scenario.types import Count, Duration, Fraction

__all__ = ["PostPromotionWatch"]


class PostPromotionWatch(CamelModel):
    """Seed 000's background health check after promotion, with its automatic rollback.

    Every ``interval`` the promoted version's last ``interval`` of metrics is
    held to the absolute limits; a failed check rolls back to the previous
    version (``rollback: true``, seed 000's ``EnableAutomaticRollback``) or is
    only logged. Defaults are seed 000's ``DeploymentConfiguration``.
    """

    duration: Duration = Field(
        3600.0, gt=0,
        description="how long the promoted version is watched, seconds (seed 000 watches for as long as it runs; "
                    "default 1 h)",
    )
    interval: Duration = Field(300.0, gt=0, description="seconds between health checks (seed 000: 5 min)")
    max_error_rate: Fraction = Field(
        0.05, ge=0, le=1, description="a check fails above this error rate, 0-1 (seed 000: 0.05)"
    )
    max_response_time: Duration = Field(
        5.0, gt=0, description="a check fails above this mean latency, seconds (seed 000: 5 s)"
    )
    minimum_requests: Count = Field(
        50, ge=1, le=MAX_COUNT, description="fewer requests in an interval makes its check inconclusive"
    )
    rollback: bool = Field(True, description="roll back on a failed check (seed 000: EnableAutomaticRollback true)")
    ready_timeout: Duration = Field(
        600.0, gt=0, description="the previous version must be ready again by then, else the rollback fails"
    )
