"""``service.autoscaling`` (and per version): a Knative Pod Autoscaler or a Kubernetes HorizontalPodAutoscaler.

::

    service:
      concurrency: 4
      autoscaling: {kind: kpa, min: 2, max: 20, metric: concurrency, target: 70%}

``target`` says what one pod should carry:

* ``metric: concurrency``: requests in flight per pod; ``70%`` is that share
  of the pod's ``service.concurrency`` slots (Knative's
  ``target-utilization-percentage`` of ``containerConcurrency``), a number
  is requests per pod (the effective target, utilisation applied).
* ``metric: rps``: requests per second per pod (a number).
* ``metric: cpu``: busy share of the pod's slots (a percentage), the
  simulator's stand-in for CPU utilisation.

The other keys are each autoscaler's own settings, with their documented
defaults (Knative: a 60 s stable window, a panic window of 10 % of it, a
panic threshold of 200 %, scale-up rate 1000 and scale-down rate 2 per
decision, a 2 s tick, no scale-down delay; Kubernetes: a 15 s sync period, a 10 % tolerance, a
300 s scale-down stabilization window, scale-up by at most the larger of 4
pods and 100 % per 15 s, scale-down by at most 100 % per 15 s).

``min: 0`` (``kpa`` only) lets an idle version scale to zero: its last pod
goes ``scale_to_zero_grace_period`` (30 s) after the autoscaler first finds
no load over its stable window, and a request that then arrives waits at the
activator while ``activation_scale`` (1) pods start.
"""

from __future__ import annotations

import math
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field, WithJsonSchema, field_validator, model_serializer, model_validator

from simulator.scenario.base import StrictModel
from simulator.scenario.limits import MAX_REPLICAS
from simulator.scenario.types import Count, Duration, Fraction, Number, Percentage

__all__ = ["AutoscalingConfig", "ScalingPolicy", "Target"]


def _percent_over_100(value: Any) -> Any:
    """``"200%"`` as 200; a number as it is."""
    if isinstance(value, str) and value.strip().endswith("%"):
        try:
            return float(value.strip()[:-1])
        except ValueError:
            raise ValueError(f"got {value!r}; expected a percentage such as 200%") from None
    return value


PercentAbove100 = Annotated[
    Number, BeforeValidator(_percent_over_100),
    WithJsonSchema({"anyOf": [{"type": "number", "minimum": 0},
                              {"type": "string", "pattern": r"^\s*\d+(\.\d*)?\s*%\s*$"}],
                    "description": "percentage, may pass 100 (200 or '200%')"}),
]
"""A percentage that may pass 100, written ``200`` or ``"200%"``."""


class Target(StrictModel):
    """What one pod should carry: ``utilisation`` (a fraction of its slots) or ``per_pod`` (the metric's units)."""

    utilisation: float | None = None
    per_pod: float | None = None

    @model_serializer
    def _as_written(self) -> str | float:
        """As a file writes it: ``"70%"`` or the number per pod."""
        if self.utilisation is not None:
            return f"{self.utilisation * 100:g}%"
        assert self.per_pod is not None
        return self.per_pod

    def per_pod_value(self, concurrency: int) -> float:
        """The target per pod in the metric's units (requests in flight, requests/s, or busy share)."""
        if self.per_pod is not None:
            return self.per_pod
        assert self.utilisation is not None
        return self.utilisation * concurrency


class ScalingPolicy(StrictModel):
    """A Kubernetes HPA scaling policy: at most ``pods`` pods, or ``percent`` % of them, per ``period``."""

    pods: Count | None = Field(None, gt=0, le=MAX_REPLICAS)
    percent: Number | None = Field(None, gt=0)
    period: Duration = Field(15.0, gt=0, le=1800)

    @model_validator(mode="after")
    def _one_limit(self) -> ScalingPolicy:
        if (self.pods is None) == (self.percent is None):
            raise ValueError("expected one of pods or percent in a scaling policy")
        return self

    def allowed(self, replicas: int) -> int:
        """Pods this policy lets change from ``replicas`` within one period."""
        if self.pods is not None:
            return self.pods
        assert self.percent is not None
        return math.ceil(replicas * self.percent / 100)


def _default_scale_up() -> list[ScalingPolicy]:
    return [ScalingPolicy.model_validate({"pods": 4, "period": "15s"}),
            ScalingPolicy.model_validate({"percent": 100, "period": "15s"})]


def _default_scale_down() -> list[ScalingPolicy]:
    return [ScalingPolicy.model_validate({"percent": 100, "period": "15s"})]


