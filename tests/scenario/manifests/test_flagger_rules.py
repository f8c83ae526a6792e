"""Flagger Canaries: the analysis, its metrics and webhooks, with Flagger's defaults and its CRD's rules."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from simulator.scenario.manifests import load_manifests, manifest_problems
from tests.scenario.manifests.peers import FLAGGER, documents, write


def canary_with(**analysis: Any) -> list[Any]:
    """The peer Canary and its MetricTemplate with ``spec.analysis`` updated."""
    docs = documents(FLAGGER)
    docs[0]["spec"]["analysis"].update(analysis)
    for key in [key for key, value in analysis.items() if value is None]:
        del docs[0]["spec"]["analysis"][key]
    return docs


def test_blue_green_ab_testing_and_flagger_defaults(tmp_path: Path) -> None:
    docs = canary_with(stepWeights=None, iterations=10, interval="5s", threshold=0, mirror=True, mirrorWeight=20,
                       webhooks=[{"name": "load", "url": "http://load/"},
                                 {"name": "smoke", "url": "http://smoke/", "type": ""},
                                 {"name": "gate", "url": "http://gate/", "type": "confirm-promotion",
                                  "timeout": "1m"}])
    docs[0]["spec"]["service"]["name"] = "model-api"
    docs[0]["spec"]["skipAnalysis"] = True
    canary = load_manifests(write(tmp_path / "bg.yaml", docs)).canary()
    analysis = canary.spec.analysis
    assert analysis.strategy_kind == "blue-green" and analysis.iterations == 10
    assert analysis.interval == 5.0 and analysis.interval_seconds == 10.0  # Flagger's floor
    assert analysis.failure_threshold == 1  # a threshold of 0 counts as 1
    assert (analysis.mirror, analysis.mirror_weight) == (True, 20)
    load, smoke, gate = analysis.webhooks
    assert smoke.kind == "rollout"  # an empty type is a rollout webhook, as in Flagger
    assert (load.kind, load.timeout) == ("rollout", 10.0) and (gate.kind, gate.timeout) == ("confirm-promotion", 60.0)
    assert (canary.primary_service, canary.canary_service) == ("model-api-primary", "model-api-canary")
    assert canary.spec.skip_analysis is True
    docs[0]["spec"]["analysis"]["match"] = [{"headers": {"x-canary": {"exact": "insider"}}}]
    ab = load_manifests(write(tmp_path / "ab.yaml", docs)).canary().spec.analysis
    assert ab.strategy_kind == "ab-testing" and ab.match[0]["headers"]["x-canary"] == {"exact": "insider"}


def test_step_weight_and_max_weight(tmp_path: Path) -> None:
    docs = canary_with(stepWeights=None, stepWeight=10, maxWeight=40, stepWeightPromotion=20)
    analysis = load_manifests(write(tmp_path / "c.yaml", docs)).canary().spec.analysis
    assert (analysis.step_weight, analysis.effective_max_weight, analysis.step_weight_promotion) == (10, 40, 20)
    docs = canary_with(stepWeights=None, stepWeight=10)
    assert load_manifests(write(tmp_path / "d.yaml", docs)).canary().spec.analysis.effective_max_weight == 100


def test_success_rate_and_inline_queries(tmp_path: Path) -> None:
    docs = canary_with(metrics=[
        {"name": "request-success-rate", "thresholdRange": {"min": 99}, "interval": "30s"},
        {"name": "custom", "query": "sum(rate(x[1m]))", "threshold": 5},
    ])
    rate, custom = load_manifests(write(tmp_path / "m.yaml", docs)).canary().spec.analysis.metrics
    assert rate.source == "builtin" and rate.threshold_range is not None and rate.threshold_range.min == 99
    assert rate.interval == 30.0
    assert custom.source == "query" and custom.threshold == 5.0 and custom.threshold_range is None


BAD = [
    ({"stepWeight": 5}, "spec.analysis: got stepWeight, stepWeights; expected exactly one of iterations, "
     "stepWeight, stepWeights"),
    ({"stepWeights": None}, "spec.analysis: got none; expected exactly one of iterations, stepWeight, stepWeights"),
    ({"threshold": None}, "spec.analysis.threshold: missing required key"),
    ({"threshold": 2.5}, "spec.analysis.threshold: got 2.5; expected a whole number"),
    ({"interval": "1h"}, "spec.analysis.interval: got '1h'; expected a duration such as 1m, 30s or 1m30s"),
    ({"interval": 60}, "spec.analysis.interval: got 60; expected a duration such as 1m or 30s (a string)"),
    ({"stepWeights": [5, 150]}, "spec.analysis.stepWeights: got [5, 150]; expected percentages 0 to 100"),
    ({"maxWeight": 120}, "spec.analysis.maxWeight: got 120; expected at most 100"),
    ({"metrics": [{"name": "request-sucess-rate", "thresholdRange": {"min": 99}}]},
     "spec.analysis.metrics[0].name: got metric 'request-sucess-rate' with neither templateRef nor query (did you "
     "mean 'request-success-rate'?)"),
    ({"metrics": [{"name": "request-duration", "thresholdRange": {"max": "500ms"}}]},
     "spec.analysis.metrics[0].thresholdRange.max: got '500ms'; expected a number"),
    ({"webhooks": [{"name": "gate", "url": "http://gate/", "type": "confirm_promotion"}]},
     "spec.analysis.webhooks[0].type: got 'confirm_promotion' (did you mean 'confirm-promotion'?)"),
    ({"webhooks": [{"name": "gate"}]}, "spec.analysis.webhooks[0].url: missing required key"),
    ({"webhooks": [{"name": "gate", "url": "http://gate/", "timeout": "10"}]},
     "spec.analysis.webhooks[0].timeout: got '10'; expected a duration such as 1m, 30s or 1m30s"),
]


@pytest.mark.parametrize(("analysis", "message"), BAD, ids=[message[:40] for _, message in BAD])
def test_what_flagger_refuses_is_one_line_at_its_key(tmp_path: Path, analysis: dict[str, Any], message: str) -> None:
    (problem,) = manifest_problems(write(tmp_path / "bad.yaml", canary_with(**analysis)))
    assert f"{tmp_path / 'bad.yaml'}: Canary recommender: {message}" in str(problem), str(problem)


@pytest.mark.parametrize(("change", "message"), [
    (lambda spec: spec.pop("targetRef"), "Canary recommender: spec.targetRef: missing required key"),
    (lambda spec: spec["service"].pop("port"), "Canary recommender: spec.service.port: missing required key"),
    (lambda spec: spec.update(skipAnalysis="true"), "spec.skipAnalysis: got 'true'; expected true or false"),
])
def test_the_canary_spec(tmp_path: Path, change: Any, message: str) -> None:
    docs = documents(FLAGGER)
    change(docs[0]["spec"])
    (problem,) = manifest_problems(write(tmp_path / "bad.yaml", docs))
    assert message in str(problem), str(problem)


def test_a_metric_template_needs_a_known_provider_and_a_query(tmp_path: Path) -> None:
    docs = documents(FLAGGER)
    docs[1]["spec"]["provider"]["type"] = "promethus"
    del docs[1]["spec"]["query"]
    lines = [str(problem) for problem in manifest_problems(write(tmp_path / "bad.yaml", docs))]
    assert [line.split(": ")[1:3] for line in lines] == [
        ["MetricTemplate error-percentage", "spec.provider.type"],
        ["MetricTemplate error-percentage", "spec.query"],
    ]
    assert "(did you mean 'prometheus'?)" in lines[0] and "missing required key" in lines[1]
