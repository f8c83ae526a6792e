"""The Argo canary plan: Argo's validation rules that decide what a rollout does, and its defaults."""

from __future__ import annotations

import pytest

from simulator.strategies.argo import (
    ArgoCanaryPlan,
    BackgroundAnalysis,
    Pause,
    Promotion,
    RunAnalysis,
    SetCanaryScale,
    SetWeight,
)
from simulator.strategies.argo.plan import resolve_int_or_percent
from tests.strategies.argo.harness import prometheus_metric, run_spec


@pytest.mark.parametrize(("fields", "message"), [
    ({"steps": (SetCanaryScale(replicas=2),)}, "setCanaryScale needs traffic routing"),
    ({"dynamic_stable_scale": True}, "dynamic_stable_scale needs traffic routing"),
    ({"scale_down_delay_s": 10.0}, "scale_down_delay_s needs traffic routing"),
    ({"traffic_routing": True, "dynamic_stable_scale": True, "scale_down_delay_s": 10.0},
     "cannot be used with dynamic_stable_scale"),
    ({"steps": (SetWeight(101),)}, "setWeight 101 is above max_traffic_weight 100"),
    ({"max_surge": 0, "max_unavailable": "0%"}, "cannot both be 0"),
    ({"max_surge": "25"}, "max_surge: expected a count or a percentage such as '25%', got '25'"),
    ({"max_unavailable": -1}, "max_unavailable: expected a count >= 0, got -1"),
    ({"replicas": -2}, "replicas must be a whole number >= 0, got -2"),
    ({"max_traffic_weight": 1000}, "max_traffic_weight is a setting of traffic routing"),
    ({"steps": ("setWeight: 20",)}, "steps[0]: expected SetWeight, Pause, SetCanaryScale or RunAnalysis"),
    ({"abort_scale_down_delay_s": -1.0}, "abort_scale_down_delay_s must be >= 0 seconds, got -1.0"),
])
def test_a_plan_argo_would_refuse_is_refused_naming_the_problem(fields: dict, message: str) -> None:
    with pytest.raises(ValueError) as caught:
        ArgoCanaryPlan(**{"replicas": 4, **fields})
    assert message in str(caught.value)


@pytest.mark.parametrize(("build", "message"), [
    (lambda: SetWeight(-5), "setWeight must be a whole number >= 0, got -5"),
    (lambda: Pause(-1.0), "pause duration must be >= 0 seconds, got -1.0"),
    (lambda: SetCanaryScale(replicas=2, weight=20), "takes one of replicas, weight or match_traffic_weight"),
    (lambda: SetCanaryScale(weight=20, match_traffic_weight=True), "got weight, match_traffic_weight"),
    (lambda: Promotion(float("nan")), "a promote's time must be >= 0 seconds"),
    (lambda: BackgroundAnalysis(spec=run_spec(prometheus_metric("m", "up")), starting_step=-1),
     "startingStep must be a whole number >= 0, got -1"),
])
def test_a_bad_step_is_refused(build, message: str) -> None:
    with pytest.raises(ValueError) as caught:
        build()
    assert message in str(caught.value)


def test_a_step_analysis_must_end_by_itself() -> None:
    endless = prometheus_metric("error-rate", "up", interval="1m", successCondition="result[0] < 0.01")
    with pytest.raises(ValueError, match="metric\\(s\\) error-rate run indefinitely"):
        RunAnalysis(run_spec(endless))
    BackgroundAnalysis(spec=run_spec(endless))  # in the background it runs until the rollout ends it
    RunAnalysis(run_spec(prometheus_metric("once", "up")))  # neither interval nor count: one measurement


def test_surge_rounds_up_and_unavailable_down() -> None:
    plan = ArgoCanaryPlan(replicas=6)
    assert (plan.surge, plan.unavailable) == (2, 1)  # 25 % of 6 = 1.5
    assert resolve_int_or_percent("10%", 25, round_up=True) == 3
    assert resolve_int_or_percent("10%", 25, round_up=False) == 2
    assert ArgoCanaryPlan(replicas=3, max_unavailable=7, max_surge=0).unavailable == 3  # at most every replica
    # both rounded to nothing: one pod may be unavailable, so the rollout can move
    assert (ArgoCanaryPlan(replicas=2, max_surge=0, max_unavailable="10%").surge,
            ArgoCanaryPlan(replicas=2, max_surge=0, max_unavailable="10%").unavailable) == (0, 1)


@pytest.mark.parametrize(("fields", "abort_delay", "scale_down_delay"), [
    ({}, 0.0, 0.0),                                                              # basic canary: the pods move
    ({"traffic_routing": True}, 30.0, 30.0),                                     # Argo's defaults
    ({"traffic_routing": True, "abort_scale_down_delay_s": 0.0}, None, 30.0),    # 0 keeps the canary
    ({"traffic_routing": True, "abort_scale_down_delay_s": 90.0, "scale_down_delay_s": 5.0}, 90.0, 5.0),
    ({"traffic_routing": True, "dynamic_stable_scale": True}, 0.0, 0.0),         # the canary leaves with its traffic
    ({"traffic_routing": True, "dynamic_stable_scale": True, "abort_scale_down_delay_s": 600.0}, 600.0, 0.0),
])
def test_scale_down_delays(fields: dict, abort_delay: float | None, scale_down_delay: float) -> None:
    plan = ArgoCanaryPlan(replicas=4, **fields)
    assert plan.abort_delay() == abort_delay
    assert plan.scale_down_delay() == scale_down_delay