class AutoscalingConfig(StrictModel):
    """How a version's replicas follow its load (see the module's notes for ``target``)."""

    kind: Literal["kpa", "hpa"] = Field(description="kpa: Knative Pod Autoscaler; hpa: Kubernetes HPA v2")
    min: Count = Field(1, ge=0, le=MAX_REPLICAS,
                       description="fewest replicas; 0 lets a kpa scale an idle version to zero")
    max: Count = Field(ge=1, le=MAX_REPLICAS, description="most replicas")
    metric: Literal["concurrency", "rps", "cpu"] = Field(
        "concurrency", description="requests in flight per pod, requests/s per pod, or busy share of its slots")
    target: Annotated[Target, WithJsonSchema({
        "anyOf": [{"type": "number", "exclusiveMinimum": 0},
                  {"type": "string", "pattern": r"^\s*(\d+(\.\d*)?|\.\d+)\s*%\s*$"}],
        "description": "per pod: a percentage of its slots (70%), or a number in the metric's units"})] = Field(
        description="per pod: 70% of its slots, or a number in the metric's units")
    stable_window: Duration = Field(60.0, ge=6, le=3600, description="kpa: averaging window, seconds")
    panic_window: Percentage = Field(10.0, ge=1, le=100, description="kpa: panic window, % of the stable window")
    panic_threshold: PercentAbove100 = Field(200.0, gt=100, le=1000,
                                        description="kpa: panic when desired/ready reaches this, %")
    max_scale_up_rate: Number = Field(1000.0, gt=1, description="kpa: at most ready x this per decision")
    max_scale_down_rate: Number = Field(2.0, gt=1, description="kpa: at least ready / this per decision")
    tick: Duration = Field(2.0, gt=0, le=60, description="kpa: seconds between decisions")
    scale_down_delay: Duration = Field(0.0, ge=0, le=3600,
                                       description="kpa: scale down only to the highest count of this long, seconds")
    scale_to_zero_grace_period: Duration = Field(
        30.0, ge=0, le=3600, description="kpa with min 0: how long the last pod stays once no load asks for it")
    activation_scale: Count = Field(1, ge=1, le=MAX_REPLICAS,
                                    description="kpa with min 0: pods started when a request wakes a version at zero")
    sync_period: Duration = Field(15.0, gt=0, le=600, description="hpa: seconds between decisions")
    tolerance: Fraction = Field(0.1, ge=0, lt=1, description="hpa: no change while |metric/target - 1| <= this")
    scale_down_stabilization: Duration = Field(300.0, ge=0, le=3600,
                                               description="hpa: scale down to the highest recommendation of "
                                                           "this long, seconds")
    scale_up_stabilization: Duration = Field(0.0, ge=0, le=3600,
                                             description="hpa: scale up to the lowest recommendation of this long")
    scale_up: list[ScalingPolicy] = Field(default_factory=_default_scale_up,
                                          description="hpa: the largest of these limits a scale-up")
    scale_down: list[ScalingPolicy] = Field(default_factory=_default_scale_down,
                                            description="hpa: the largest of these limits a scale-down")

    @field_validator("target", mode="before")
    @classmethod
    def _target(cls, value: Any) -> Any:
        if isinstance(value, dict):
            return value
        if isinstance(value, str) and value.strip().endswith("%"):
            try:
                percent = float(value.strip()[:-1])
            except ValueError:
                raise ValueError(f"got {value!r}; expected a percentage such as 70% or a number") from None
            if not 0 < percent <= 100:
                raise ValueError(f"got {value!r}; expected a percentage above 0 and at most 100%")
            return {"utilisation": percent / 100}
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value <= 0:
            raise ValueError(f"got {value!r}; expected a percentage such as 70% or a number above 0")
        return {"per_pod": float(value)}

    @model_validator(mode="after")
    def _consistent(self) -> AutoscalingConfig:
        if self.max < self.min:
            raise ValueError(f"got max {self.max} below min {self.min}; expected max >= min")
        if self.metric == "cpu" and self.target.utilisation is None:
            raise ValueError("got a number as the target of metric cpu; expected a percentage such as 70%")
        if self.metric == "rps" and self.target.per_pod is None:
            raise ValueError("got a percentage as the target of metric rps; expected requests per second per pod")
        if self.min == 0 and self.kind != "kpa":
            raise ValueError("got min 0 with kind hpa; expected min 1 or more (a HorizontalPodAutoscaler keeps a "
                             "pod; scale to zero is Knative's, kind kpa)")
        if self.kind == "kpa" and self.metric == "cpu":
            raise ValueError("got metric cpu with kind kpa; expected concurrency or rps (Knative scales on those; "
                             "cpu is the hpa's)")
        return self

    @property
    def panic_window_s(self) -> float:
        """The KPA's panic window, seconds."""
        return self.stable_window * self.panic_window / 100
