"""The Argo Rollouts ``Rollout`` (``argoproj.io/v1alpha1``): spec, canary and blue-green strategies.

Field names, types and defaults follow the upstream Go types
(``pkg/apis/rollouts/v1alpha1/types.go``, defaults from
``utils/defaults``). The checks are those of Argo's own validation that
decide what a rollout does: exactly one strategy, exactly one key per step,
``setWeight`` within 0 to ``maxTrafficWeight``, distinct services, steps
that need traffic routing, ``maxSurge`` and ``maxUnavailable`` not both 0.
The pod template, the selector and every traffic router's settings are
accepted as they are.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, model_validator

from simulator.scenario.manifests.argo_steps import AnalysisTemplateRef, BackgroundAnalysis, CanaryStep, RolloutAnalysis
from simulator.scenario.manifests.base import (
    ManifestModel,
    Mapping,
    MappingList,
    ObjectMeta,
    PodMetadata,
    ProblemAt,
    Text,
    exactly_one,
)
from simulator.scenario.manifests.quantities import IntOrPercent, Items, scaled_value

__all__ = ["TrafficRouting", "CanaryStrategy", "BlueGreenStrategy", "RolloutStrategy", "RolloutSpec", "Rollout",
           "ObjectRef", "AntiAffinity", "PingPong", "ReplicaProgressThreshold", "RollbackWindow", "AnalysisRunStrategy"]


class TrafficRouting(ManifestModel):
    """``canary.trafficRouting``: which router sets the weights; each router's own settings are not modelled."""

    istio: Mapping | None = None
    nginx: Mapping | None = None
    alb: Mapping | None = None
    smi: Mapping | None = None
    ambassador: Mapping | None = None
    app_mesh: Mapping | None = None
    traefik: Mapping | None = None
    managed_routes: MappingList = ()
    apisix: Mapping | None = None
    plugins: Mapping | None = None
    max_traffic_weight: int | None = Field(None, ge=1)

    @property
    def providers(self) -> list[str]:
        """The routers configured (``istio``, ``nginx``, ``plugins``, ...)."""
        names = ("istio", "nginx", "alb", "smi", "ambassador", "appMesh", "traefik", "apisix", "plugins")
        return [name for name, field in zip(names, _ROUTERS, strict=True) if getattr(self, field) is not None]

    @property
    def max_weight(self) -> int:
        """The weight that means all traffic (``maxTrafficWeight``, default 100)."""
        return self.max_traffic_weight or 100


_ROUTERS = ("istio", "nginx", "alb", "smi", "ambassador", "app_mesh", "traefik", "apisix", "plugins")


class AntiAffinity(ManifestModel):
    """Pod anti-affinity between old and new pods (not simulated)."""

    preferred_during_scheduling_ignored_during_execution: Mapping | None = None
    required_during_scheduling_ignored_during_execution: Mapping | None = None


class PingPong(ManifestModel):
    """``canary.pingPong``: two services swapped at each rollout (not simulated)."""

    ping_service: Text
    pong_service: Text


class ReplicaProgressThreshold(ManifestModel):
    """How many canary pods must be ready before a step goes on (not simulated)."""

    type: Literal["Pod", "Percent"]
    value: int = Field(ge=0)


