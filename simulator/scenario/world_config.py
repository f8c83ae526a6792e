"""Scenario models of the simulated world: traffic, service, versions, monitoring, faults."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Discriminator, Field, Tag, field_validator, model_validator

from simulator.scenario.autoscaling_config import AutoscalingConfig
from simulator.scenario.base import StrictModel
from simulator.scenario.drift_config import DriftMonitorConfig
from simulator.scenario.health_check_config import HealthCheckConfig
from simulator.scenario.limits import MAX_CONCURRENCY, MAX_FACTOR, MAX_REPLICAS, MAX_USERS
from simulator.scenario.types import Count, Duration, Fraction, Latency, Number, Rate
from simulator.scenario.version_config import VersionConfig

__all__ = [
    "ConstantPattern",
    "DiurnalPattern",
    "SpikePattern",
    "TrafficPattern",
    "TrafficConfig",
    "ServiceConfig",
    "VersionConfig",
    "LabelsConfig",
    "MonitoringConfig",
    "CrashFault",
    "LatencyFault",
    "ErrorRateFault",
    "DependencyOutageFault",
    "MetricsOutageFault",
    "TrafficSpikeFault",
    "RegionOutageFault",
    "Fault",
    "SimulationConfig",
    "RollbackOperation",
    "PromoteOperation",
    "Operation",
    "HealthCheckConfig",
    "SLOConfig",
]


class ConstantPattern(StrictModel):
    """Traffic at the base rate all the time."""

    kind: Literal["constant"] = "constant"


class DiurnalPattern(StrictModel):
    """Daily cycle: ``rate * (1 + amplitude * cos(2π (t - peak_at) / period))``."""

    kind: Literal["diurnal"]
    amplitude: Fraction = Field(0.3, ge=0, le=1, description="relative swing around the base rate, 0-1")
    period: Duration = Field(86400.0, gt=0, description="cycle length, seconds")
    peak_at: Duration = Field(43200.0, description="time of the daily peak within the cycle, seconds")


class SpikePattern(StrictModel):
    """The rate is multiplied by ``factor`` from ``at`` for ``for`` seconds."""

    kind: Literal["spike"]
    at: Duration
    factor: Number = Field(gt=0, le=MAX_FACTOR, description="rate multiplier")
    duration: Duration = Field(alias="for", gt=0)


TrafficPattern = Annotated[ConstantPattern | DiurnalPattern | SpikePattern, Field(discriminator="kind")]


class TrafficConfig(StrictModel):
    """Request arrivals: a Poisson process with a time-varying rate."""

    rate: Rate = Field(gt=0, description="base arrival rate, requests/s")
    users: Count = Field(100_000, ge=1, le=MAX_USERS, description="distinct users sending the requests (uniformly)")
    pattern: list[TrafficPattern] = Field(default_factory=list, description="one pattern or a list (multiplied)")

    @field_validator("pattern", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        if isinstance(value, dict):
            return [value]
        return value


class ServiceConfig(StrictModel):
    """How a version is served: replicas, concurrency, timeout, balancing."""

    replicas: Count = Field(gt=0, le=MAX_REPLICAS, description="replicas of the stable version")
    concurrency: Count = Field(1, gt=0, le=MAX_CONCURRENCY, description="requests one replica serves at once")
    timeout: Duration = Field(30.0, gt=0, description="client timeout, seconds (queue wait + service)")
    balancer: Literal["random", "round_robin", "least_connections"] = "random"
    restart_delay: Duration | None = Field(
        None, ge=0, description="time a crashed replica takes to serve again, seconds (default: its startup)"
    )
    autoscaling: AutoscalingConfig | None = Field(
        None, description="replicas follow the load: {kind: kpa|hpa, min, max, metric, target} (default: fixed)"
    )

    @model_validator(mode="before")
    @classmethod
    def _from_inference_service(cls, data: Any) -> Any:
        if isinstance(data, dict) and "from" in data:
            from simulator.scenario.service_from_manifest import service_from_manifest

            return service_from_manifest(data)
        return data


class LabelsConfig(StrictModel):
    """Ground truth: a ``fraction`` of predictions get a label ``delay`` seconds after the response."""

    delay: Duration = Field(0.0, ge=0)
    fraction: Fraction = Field(1.0, ge=0, le=1)


class MonitoringConfig(StrictModel):
    """What the monitoring stack gives a strategy."""

    scrape_interval: Duration = Field(15.0, gt=0, description="seconds between metric scrapes")
    delay: Duration = Field(0.0, ge=0, description="seconds before a scrape is visible to queries")
    labels: LabelsConfig = Field(default_factory=LabelsConfig)
    latency_bucket_factor: Number = Field(
        1.2, gt=1, le=4, description="ratio between consecutive latency histogram bucket bounds"
    )
    drift: DriftMonitorConfig | None = Field(None, description="a standing drift monitor on production")


_REGION_DESCRIPTION = "the region it hits (a scenario with regions; default: every region)"


class _VersionFault(StrictModel):
    version: str
    at: Duration
    region: str | None = Field(None, description=_REGION_DESCRIPTION)


class CrashFault(_VersionFault):
    """``replicas`` ready replicas of ``version`` (the oldest first) crash at ``at`` and restart."""

    kind: Literal["crash"]
    replicas: Count = Field(1, gt=0, le=MAX_REPLICAS)
    restart_after: Duration | None = Field(None, ge=0, description="default: service.restart_delay or startup")


class LatencyFault(_VersionFault):
    """Service times of ``version`` are multiplied by ``factor`` for ``for`` seconds."""

    kind: Literal["latency"]
    factor: Number = Field(gt=0, le=MAX_FACTOR, description="service time multiplier")
    duration: Duration | None = Field(None, alias="for", gt=0, description="default: until the end")


class ErrorRateFault(_VersionFault):
    """``version`` fails an extra ``error_rate`` of requests for ``for`` seconds."""

    kind: Literal["error_rate"]
    error_rate: Fraction = Field(gt=0, le=1)
    duration: Duration | None = Field(None, alias="for", gt=0)


class DependencyOutageFault(StrictModel):
    """A shared dependency fails ``error_rate`` of the requests of every version."""

    kind: Literal["dependency_outage"]
    at: Duration
    duration: Duration = Field(alias="for", gt=0)
    error_rate: Fraction = Field(1.0, gt=0, le=1)
    region: str | None = Field(None, description=_REGION_DESCRIPTION)


class MetricsOutageFault(StrictModel):
    """No scrapes succeed from ``at`` for ``for`` seconds."""

    kind: Literal["metrics_outage"]
    at: Duration
    duration: Duration = Field(alias="for", gt=0)
    region: str | None = Field(None, description="the region whose scrapes are lost (default: every region)")


class TrafficSpikeFault(StrictModel):
    """The arrival rate is multiplied by ``factor`` from ``at`` for ``for`` seconds."""

    kind: Literal["traffic_spike"]
    at: Duration
    factor: Number = Field(gt=0, le=MAX_FACTOR, description="rate multiplier")
    duration: Duration = Field(alias="for", gt=0)
    region: str | None = Field(None, description="the region whose traffic spikes (default: every region)")


class RegionOutageFault(StrictModel):
    """Region ``region`` is down from ``at`` for ``for`` seconds: its replicas stop serving, in-flight work is lost.

    The global balancer sends the region's requests to the other regions
    meanwhile (unless the region says ``failover: false``); afterwards its
    replicas serve again, their queues empty.
    """

    kind: Literal["region_outage"]
    region: str
    at: Duration
    duration: Duration | None = Field(None, alias="for", gt=0, description="default: until the end")


Fault = Annotated[
    CrashFault | LatencyFault | ErrorRateFault | DependencyOutageFault | MetricsOutageFault | TrafficSpikeFault
    | RegionOutageFault,
    Field(discriminator="kind"),
]


class RollbackOperation(StrictModel):
    """An operator's rollback at ``at``: production goes back to ``rollback_to`` (a version, or ``previous``).

    As seed 000's ``RollbackModelAsync(deploymentId, targetVersion)``: the
    target is started at production's size, takes all traffic once ready,
    and the version it replaces is retired. A rollout still in progress is
    aborted first.

    With ``via: blue_green`` (seed 004's ``rollback_deployment``, which
    redeploys the target through ``_deploy_blue_green``), the ready target
    is health-checked first (``health_check``) and takes the traffic only if
    the check passes; otherwise it is removed and production stays as it is.
    """

    at: Duration
    rollback_to: str = Field(description="a version name, or 'previous' for the previous production version")
    ready_timeout: Duration = Field(600.0, gt=0)
    via: Literal["direct", "blue_green"] = Field(
        "direct", description="direct: switch once ready; blue_green: health-check the ready target first"
    )
    health_check: HealthCheckConfig | None = Field(
        None, description="the check with via: blue_green (default: 10 requests, none may fail)"
    )

    @model_validator(mode="after")
    def _health_check_needs_blue_green(self) -> RollbackOperation:
        if self.health_check is not None and self.via != "blue_green":
            raise ValueError(f"got health_check with via: {self.via}; expected via: blue_green (only a blue-green "
                             "rollback checks its target)")
        return self

    def target_check(self) -> HealthCheckConfig | None:
        """The health check the target must pass before the switch, or ``None`` for a direct rollback."""
        if self.via != "blue_green":
            return None
        return self.health_check or HealthCheckConfig()


class PromoteOperation(StrictModel):
    """An operator's promote at ``at`` seconds, of the rollout run by strategy ``promote``.

    On a rollout read from Argo Rollouts manifests it is ``kubectl argo
    rollouts promote`` (with ``full``, ``promote --full``; see
    :mod:`simulator.strategies.argo`). On a KServe InferenceService's canary
    (a strategy ``{from: isvc.yaml}``) it is setting ``canaryTrafficPercent``
    to 100: all traffic to the new revision at once, the rest of the
    monitoring and its checks skipped (see
    :class:`~simulator.strategies.canary.CanaryStrategy`); ``full`` is
    refused there. The scenario refuses a promote of any other strategy; in
    a run of another strategy the operation does nothing. A promote of a
    rollout that has already decided does nothing either.
    """

    at: Duration
    promote: str = Field(description="the label of the strategy whose rollout is promoted (an Argo Rollout's or a "
                                     "KServe InferenceService's canary)")
    full: bool = Field(False, description="promote --full: skip every remaining step, pause and analysis (Argo only)")


def _operation_kind(value: Any) -> str:
    if isinstance(value, PromoteOperation) or (isinstance(value, dict) and "promote" in value):
        return "PromoteOperation"
    return "RollbackOperation"


Operation = Annotated[
    Annotated[RollbackOperation, Tag("RollbackOperation")] | Annotated[PromoteOperation, Tag("PromoteOperation")],
    Discriminator(_operation_kind),
]
"""An operator's action: a rollback (``rollback_to``) or a promote (``promote``) of an Argo or KServe rollout."""


class SLOConfig(StrictModel):
    """Service-level objectives over user traffic, judged per scrape interval."""

    latency_p99: Latency | None = Field(None, gt=0, description="p99 latency objective, seconds")
    error_rate: Fraction | None = Field(None, ge=0, le=1, description="error-rate objective, 0-1")


class SimulationConfig(StrictModel):
    """Engine settings."""

    data_plane: Literal["batch", "per_request"] = Field(
        "batch", description="batch: vectorised slices (fast); per_request: one simpy process per request (reference)"
    )
    until: Literal["window", "horizon", "rollout_end"] = Field(
        "window",
        description="window: every run to the end of the scenario's window (observe, else the horizon), so that all "
                    "strategies are measured over the same time; horizon: the same; rollout_end: stop when the "
                    "rollout has finished (faster, but each run then covers its own span)",
    )
    max_slice: Duration = Field(60.0, gt=0, description="longest data-plane slice, seconds")
