"""Flagger's ``Canary`` and ``MetricTemplate`` (``flagger.app/v1beta1``).

Field names, types and defaults follow the upstream Go types
(``pkg/apis/flagger/v1beta1/canary.go``, ``metric.go``) and the checks the
CRD's schema makes: ``analysis`` needs ``interval`` and ``threshold`` and
exactly one of ``iterations`` (blue-green, or A/B testing with ``match``),
``stepWeight`` or ``stepWeights`` (canary); intervals and timeouts are
minutes or seconds (``1m``, ``30s``). A metric is a builtin
(``request-success-rate``, percent; ``request-duration``, p99 in
milliseconds), a ``templateRef`` to a MetricTemplate, or an inline
``query``; a metric that is none of these fails every check in Flagger, so
here it is an error that names the builtin it may mean. The generated
services are ``<name>-primary`` and ``<name>-canary``, where ``<name>`` is
``service.name`` or else ``targetRef.name``.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, model_validator

from simulator.scenario.base import suggest
from simulator.scenario.manifests.base import (
    Labels,
    ManifestModel,
    Mapping,
    MappingList,
    ObjectMeta,
    ProblemAt,
    Text,
    exactly_one,
)
from simulator.scenario.manifests.quantities import FlaggerInterval, Items

__all__ = [
    "BUILTIN_METRICS", "WEBHOOK_TYPES", "MIN_ANALYSIS_INTERVAL", "CrossNamespaceObjectReference",
    "LocalObjectReference", "AutoscalerReference", "CustomMetadata", "CanaryService", "ThresholdRange",
    "CanaryMetric", "CanaryWebhook", "CanaryAlert", "SessionAffinity", "CanaryAnalysis", "CanarySpec", "Canary",
    "MetricTemplateProvider", "MetricTemplateSpec", "MetricTemplate",
]

BUILTIN_METRICS = ("request-success-rate", "request-duration")
"""Metrics Flagger computes itself: the success rate (percent) and the p99 request duration (milliseconds)."""

WEBHOOK_TYPES = ("confirm-rollout", "pre-rollout", "rollout", "confirm-traffic-increase", "confirm-promotion",
                 "post-rollout", "rollback", "event")
"""The kinds of webhook a Canary may call."""

MIN_ANALYSIS_INTERVAL = 10.0
"""Flagger runs its analysis at least this many seconds apart, whatever ``interval`` says."""


class CrossNamespaceObjectReference(ManifestModel):
    """A reference to an object, perhaps in another namespace (``templateRef``, ``upstreamRef``)."""

    api_version: str | None = None
    kind: str | None = None
    name: Text
    namespace: str | None = None


class LocalObjectReference(ManifestModel):
    """A reference to an object in the Canary's namespace (``targetRef``, ``ingressRef``, ``routeRef``)."""

    api_version: str | None = None
    kind: str | None = None
    name: Text


class ScalerReplicas(ManifestModel):
    """``autoscalerRef.primaryScalerReplicas`` (not simulated)."""

    min_replicas: int | None = Field(None, ge=0)
    max_replicas: int | None = Field(None, ge=0)


class AutoscalerReference(ManifestModel):
    """``autoscalerRef``: an HPA or KEDA ScaledObject (not simulated)."""

    api_version: str | None = None
    kind: str | None = None
    name: Text
    primary_scaler_queries: Labels = Field(default_factory=dict)
    primary_scaler_replicas: ScalerReplicas | None = None


class CustomMetadata(ManifestModel):
    """Labels and annotations of a generated service."""

    labels: Labels = Field(default_factory=dict)
    annotations: Labels = Field(default_factory=dict)


class CanaryService(ManifestModel):
    """``spec.service``: the generated services and routes (only ``name`` and ``port`` are read)."""

    name: str | None = None
    port: int = Field(ge=1, le=65535)
    port_name: str | None = None
    target_port: Any = None
    app_protocol: str | None = None
    traffic_distribution: str | None = None
    port_discovery: bool = False
    headless: bool = False
    timeout: str | None = None
    backend_timeout: str | None = None
    gateways: Items[str] = ()
    gateway_refs: MappingList = ()
    hosts: Items[str] = ()
    delegation: bool = False
    traffic_policy: Mapping | None = None
    match: MappingList = ()
    rewrite: Mapping | None = None
    retries: Mapping | None = None
    headers: Mapping | None = None
    mirror: MappingList = ()
    cors_policy: Mapping | None = None
    mesh_name: str | None = None
    backends: Items[str] = ()
    apex: CustomMetadata | None = None
    primary: CustomMetadata | None = None
    canary: CustomMetadata | None = None
    unmanaged_metadata: Mapping | None = None