class CanaryStrategy(ManifestModel):
    """``strategy.canary``."""

    canary_service: str | None = None
    stable_service: str | None = None
    steps: Items[CanaryStep] = ()
    traffic_routing: TrafficRouting | None = None
    max_unavailable: IntOrPercent = "25%"
    """Pods that may be unavailable during the update (without traffic routing); default 25 %."""
    max_surge: IntOrPercent = "25%"
    """Pods above ``spec.replicas`` during the update (without traffic routing); default 25 %."""
    analysis: BackgroundAnalysis | None = None
    anti_affinity: AntiAffinity | None = None
    canary_metadata: PodMetadata | None = None
    stable_metadata: PodMetadata | None = None
    scale_down_delay_seconds: int | None = Field(None, ge=0)
    """Seconds before the old ReplicaSet scales down after promotion (traffic routing only; default 30)."""
    scale_down_delay_revision_limit: int | None = Field(None, ge=0)
    abort_scale_down_delay_seconds: int | None = Field(None, ge=0)
    """Seconds before the canary scales down after an abort (traffic routing only; 0: never; unset: 30, or as
    the traffic leaves it with ``dynamicStableScale``)."""
    dynamic_stable_scale: bool = False
    """Scale the stable ReplicaSet down as the canary's weight rises (traffic routing only)."""
    ping_pong: PingPong | None = None
    min_pods_per_replica_set: int | None = Field(None, ge=0)
    replica_progress_threshold: ReplicaProgressThreshold | None = None

    @model_validator(mode="after")
    def _argo_rules(self) -> CanaryStrategy:
        if self.canary_service and self.canary_service == self.stable_service:
            raise ProblemAt("stableService", f"got '{self.stable_service}', the canaryService too; "
                            "expected two different services")
        if scaled_value(self.max_surge, 100, round_up=True) == 0 and \
                scaled_value(self.max_unavailable, 100, round_up=False) == 0:
            raise ValueError("got maxSurge and maxUnavailable both 0; expected at least one of them above 0")
        routed = self.traffic_routing is not None
        needs_routing = [("dynamicStableScale", self.dynamic_stable_scale),
                         ("scaleDownDelaySeconds", self.scale_down_delay_seconds is not None),
                         *[(f"steps[{index}].setCanaryScale", step.set_canary_scale is not None)
                           for index, step in enumerate(self.steps)]]
        for key, is_set in needs_routing:
            if is_set and not routed:
                raise ProblemAt(key, f"got {key.split('.')[-1]} without trafficRouting; expected trafficRouting "
                                "with it (Argo refuses it in replica-weighted canaries)")
        if routed and self.dynamic_stable_scale and self.scale_down_delay_seconds is not None:
            raise ProblemAt("dynamicStableScale", "got dynamicStableScale with scaleDownDelaySeconds; "
                            "expected one of them")
        max_weight = self.traffic_routing.max_weight if self.traffic_routing else 100
        for index, step in enumerate(self.steps):
            if step.set_weight is not None and not 0 <= step.set_weight <= max_weight:
                raise ProblemAt(f"steps[{index}].setWeight", f"got {step.set_weight}; expected 0 to "
                                f"{max_weight} (trafficRouting.maxTrafficWeight, default 100)")
        return self

    @property
    def scale_down_delay(self) -> int:
        """Seconds before the old ReplicaSet scales down after promotion (30 unless set)."""
        return 30 if self.scale_down_delay_seconds is None else self.scale_down_delay_seconds

    @property
    def weights(self) -> list[int]:
        """The ``setWeight`` values, in order."""
        return [step.set_weight for step in self.steps if step.set_weight is not None]


class BlueGreenStrategy(ManifestModel):
    """``strategy.blueGreen``."""

    active_service: Text
    preview_service: str | None = None
    preview_replica_count: int | None = Field(None, ge=0)
    """Replicas of the preview before promotion (``None``: all of ``spec.replicas``)."""
    auto_promotion_enabled: bool = True
    auto_promotion_seconds: int = Field(0, ge=0)
    """Seconds after the preview is ready before promotion (with auto-promotion)."""
    max_unavailable: IntOrPercent | None = None
    scale_down_delay_seconds: int = Field(30, ge=0)
    """Seconds before the old ReplicaSet scales down after the switch."""
    scale_down_delay_revision_limit: int | None = Field(None, ge=0)
    pre_promotion_analysis: RolloutAnalysis | None = None
    anti_affinity: AntiAffinity | None = None
    post_promotion_analysis: RolloutAnalysis | None = None
    preview_metadata: PodMetadata | None = None
    active_metadata: PodMetadata | None = None
    abort_scale_down_delay_seconds: int = Field(30, ge=0)
    """Seconds before the preview scales down after an abort (0: never)."""

    @model_validator(mode="after")
    def _distinct_services(self) -> BlueGreenStrategy:
        if self.active_service == self.preview_service:
            raise ProblemAt("previewService", f"got '{self.preview_service}', the activeService too; "
                            "expected two different services")
        return self


