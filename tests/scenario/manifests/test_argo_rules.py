"""Rollouts: the steps, the strategies and the rules Argo's own validation applies."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from simulator.scenario.manifests import UNSUPPORTED_STEPS, load_manifests, manifest_problems
from tests.scenario.manifests.peers import ARGO, documents, write


def rollout_with(tmp_path: Path, **strategy: Any) -> list[Any]:
    """The peer Rollout and its templates with ``spec.strategy`` replaced."""
    docs = documents(ARGO)
    docs[0]["spec"]["strategy"] = strategy
    return docs


def only_problem(tmp_path: Path, docs: list[Any]) -> str:
    (problem,) = manifest_problems(write(tmp_path / "rollout.yaml", docs))
    return str(problem)


def test_every_step_kind_and_the_background_analysis(tmp_path: Path) -> None:
    docs = rollout_with(tmp_path, canary={
        "canaryService": "c", "stableService": "s",
        "trafficRouting": {"nginx": {"stableIngress": "ingress"}, "maxTrafficWeight": 1000},
        "maxSurge": 1, "maxUnavailable": 0,
        "analysis": {"templates": [{"templateName": "error-ratio"}], "startingStep": 2,
                     "args": [{"name": "hash", "valueFrom": {"podTemplateHashValue": "Latest"}},
                              {"name": "app", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}}]},
        "steps": [
            {"setCanaryScale": {"replicas": 2}}, {"setWeight": 500}, {"pause": {}}, {"pause": {"duration": 90}},
            {"setCanaryScale": {"matchTrafficWeight": True}}, {"analysis": {"templates": [
                {"templateName": "p99-latency"}]}},
            {"experiment": {"templates": [{"name": "baseline", "specRef": "stable"}], "duration": "5m"}},
            {"setHeaderRoute": {"name": "header", "match": [{"headerName": "x", "headerValue": {"exact": "y"}}]}},
            {"setMirrorRoute": {"name": "mirror", "percentage": 20}},
            {"plugin": {"name": "acme/step", "config": {"any": "thing"}}},
        ]})
    rollout = load_manifests(write(tmp_path / "all.yaml", docs)).rollout()
    canary = rollout.spec.strategy.canary
    assert canary is not None and canary.traffic_routing is not None
    assert canary.traffic_routing.providers == ["nginx"] and canary.traffic_routing.max_weight == 1000
    steps = canary.steps
    assert [step.kind for step in steps] == ["setCanaryScale", "setWeight", "pause", "pause", "setCanaryScale",
                                             "analysis", "experiment", "setHeaderRoute", "setMirrorRoute", "plugin"]
    assert steps[0].set_canary_scale is not None and steps[0].set_canary_scale.replicas == 2
    assert steps[2].pause is not None and steps[2].pause.duration is None  # waits for a promote
    assert steps[3].pause is not None and steps[3].pause.duration == 90
    assert [step.unsupported for step in steps[6:]] == [UNSUPPORTED_STEPS[step.kind] for step in steps[6:]]
    assert all(step.unsupported is None for step in steps[:6])
    assert canary.analysis is not None and canary.analysis.starting_step == 2
    hash_arg, field_arg = canary.analysis.args
    assert hash_arg.value_from is not None and hash_arg.value_from.pod_template_hash_value == "Latest"
    assert field_arg.value_from is not None and field_arg.value_from.field_ref is not None
    assert (canary.max_surge, canary.max_unavailable) == (1, 0)
    assert [path for path, _ in rollout.analysis_refs()] == [
        "spec.strategy.canary.steps[5].analysis.templates[0].templateName",
        "spec.strategy.canary.analysis.templates[0].templateName",
    ]


def test_blue_green_with_argo_defaults(tmp_path: Path) -> None:
    docs = rollout_with(tmp_path, blueGreen={
        "activeService": "active", "previewService": "preview",
        "prePromotionAnalysis": {"templates": [{"templateName": "p99-latency"}]},
        "postPromotionAnalysis": {"templates": [{"templateName": "error-ratio"}]}})
    rollout = load_manifests(write(tmp_path / "bg.yaml", docs)).rollout()
    blue_green = rollout.spec.strategy.blue_green
    assert blue_green is not None and rollout.strategy_kind == "blue-green"
    assert blue_green.auto_promotion_enabled is True and blue_green.auto_promotion_seconds == 0
    assert blue_green.scale_down_delay_seconds == 30 and blue_green.abort_scale_down_delay_seconds == 30
    assert blue_green.preview_replica_count is None
    assert [path for path, _ in rollout.analysis_refs()] == [
        "spec.strategy.blueGreen.prePromotionAnalysis.templates[0].templateName",
        "spec.strategy.blueGreen.postPromotionAnalysis.templates[0].templateName",
    ]
    docs[0]["spec"]["strategy"]["blueGreen"].update(autoPromotionEnabled=False, autoPromotionSeconds=120,
                                                    previewReplicaCount=2, scaleDownDelaySeconds=0)
    blue_green = load_manifests(write(tmp_path / "bg2.yaml", docs)).rollout().spec.strategy.blue_green
    assert blue_green is not None and blue_green.auto_promotion_enabled is False
    assert (blue_green.auto_promotion_seconds, blue_green.preview_replica_count) == (120, 2)
    assert blue_green.scale_down_delay_seconds == 0


BAD_CANARIES = [
    ({"steps": [{"setWeight": 10, "pause": {}}]}, "spec.strategy.canary.steps[0]: got setWeight, pause; "
     "expected exactly one of setWeight, pause"),
    ({"steps": [{}]}, "spec.strategy.canary.steps[0]: got none; expected exactly one of"),
    ({"steps": [{"setWeight": 101}]}, "spec.strategy.canary.steps[0].setWeight: got 101; expected 0 to 100"),
    ({"steps": [{"setWeight": -1}]}, "spec.strategy.canary.steps[0].setWeight: got -1; expected at least 0"),
    ({"steps": [{"setWeight": "10"}]}, "steps[0].setWeight: got '10'; expected a whole number"),
    ({"steps": [{"pause": {"duration": "5 minutes"}}]}, "steps[0].pause.duration: got '5 minutes'; expected a Go "
     "duration"),
    ({"steps": [{"pause": {"duration": -5}}]}, "steps[0].pause.duration: got -5; expected a duration of 0 or more"),
    ({"steps": [{"setCanaryScale": {"replicas": 1}}]}, "spec.strategy.canary.steps[0].setCanaryScale: got "
     "setCanaryScale without trafficRouting"),
    ({"steps": [{"setCanaryScale": {"replicas": 1, "weight": 10}}]}, "steps[0].setCanaryScale: got replicas, weight;"
     " expected exactly one of replicas, weight, matchTrafficWeight"),
    ({"steps": [{"analysis": {"templates": []}}]}, "steps[0].analysis: got no templates"),
    ({"steps": [{"analysis": {"templates": [{"templateName": "p99-latency"}],
                              "args": [{"name": "a", "value": "x", "valueFrom": {"fieldRef": {"fieldPath": "x"}}}]}}]},
     "steps[0].analysis.args[0]: got both value and valueFrom for argument 'a'"),
    ({"steps": [{"analysis": {"templates": [{"templateName": "p99-latency"}],
                              "args": [{"name": "a", "valueFrom": {"podTemplateHashValue": "latest"}}]}}]},
     "valueFrom.podTemplateHashValue: got 'latest' (did you mean 'Latest'?); expected 'Stable' or 'Latest'"),
    ({"canaryService": "same", "stableService": "same"}, "spec.strategy.canary.stableService: got 'same', the "
     "canaryService too"),
    ({"maxSurge": 0, "maxUnavailable": "0%"}, "spec.strategy.canary: got maxSurge and maxUnavailable both 0"),
    ({"maxSurge": "25"}, "spec.strategy.canary.maxSurge: got '25'; expected a number of pods (0 or more) or a "
     "percentage"),
    ({"dynamicStableScale": True}, "spec.strategy.canary.dynamicStableScale: got dynamicStableScale without "
     "trafficRouting"),
    ({"scaleDownDelaySeconds": 10}, "spec.strategy.canary.scaleDownDelaySeconds: got scaleDownDelaySeconds without"),
    ({"trafficRouting": {"istoi": {}}}, "spec.strategy.canary.trafficRouting.istoi: unknown key 'istoi' (did you "
     "mean 'istio'?)"),
    ({"trafficRouting": {"smi": {}}, "dynamicStableScale": True, "scaleDownDelaySeconds": 5},
     "spec.strategy.canary.dynamicStableScale: got dynamicStableScale with scaleDownDelaySeconds"),
    ({"analysis": {"templates": [{"templateName": "error-ratio"}], "startingStep": -1}},
     "spec.strategy.canary.analysis.startingStep: got -1; expected at least 0"),
]


@pytest.mark.parametrize(("canary", "message"), BAD_CANARIES, ids=[message[:40] for _, message in BAD_CANARIES])
def test_what_argo_refuses_is_one_line_at_its_key(tmp_path: Path, canary: dict[str, Any], message: str) -> None:
    docs = rollout_with(tmp_path, canary=canary)
    line = only_problem(tmp_path, docs)
    assert "Rollout recommender: " in line and message in line, line


@pytest.mark.parametrize(("strategy", "message"), [
    ({}, "spec.strategy: got none; expected exactly one of canary, blueGreen"),
    ({"canary": {}, "blueGreen": {"activeService": "a"}}, "spec.strategy: got canary, blueGreen; expected exactly"),
    ({"blueGreen": {"activeService": "a", "previewService": "a"}}, "spec.strategy.blueGreen.previewService: got 'a',"
     " the activeService too"),
    ({"blueGreen": {"previewService": "p"}}, "spec.strategy.blueGreen.activeService: missing required key"),
    ({"blueGreen": {"activeService": "a", "autoPromotionEnabled": "true"}},
     "spec.strategy.blueGreen.autoPromotionEnabled: got 'true'; expected true or false"),
    ({"blueGreen": {"activeService": "a", "autoPromotionSeconds": "30s"}},
     "spec.strategy.blueGreen.autoPromotionSeconds: got '30s'; expected a whole number"),
])
def test_what_argo_refuses_in_a_strategy(tmp_path: Path, strategy: dict[str, Any], message: str) -> None:
    line = only_problem(tmp_path, rollout_with(tmp_path, **strategy))
    assert message in line, line


def test_a_rollout_needs_a_selector_unless_a_workload_gives_it(tmp_path: Path) -> None:
    docs = documents(ARGO)
    del docs[0]["spec"]["selector"]
    assert "Rollout recommender: spec.selector: got no selector" in only_problem(tmp_path, docs)
    docs[0]["spec"]["workloadRef"] = {"apiVersion": "apps/v1", "kind": "Deployment", "name": "recommender"}
    assert load_manifests(write(tmp_path / "ref.yaml", docs)).rollout().spec.workload_ref is not None


def test_names_are_kubernetes_names(tmp_path: Path) -> None:
    docs = documents(ARGO)
    docs[0]["metadata"]["name"] = "Recommender"
    assert "Rollout Recommender: metadata.name: got 'Recommender'; expected a Kubernetes object name" in \
        only_problem(tmp_path, docs)