class ThresholdRange(ManifestModel):
    """The range a metric's value must stay in: ``min`` and/or ``max``."""

    min: float | None = None
    max: float | None = None


class CanaryMetric(ManifestModel):
    """One check of the analysis."""

    name: Text
    interval: FlaggerInterval = 60.0
    """Window of the query, seconds (``[1m]`` in PromQL); default 1m."""
    threshold: float = 0.0
    """Deprecated bound, used when there is no ``thresholdRange``."""
    threshold_range: ThresholdRange | None = None
    query: str | None = None
    template_ref: CrossNamespaceObjectReference | None = None
    template_variables: Labels = Field(default_factory=dict)

    @model_validator(mode="after")
    def _usable(self) -> CanaryMetric:
        if self.name not in BUILTIN_METRICS and self.template_ref is None and not self.query:
            hint = suggest(self.name, list(BUILTIN_METRICS))
            raise ProblemAt("name", f"got metric '{self.name}' with neither templateRef nor query{hint}; "
                             f"expected a builtin ({', '.join(BUILTIN_METRICS)}), a templateRef or a query")
        return self

    @property
    def source(self) -> str:
        """``builtin``, ``template`` or ``query``: what the check measures."""
        if self.name in BUILTIN_METRICS:
            return "builtin"
        return "template" if self.template_ref is not None else "query"


class CanaryWebhook(ManifestModel):
    """A webhook: a gate (``confirm-*``), a check (``pre-rollout``, ``rollout``, ``post-rollout``, ``rollback``)
    or a notification (``event``)."""

    type: Literal["", "confirm-rollout", "pre-rollout", "rollout", "confirm-traffic-increase", "confirm-promotion",
                  "post-rollout", "rollback", "event"] = "rollout"
    name: Text
    url: Text
    mute_alert: bool = False
    timeout: FlaggerInterval = 10.0
    """Seconds before the call fails; default 10s."""
    metadata: Labels | None = None
    retries: int = Field(0, ge=0)
    disable_tls: bool = Field(False, alias="disableTLS")

    @property
    def kind(self) -> str:
        """The webhook's type; an empty one is a ``rollout`` webhook, as in Flagger."""
        return self.type or "rollout"


class CanaryAlert(ManifestModel):
    """An alert sent through an AlertProvider (not simulated)."""

    name: Text
    severity: Literal["", "info", "warn", "error"] = "info"
    provider_ref: CrossNamespaceObjectReference


class SessionAffinity(ManifestModel):
    """Cookie-based stickiness to the canary: a user the weights sent there stays for ``maxAge`` seconds.

    Only ``cookieName`` and ``maxAge`` change what is simulated; ``primaryCookieName`` is refused when the
    Canary runs, the cookie's other attributes are read and change nothing.
    """

    cookie_name: Text
    primary_cookie_name: str | None = None
    domain: str | None = None
    http_only: bool = False
    max_age: int = Field(86400, ge=0)
    partitioned: bool = False
    path: str | None = None
    same_site: Literal["Strict", "Lax", "None"] | None = None
    secure: bool = False