class RolloutStrategy(ManifestModel):
    """``spec.strategy``: exactly one of ``canary`` and ``blueGreen``."""

    blue_green: BlueGreenStrategy | None = None
    canary: CanaryStrategy | None = None

    @model_validator(mode="after")
    def _one_strategy(self) -> RolloutStrategy:
        exactly_one("spec.strategy", {"canary": self.canary is not None, "blueGreen": self.blue_green is not None})
        return self


class ObjectRef(ManifestModel):
    """``workloadRef``: a Deployment that holds the pod template."""

    api_version: str | None = None
    kind: str | None = None
    name: str | None = None
    scale_down: Literal["never", "onsuccess", "progressively"] | None = None


class RollbackWindow(ManifestModel):
    """``rollbackWindow``: revisions within which a rollback skips the steps (not simulated)."""

    revisions: int = Field(0, ge=0)


class AnalysisRunStrategy(ManifestModel):
    """``spec.analysis``: how many analysis runs are kept (not simulated)."""

    successful_run_history_limit: int | None = Field(None, ge=0)
    unsuccessful_run_history_limit: int | None = Field(None, ge=0)


class RolloutSpec(ManifestModel):
    """``spec`` of a Rollout."""

    replicas: int = Field(1, ge=0)
    selector: Mapping | None = None
    template: Mapping | None = None
    workload_ref: ObjectRef | None = None
    min_ready_seconds: int = Field(0, ge=0)
    rollback_window: RollbackWindow | None = None
    strategy: RolloutStrategy
    revision_history_limit: int = Field(10, ge=0)
    paused: bool = False
    progress_deadline_seconds: int = Field(600, ge=0)
    progress_deadline_abort: bool = False
    restart_at: Any = None
    analysis: AnalysisRunStrategy | None = None

    @model_validator(mode="after")
    def _selector(self) -> RolloutSpec:
        if self.selector is None and self.workload_ref is None:
            raise ProblemAt("selector", "got no selector; expected a label selector (or a workloadRef that gives one)")
        return self


class Rollout(ManifestModel):
    """An Argo Rollouts ``Rollout``."""

    api_version: Literal["argoproj.io/v1alpha1"]
    kind: Literal["Rollout"]
    metadata: ObjectMeta
    spec: RolloutSpec
    status: Any = None

    @property
    def name(self) -> str:
        """``metadata.name``."""
        return self.metadata.name

    @property
    def strategy_kind(self) -> str:
        """``canary`` or ``blue-green``."""
        return "canary" if self.spec.strategy.canary is not None else "blue-green"

    def analysis_refs(self) -> list[tuple[str, AnalysisTemplateRef]]:
        """Every template reference, with its key path under the Rollout (``spec.strategy...templateName``)."""
        found: list[tuple[str, RolloutAnalysis]] = []
        canary, blue_green = self.spec.strategy.canary, self.spec.strategy.blue_green
        if canary is not None:
            for index, step in enumerate(canary.steps):
                if step.analysis is not None:
                    found.append((f"spec.strategy.canary.steps[{index}].analysis", step.analysis))
            if canary.analysis is not None:
                found.append(("spec.strategy.canary.analysis", canary.analysis))
        if blue_green is not None:
            for key in ("prePromotionAnalysis", "postPromotionAnalysis"):
                analysis = getattr(blue_green, {"prePromotionAnalysis": "pre_promotion_analysis",
                                                "postPromotionAnalysis": "post_promotion_analysis"}[key])
                if analysis is not None:
                    found.append((f"spec.strategy.blueGreen.{key}", analysis))
        return [(f"{path}.templates[{index}].templateName", ref)
                for path, analysis in found for index, ref in enumerate(analysis.templates)]
