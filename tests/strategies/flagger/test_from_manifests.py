"""A Flagger Canary and its MetricTemplates read into a plan: queries rendered, names, webhooks, refusals."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from simulator.errors import ScenarioError
from simulator.scenario.manifest_strategy_config import FlaggerCanaryConfig
from simulator.strategies.flagger import BUILTIN_QUERIES, plan_from_manifests
from tests.helpers import SCENARIOS

PEER = SCENARIOS / "peers" / "flagger-stepweights.yaml"

TEMPLATE_QUERY = ('sum(rate(istio_requests_total{destination_workload_namespace="{{ namespace }}", '
                  'destination_workload="{{ target }}", response_code="{{ variables.code }}"}[{{ interval }}]))')


def canary(**analysis: Any) -> dict[str, Any]:
    return {
        "apiVersion": "flagger.app/v1beta1", "kind": "Canary",
        "metadata": {"name": "podinfo", "namespace": "test"},
        "spec": {"targetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "podinfo-app"},
                 "service": {"port": 9898, "name": "podinfo"},
                 "analysis": {"interval": "30s", "threshold": 3, "stepWeight": 10, **analysis}},
    }


def metric_template(query: str = TEMPLATE_QUERY, provider: str = "prometheus") -> dict[str, Any]:
    return {"apiVersion": "flagger.app/v1beta1", "kind": "MetricTemplate",
            "metadata": {"name": "not-found", "namespace": "test"},
            "spec": {"provider": {"type": provider, "address": "http://prometheus:9090"}, "query": query}}


def config(tmp_path: Path, *documents: dict[str, Any], **entry: Any) -> FlaggerCanaryConfig:
    path = tmp_path / "canary.yaml"
    path.write_text(yaml.safe_dump_all(documents))
    return FlaggerCanaryConfig.model_validate({"from": "canary.yaml", "path": str(path), **entry})


def templated(interval: str, **fields: Any) -> dict[str, Any]:
    return {"name": "not-found", "templateRef": {"name": "not-found"}, "thresholdRange": {"max": 5},
            "interval": interval, **fields}


def test_the_peer_canary_reads_into_flagger_s_plan_names_and_queries() -> None:
    plan, services, workloads = plan_from_manifests(FlaggerCanaryConfig.model_validate(
        {"from": PEER.name, "path": str(PEER)}))
    assert (plan.name, plan.namespace, plan.target) == ("recommender", "ml", "recommender")
    assert (plan.interval_s, plan.threshold, plan.step_weights, plan.top_weight) == (60.0, 2, (5, 10, 25, 50), 50)
    assert [(check.name, check.source, check.comparison) for check in plan.checks] == [
        ("request-duration", "builtin", "duration"), ("error-percentage", "template", "value")]
    duration, errors = plan.checks
    assert duration.query == BUILTIN_QUERIES["request-duration"].replace("{{ namespace }}", "ml") \
        .replace("{{ target }}", "recommender").replace("{{ interval }}", "1m")
    assert duration.threshold_range == (None, 250.0)
    assert 'destination_workload_namespace="ml"' in errors.query and 'destination_workload="recommender"' in \
        errors.query and "[1m]" in errors.query and "{{" not in errors.query
    assert services == {"stable": ("recommender-primary", "recommender"), "canary": ("recommender-canary",)}
    assert workloads == {"stable": "recommender-primary", "canary": "recommender"}


@pytest.mark.parametrize(("interval", "window"), [("2m", "[2m]"), ("90s", "[1m30s]"), ("1m30s", "[1m30s]"),
                                                  ("45s", "[45s]")])
def test_a_metric_template_gets_the_metric_s_interval_namespace_target_and_variables(
        tmp_path: Path, interval: str, window: str) -> None:
    plan, _, _ = plan_from_manifests(config(
        tmp_path, canary(metrics=[templated(interval, templateVariables={"code": "404"})]), metric_template()))
    (check,) = plan.checks
    assert check.query == ('sum(rate(istio_requests_total{destination_workload_namespace="test", '
                           f'destination_workload="podinfo-app", response_code="404"}}{window}))')


def test_a_missing_template_variable_fails_every_check_as_in_flagger(tmp_path: Path) -> None:
    plan, _, _ = plan_from_manifests(config(tmp_path, canary(metrics=[templated("1m")]), metric_template()))
    (check,) = plan.checks
    assert check.query is None and "no entry for key 'code'" in (check.render_error or "")


def test_services_follow_service_name_and_deployments_follow_the_target(tmp_path: Path) -> None:
    _, services, workloads = plan_from_manifests(config(tmp_path, canary()))
    assert services == {"stable": ("podinfo-primary", "podinfo"), "canary": ("podinfo-canary",)}
    assert workloads == {"stable": "podinfo-app-primary", "canary": "podinfo-app"}


def test_builtin_and_inline_metrics_come_before_templates_in_manifest_order(tmp_path: Path) -> None:
    metrics = [templated("1m", templateVariables={"code": "404"}),
               {"name": "request-success-rate", "thresholdRange": {"min": 99}},
               {"name": "inline", "query": "sum(rate(http_requests_total[{{ interval }}]))", "interval": "2m"}]
    plan, _, _ = plan_from_manifests(config(tmp_path, canary(metrics=metrics), metric_template()))
    assert [check.name for check in plan.checks] == ["request-success-rate", "inline", "not-found"]
    assert plan.checks[1].query == "sum(rate(http_requests_total[2m]))"


def test_webhooks_take_the_scenario_s_answers_and_notifications_are_left_out(tmp_path: Path) -> None:
    hooks = [{"name": "approve", "type": "confirm-promotion", "url": "http://gate/"},
             {"name": "load", "url": "http://loadtester/"},
             {"name": "undo", "type": "rollback", "url": "http://gate/"},
             {"name": "notify", "type": "post-rollout", "url": "http://hook/"}]
    entry = {"webhooks": {"approve": [{"at": "10m", "result": "pass"}, {"at": "0s", "result": "hold"}],
                          "load": "fail"}}
    plan, _, _ = plan_from_manifests(config(tmp_path, canary(webhooks=hooks), **entry))
    assert [(hook.name, hook.kind, hook.default, hook.answers) for hook in plan.webhooks] == [
        ("approve", "confirm-promotion", True, ((0.0, False), (600.0, True))),
        ("load", "rollout", True, ((0.0, False),)),
        ("undo", "rollback", False, ()),
    ]


@pytest.mark.parametrize(("analysis", "spec", "documents", "message"), [
    ({"match": [{"headers": {"x-canary": {"exact": "insider"}}}]}, {}, [],
     "analysis.match with stepWeight is not simulated"),
    ({"match": [{"headers": {"x-canary": {"exact": "insider"}}}], "iterations": 10, "stepWeight": None}, {}, [],
     "expected matchShare in the scenario's entry"),
    ({"sessionAffinity": {"cookieName": "flagger-cookie", "primaryCookieName": "primary"}}, {}, [],
     "analysis.sessionAffinity.primaryCookieName is not simulated"),
    ({"metrics": [{"name": "request-duration", "thresholdRange": {"max": 500}}]}, {"provider": "linkerd"}, [],
     "spec.provider: linkerd with builtin metrics (request-duration) is not simulated"),
    ({}, {"provider": "kubernetes"}, [], "spec.provider: kubernetes is not simulated"),
    ({}, {"suspend": True}, [], "spec.suspend: true is not simulated"),
    ({"metrics": [templated("1m")]}, {}, [metric_template(provider="datadog")], "provider datadog is not simulated"),
    ({"metrics": [templated("1m")]}, {}, [metric_template("sum(x{a=\"{{ target | quote }}\"})")],
     "{{ target | quote }} is not simulated"),
    ({"metrics": [templated("1m")]}, {}, [metric_template("absent(up{job=\"{{ target }}\"})")], "absent"),
])
def test_what_cannot_run_is_refused_naming_the_key(tmp_path: Path, analysis, spec, documents, message) -> None:
    document = canary(**analysis)
    document["spec"]["analysis"] = {key: value for key, value in document["spec"]["analysis"].items()
                                    if value is not None}
    document["spec"].update(spec)
    with pytest.raises(ScenarioError) as raised:
        plan_from_manifests(config(tmp_path, document, *documents))
    assert message in str(raised.value)
