"""The KServe ``InferenceService`` (``serving.kserve.io/v1beta1`` and the older ``serving.kubeflow.org/v1beta1``).

Read are what decides how the model is served and rolled out: the
predictor's ``minReplicas``, ``maxReplicas``, ``scaleTarget``,
``scaleMetric`` and ``containerConcurrency``, and ``canaryTrafficPercent``
(on the predictor, where v1beta1 puts it, or on ``spec``, where seed 004's
file has it). The model itself (``sklearn``, ``model``, ``containers``, ...),
the transformer and the explainer are accepted as they are.

How they become the simulator's settings (KServe in serverless mode, on
Knative's autoscaler, with Knative's defaults):

* replicas start at ``minReplicas`` (default 1; with 0, at Knative's
  initial scale of 1, and an idle revision scales to zero) and stay within
  ``maxReplicas`` (0 or unset: no limit here beyond the simulator's own);
* ``scaleMetric: concurrency`` or ``rps`` is the KPA's metric, and its
  target per pod is ``scaleTarget`` (default: ``containerConcurrency`` for
  concurrency when set, else Knative's 100 requests in flight or 200
  requests/s) times Knative's target utilisation, 70 %; ``cpu`` is an HPA on
  utilisation ``scaleTarget`` %;
* ``containerConcurrency`` above 0 is the requests one replica serves at
  once (``service.concurrency``).

With the annotation ``serving.kserve.io/deploymentMode: RawDeployment`` (or
``Standard``, its newer name) KServe deploys a plain Deployment instead: it
starts at ``minReplicas`` (at least 1: no scale to zero) under KServe's HPA
on ``cpu`` at ``scaleTarget`` % (80 by default), or at a fixed count with
``serving.kserve.io/autoscalerClass: none`` or ``external``; concurrency
and rps, Knative's metrics, are refused, and so is ``canaryTrafficPercent``
(KServe runs canaries in Serverless mode only). ``containerConcurrency``,
which Knative's queue-proxy enforces, is not read in that mode.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, model_validator

from simulator.scenario.limits import MAX_REPLICAS
from simulator.scenario.manifests.base import ManifestModel, Mapping, MappingList, ObjectMeta, ProblemAt

__all__ = ["InferenceService", "Predictor", "InferenceServiceSpec", "KSERVE_API_VERSIONS",
           "KNATIVE_TARGET_UTILISATION"]

KSERVE_API_VERSIONS = ("serving.kserve.io/v1beta1", "serving.kubeflow.org/v1beta1")

KNATIVE_TARGET_UTILISATION = 0.7
"""Knative's ``container-concurrency-target-percentage`` default: the share of the target it aims at."""

_KNATIVE_DEFAULT_TARGET = {"concurrency": 100.0, "rps": 200.0}
"""Knative's default targets per pod when the InferenceService gives none."""


class Predictor(ManifestModel):
    """``spec.predictor``: the model server and how it scales."""

    min_replicas: int | None = Field(None, ge=0, le=MAX_REPLICAS)
    max_replicas: int | None = Field(None, ge=0, le=MAX_REPLICAS)
    scale_target: int | None = Field(None, gt=0)
    scale_metric: Literal["concurrency", "rps", "cpu", "memory"] | None = None
    container_concurrency: int | None = Field(None, ge=0)
    canary_traffic_percent: int | None = Field(None, ge=0, le=100)
    timeout: int | None = Field(None, gt=0)
    service_account_name: str | None = None
    batcher: Mapping | None = None
    logger: Mapping | None = None
    annotations: Mapping | None = None
    labels: Mapping | None = None
    node_selector: Mapping | None = None
    tolerations: MappingList = ()
    affinity: Mapping | None = None
    volumes: MappingList = ()
    containers: MappingList = ()
    image_pull_secrets: MappingList = ()
    model: Mapping | None = None
    sklearn: Mapping | None = None
    xgboost: Mapping | None = None
    tensorflow: Mapping | None = None
    pytorch: Mapping | None = None
    triton: Mapping | None = None
    onnx: Mapping | None = None
    pmml: Mapping | None = None
    lightgbm: Mapping | None = None
    paddle: Mapping | None = None
    huggingface: Mapping | None = None

    @model_validator(mode="after")
    def _bounds(self) -> Predictor:
        if self.max_replicas and self.min_replicas is not None and self.max_replicas < self.min_replicas:
            raise ProblemAt("maxReplicas", f"got {self.max_replicas}, below minReplicas {self.min_replicas}; "
                            "expected maxReplicas >= minReplicas (or 0: no limit)")
        return self


class InferenceServiceSpec(ManifestModel):
    """``spec`` of an InferenceService."""

    predictor: Predictor
    transformer: Mapping | None = None
    explainer: Mapping | None = None
    canary_traffic_percent: int | None = Field(None, ge=0, le=100)
    """Where seed 004's file puts it; v1beta1 has it on the predictor."""

    @model_validator(mode="after")
    def _one_canary_percent(self) -> InferenceServiceSpec:
        here, there = self.canary_traffic_percent, self.predictor.canary_traffic_percent
        if here is not None and there is not None and here != there:
            raise ProblemAt("canaryTrafficPercent", f"got {here} here and {there} on the predictor; expected one "
                            "value (v1beta1 reads the predictor's)")
        return self