class CanaryAnalysis(ManifestModel):
    """``spec.analysis``."""

    interval: FlaggerInterval
    """Seconds between checks as written (Flagger runs them no faster than every 10 s: :attr:`interval_seconds`)."""
    iterations: int | None = Field(None, ge=0)
    mirror: bool = False
    mirror_weight: int | None = Field(None, ge=0, le=100)
    max_weight: int | None = Field(None, ge=0, le=100)
    step_weight: int | None = Field(None, ge=0, le=100)
    step_weights: Items[int] | None = None
    step_weight_promotion: int | None = Field(None, ge=0, le=100)
    threshold: int
    """Failed checks before a rollback (a value of 0 or less counts as 1)."""
    primary_ready_threshold: int | None = Field(None, ge=0, le=100)
    canary_ready_threshold: int | None = Field(None, ge=0, le=100)
    alerts: Items[CanaryAlert] = ()
    metrics: Items[CanaryMetric] = ()
    webhooks: Items[CanaryWebhook] = ()
    match: MappingList = ()
    session_affinity: SessionAffinity | None = None

    @model_validator(mode="after")
    def _one_progression(self) -> CanaryAnalysis:
        exactly_one("analysis", {"iterations": self.iterations is not None, "stepWeight": self.step_weight is not None,
                                 "stepWeights": self.step_weights is not None})
        for weight in self.step_weights or ():
            if not 0 <= weight <= 100:
                raise ProblemAt("stepWeights", f"got {list(self.step_weights or ())}; "
                                "expected percentages 0 to 100")
        return self

    @property
    def interval_seconds(self) -> float:
        """Seconds between checks: ``interval``, at least 10 s."""
        return max(self.interval, MIN_ANALYSIS_INTERVAL)

    @property
    def failure_threshold(self) -> int:
        """Failed checks that roll back (``threshold``, at least 1)."""
        return self.threshold if self.threshold > 0 else 1

    @property
    def strategy_kind(self) -> str:
        """``ab-testing`` (iterations with match), ``blue-green`` (iterations) or ``canary``, as Flagger decides."""
        if self.iterations:
            return "ab-testing" if self.match else "blue-green"
        return "canary"

    @property
    def effective_max_weight(self) -> int:
        """The weight after which the canary is promoted: the last ``stepWeights``, else ``maxWeight``, else 100."""
        if self.step_weights:
            return min(100, self.step_weights[-1])
        return self.max_weight or 100


class CanarySpec(ManifestModel):
    """``spec`` of a Canary."""

    provider: str | None = None
    metrics_server: str | None = None
    target_ref: LocalObjectReference
    autoscaler_ref: AutoscalerReference | None = None
    ingress_ref: LocalObjectReference | None = None
    route_ref: LocalObjectReference | None = None
    upstream_ref: CrossNamespaceObjectReference | None = None
    service: CanaryService
    analysis: CanaryAnalysis
    canary_analysis: Mapping | None = None
    """Deprecated spelling of ``analysis``; ``analysis`` wins, so this is read and ignored."""
    progress_deadline_seconds: int = Field(600, ge=0)
    skip_analysis: bool = False
    revert_on_deletion: bool = False
    suspend: bool = False


class Canary(ManifestModel):
    """A Flagger ``Canary``."""

    api_version: Literal["flagger.app/v1beta1"]
    kind: Literal["Canary"]
    metadata: ObjectMeta
    spec: CanarySpec
    status: Any = None

    @property
    def name(self) -> str:
        """``metadata.name``."""
        return self.metadata.name

    @property
    def apex_service(self) -> str:
        """The service clients call: ``service.name``, else ``targetRef.name``."""
        return self.spec.service.name or self.spec.target_ref.name

    @property
    def primary_service(self) -> str:
        """``<apex>-primary``: the service of the stable version."""
        return f"{self.apex_service}-primary"

    @property
    def canary_service(self) -> str:
        """``<apex>-canary``: the service of the candidate."""
        return f"{self.apex_service}-canary"


class MetricTemplateProvider(ManifestModel):
    """Where a MetricTemplate's query runs."""

    type: Literal["prometheus", "influxdb", "datadog", "externalmetrics", "stackdriver", "cloudwatch", "newrelic",
                  "graphite", "dynatrace", "keptn", "splunk"]
    address: str | None = None
    headers: dict[str, Items[str]] | None = None
    secret_ref: Mapping | None = None
    region: str | None = None
    insecure_skip_verify: bool = False


class MetricTemplateSpec(ManifestModel):
    """``spec`` of a MetricTemplate: a provider and a query (Go template: ``{{ target }}``, ``{{ interval }}``)."""

    provider: MetricTemplateProvider
    query: Text


class MetricTemplate(ManifestModel):
    """A Flagger ``MetricTemplate``."""

    api_version: Literal["flagger.app/v1beta1"]
    kind: Literal["MetricTemplate"]
    metadata: ObjectMeta
    spec: MetricTemplateSpec
    status: Any = None

    @property
    def name(self) -> str:
        """``metadata.name``."""
        return self.metadata.name
