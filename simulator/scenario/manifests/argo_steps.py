"""Argo Rollouts canary steps and analysis references (``argoproj.io/v1alpha1``).

Field names, types and defaults follow the upstream Go types
(``pkg/apis/rollouts/v1alpha1/types.go``). A step has exactly one key. The
steps the simulator runs are ``setWeight``, ``pause``, ``setCanaryScale``
and ``analysis``; ``experiment``, ``setHeaderRoute``, ``setMirrorRoute``
and ``plugin`` are read (their own keys checked, their contents not) and
marked by :attr:`CanaryStep.unsupported`, so that a runner can refuse them
by name.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, model_validator

from simulator.scenario.manifests.base import ManifestModel, MappingList, PodMetadata, Text, exactly_one
from simulator.scenario.manifests.quantities import Items, PauseSeconds

__all__ = [
    "AnalysisTemplateRef", "FieldRef", "ArgumentValueFrom", "AnalysisArgument", "DryRun", "MeasurementRetention",
    "RolloutAnalysis", "BackgroundAnalysis", "Pause", "SetCanaryScale", "ExperimentStep", "SetHeaderRoute",
    "SetMirrorRoute", "PluginStep", "CanaryStep", "STEP_KINDS", "UNSUPPORTED_STEPS",
]


class AnalysisTemplateRef(ManifestModel):
    """One template of an analysis: an ``AnalysisTemplate``, or a ``ClusterAnalysisTemplate`` with ``clusterScope``."""

    template_name: Text
    cluster_scope: bool = False

    @property
    def kind(self) -> str:
        """The kind of object named: ``AnalysisTemplate`` or ``ClusterAnalysisTemplate``."""
        return "ClusterAnalysisTemplate" if self.cluster_scope else "AnalysisTemplate"


class FieldRef(ManifestModel):
    """``valueFrom.fieldRef``: a field of the Rollout (``metadata.name``, ``metadata.labels['app']``)."""

    field_path: Text


class ArgumentValueFrom(ManifestModel):
    """Where an argument's value comes from: a ReplicaSet's pod template hash, or a field of the Rollout."""

    pod_template_hash_value: Literal["Stable", "Latest"] | None = None
    field_ref: FieldRef | None = None

    @model_validator(mode="after")
    def _one_source(self) -> ArgumentValueFrom:
        exactly_one("valueFrom", {"podTemplateHashValue": self.pod_template_hash_value is not None,
                                  "fieldRef": self.field_ref is not None})
        return self


class AnalysisArgument(ManifestModel):
    """An argument passed to the analysis templates: ``value`` or ``valueFrom``."""

    name: Text
    value: str | None = None
    value_from: ArgumentValueFrom | None = None

    @model_validator(mode="after")
    def _not_both(self) -> AnalysisArgument:
        if self.value is not None and self.value_from is not None:
            raise ValueError(f"got both value and valueFrom for argument '{self.name}'; expected one of them")
        return self


class DryRun(ManifestModel):
    """A metric whose failures do not fail the analysis (``dryRun``)."""

    metric_name: Text


class MeasurementRetention(ManifestModel):
    """How many measurements of a metric a run keeps (not simulated: every measurement is kept)."""

    metric_name: Text
    limit: int = Field(ge=0)


class RolloutAnalysis(ManifestModel):
    """An analysis run made of one or more templates (an analysis step, pre- or post-promotion analysis)."""

    templates: Items[AnalysisTemplateRef] = ()
    args: Items[AnalysisArgument] = ()
    dry_run: Items[DryRun] = ()
    measurement_retention: Items[MeasurementRetention] = ()
    analysis_run_metadata: PodMetadata | None = None

    @model_validator(mode="after")
    def _some_template(self) -> RolloutAnalysis:
        if not self.templates:
            raise ValueError("got no templates; expected at least one {templateName: ...} under templates")
        return self

    @property
    def template_names(self) -> list[str]:
        """The names of the templates, in order."""
        return [template.template_name for template in self.templates]


class BackgroundAnalysis(RolloutAnalysis):
    """``canary.analysis``: runs beside the steps, from ``startingStep`` (default 0) on."""

    starting_step: int = Field(0, ge=0)


class Pause(ManifestModel):
    """``pause: {duration: 1m}`` waits; ``pause: {}`` waits for a promote."""

    duration: PauseSeconds | None = None
    """Seconds to wait (whole seconds, as Argo keeps them); ``None``: until promoted."""


class SetCanaryScale(ManifestModel):
    """Scale the canary without changing its traffic weight: ``replicas``, ``weight`` (percent of spec.replicas)
    or ``matchTrafficWeight``."""

    weight: int | None = Field(None, ge=0, le=100)
    replicas: int | None = Field(None, ge=0)
    match_traffic_weight: bool = False

    @model_validator(mode="after")
    def _one_way(self) -> SetCanaryScale:
        exactly_one("setCanaryScale", {"replicas": self.replicas is not None, "weight": self.weight is not None,
                                       "matchTrafficWeight": self.match_traffic_weight})
        return self


class ExperimentStep(ManifestModel):
    """``experiment``: read, not simulated."""

    templates: MappingList
    duration: str | None = None
    analyses: MappingList = ()
    dry_run: Items[DryRun] = ()
    analysis_run_metadata: PodMetadata | None = None
    scale_down_delay_seconds: int | None = Field(None, ge=0)


class SetHeaderRoute(ManifestModel):
    """``setHeaderRoute``: read, not simulated."""

    name: str | None = None
    match: MappingList = ()


class SetMirrorRoute(ManifestModel):
    """``setMirrorRoute``: read, not simulated."""

    name: Text
    match: MappingList = ()
    percentage: int | None = Field(None, ge=0, le=100)


class PluginStep(ManifestModel):
    """``plugin``: a step plugin; read, not simulated."""

    name: Text
    config: Any = None


STEP_KINDS = ("setWeight", "pause", "setCanaryScale", "analysis", "experiment", "setHeaderRoute",
              "setMirrorRoute", "plugin")
"""The keys a canary step may have (exactly one of them)."""

UNSUPPORTED_STEPS = {
    "experiment": "experiment steps (extra ReplicaSets beside the canary) are not simulated",
    "setHeaderRoute": "header-based routes are not simulated",
    "setMirrorRoute": "mirror routes are not simulated",
    "plugin": "step plugins are not simulated",
}
"""Step kinds that are read but that a runner refuses, with the reason it gives."""


class CanaryStep(ManifestModel):
    """One step of ``canary.steps``: exactly one key."""

    set_weight: int | None = Field(None, ge=0)
    """Percent of traffic to the canary (0 to ``trafficRouting.maxTrafficWeight``, default 100)."""
    pause: Pause | None = None
    set_canary_scale: SetCanaryScale | None = None
    analysis: RolloutAnalysis | None = None
    experiment: ExperimentStep | None = None
    set_header_route: SetHeaderRoute | None = None
    set_mirror_route: SetMirrorRoute | None = None
    plugin: PluginStep | None = None

    @model_validator(mode="after")
    def _one_key(self) -> CanaryStep:
        exactly_one("a step", {key: getattr(self, _FIELD_OF[key]) is not None for key in STEP_KINDS})
        return self

    @property
    def kind(self) -> str:
        """The step's key: ``setWeight``, ``pause``, ``setCanaryScale``, ``analysis``, ..."""
        return next(key for key in STEP_KINDS if getattr(self, _FIELD_OF[key]) is not None)

    @property
    def unsupported(self) -> str | None:
        """Why a runner refuses this step, or ``None`` when it is simulated."""
        return UNSUPPORTED_STEPS.get(self.kind)


_FIELD_OF = {key: name for name, field in CanaryStep.model_fields.items() for key in [field.alias or name]}