DEPLOYMENT_MODE = "serving.kserve.io/deploymentMode"
AUTOSCALER_CLASS = "serving.kserve.io/autoscalerClass"
_RAW_MODES = ("RawDeployment", "Standard")  # Standard is the newer name of RawDeployment
_RAW_DEFAULT_CPU_TARGET = 80  # KServe's HPA target utilisation (%) without scaleTarget


class InferenceService(ManifestModel):
    """A KServe ``InferenceService``."""

    api_version: Literal["serving.kserve.io/v1beta1", "serving.kubeflow.org/v1beta1"]
    kind: Literal["InferenceService"]
    metadata: ObjectMeta
    spec: InferenceServiceSpec
    status: Any = None

    @model_validator(mode="after")
    def _mode(self) -> InferenceService:
        mode = self.metadata.annotations.get(DEPLOYMENT_MODE, "Serverless")
        if mode not in ("Serverless", *_RAW_MODES):
            raise ProblemAt(f"metadata.annotations.{DEPLOYMENT_MODE}", f"got {mode!r}; expected Serverless, "
                            "RawDeployment or Standard (ModelMesh is not simulated)")
        if self.raw:
            autoscaler = self.metadata.annotations.get(AUTOSCALER_CLASS, "hpa")
            if autoscaler not in ("hpa", "none", "external"):
                raise ProblemAt(f"metadata.annotations.{AUTOSCALER_CLASS}", f"got {autoscaler!r}; expected hpa, "
                                "none or external (KEDA is not simulated)")
            if self.canary_traffic_percent is not None:
                raise ProblemAt("spec.predictor.canaryTrafficPercent", f"got {self.canary_traffic_percent} in "
                                f"{mode} mode; expected none (KServe's canary rollout runs in Serverless mode only)")
        return self

    @property
    def name(self) -> str:
        """``metadata.name``."""
        return self.metadata.name

    @property
    def raw(self) -> bool:
        """Whether KServe deploys it as a plain Deployment with an HPA (RawDeployment, or Standard) over Knative."""
        return self.metadata.annotations.get(DEPLOYMENT_MODE) in _RAW_MODES

    @property
    def canary_traffic_percent(self) -> int | None:
        """The latest revision's share of the traffic during a rollout, percent (``None``: all of it at once)."""
        predictor = self.spec.predictor.canary_traffic_percent
        return predictor if predictor is not None else self.spec.canary_traffic_percent

    def service_settings(self) -> dict[str, Any]:
        """The scenario's ``service`` keys this InferenceService sets: replicas, autoscaling, maybe concurrency."""
        predictor = self.spec.predictor
        where = f"InferenceService {self.name}: spec.predictor"
        minimum = 1 if predictor.min_replicas is None else predictor.min_replicas
        if self.raw:
            return self._raw_settings(minimum)
        maximum = predictor.max_replicas or MAX_REPLICAS
        metric = predictor.scale_metric or "concurrency"
        if metric == "memory":
            raise ValueError(f"{where}.scaleMetric: got memory; expected concurrency, rps or cpu (memory is not "
                             "simulated)")
        concurrency = predictor.container_concurrency or None
        autoscaling: dict[str, Any] = {"min": minimum, "max": max(maximum, minimum), "metric": metric}
        if metric == "cpu":
            if minimum == 0:
                raise ValueError(f"{where}.minReplicas: got 0 with scaleMetric cpu; expected 1 or more (cpu is "
                                 "scaled by an HPA, which keeps a pod; scale to zero needs concurrency or rps)")
            autoscaling.update(kind="hpa", target=f"{predictor.scale_target or 80}%")
        else:
            target: float
            if predictor.scale_target is not None:
                target = predictor.scale_target
            elif metric == "concurrency" and concurrency:
                target = concurrency
            else:
                target = _KNATIVE_DEFAULT_TARGET[metric]
            autoscaling.update(kind="kpa", target=round(target * KNATIVE_TARGET_UTILISATION, 9))
        settings: dict[str, Any] = {"replicas": max(minimum, 1), "autoscaling": autoscaling}
        if concurrency:
            settings["concurrency"] = concurrency
        return settings

    def _raw_settings(self, minimum: int) -> dict[str, Any]:
        """RawDeployment (Standard) mode: a Deployment of ``minReplicas`` under KServe's HPA on cpu, if any."""
        predictor = self.spec.predictor
        where = f"InferenceService {self.name}: spec.predictor"
        if minimum == 0:
            raise ValueError(f"{where}.minReplicas: got 0 in raw deployment mode; expected 1 or more (a Deployment "
                             "under an HPA does not scale to zero; that needs Serverless mode)")
        metric = predictor.scale_metric or "cpu"
        if metric != "cpu":
            raise ValueError(f"{where}.scaleMetric: got {metric} in raw deployment mode; expected cpu (concurrency "
                             "and rps are Knative's, in Serverless mode; memory is not simulated)")
        if self.metadata.annotations.get(AUTOSCALER_CLASS, "hpa") != "hpa":
            return {"replicas": minimum}  # no autoscaler: the count stays as written
        maximum = predictor.max_replicas or MAX_REPLICAS
        target = predictor.scale_target or _RAW_DEFAULT_CPU_TARGET
        return {"replicas": minimum, "autoscaling": {"kind": "hpa", "min": minimum, "max": max(maximum, minimum),
                                                     "metric": "cpu", "target": f"{target}%"}}
