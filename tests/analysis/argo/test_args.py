"""Arguments and templates merged into one run: ``{{args.NAME}}`` filled everywhere, Argo's merge rules."""

from __future__ import annotations

import pytest

from simulator.analysis.argo import (
    ArgContext,
    JobRun,
    PrometheusQuery,
    RolloutArgument,
    TemplateLibrary,
    TemplateRef,
    build_analysis_run,
    substitute,
)
from simulator.errors import ScenarioError
from tests.analysis.argo.manifests import metric, template

QUERY = 'sum(rate(http_requests_total{service="{{args.service}}"}[{{ args.window }}]))'


def query_metric(name: str = "rate", query: str = QUERY, **fields) -> dict:
    return metric(name, provider={"prometheus": {"query": query}}, **fields)


def test_placeholders_with_and_without_spaces() -> None:
    assert substitute("{{args.a}}-{{ args.a }}-{{  args.b}}", {"a": "x", "b": "y"}) == "x-x-y"
    assert substitute("no placeholder", {}) == "no placeholder"


@pytest.mark.parametrize(("text", "message"), [
    ("{{args.servce}}", "cannot resolve {{args.servce}} (did you mean 'args.service'?)"),
    ("{{service}}", "cannot resolve {{service}}"),
    ("{{args.service", "without a closing"),
])
def test_unknown_placeholders_are_errors(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)").replace("?", r"\?")):
        substitute(text, {"service": "a"})


def test_rollout_args_fill_every_string_of_the_metric() -> None:
    declared = template(query_metric(successCondition="result[0] < {{args.limit}}", interval="{{args.every}}",
                                     count="{{args.n}}", failureLimit="{{args.failures}}"),
                        args=[{"name": "service"}, {"name": "window", "value": "5m"}, {"name": "limit"},
                              {"name": "every", "value": "30s"}, {"name": "n", "value": 4},
                              {"name": "failures", "value": "1"}])
    given = [RolloutArgument(name="service", value="checkout-canary"), RolloutArgument(name="limit", value="0.25"),
             RolloutArgument(name="every", value="1m"), RolloutArgument(name="unused", value="ignored")]
    run = build_analysis_run([declared], given)
    rate = run.metric("rate")
    assert rate.provider == PrometheusQuery('sum(rate(http_requests_total{service="checkout-canary"}[5m]))', None, 30.0)
    assert rate.success_condition is not None and rate.success_condition.source == "result[0] < 0.25"
    assert (rate.interval, rate.count, rate.failure_limit) == (60.0, 4, 1)  # the Rollout's value wins
    assert dict(run.args) == {"service": "checkout-canary", "window": "5m", "limit": "0.25", "every": "1m",
                              "n": "4", "failures": "1"}


def test_a_required_argument_without_a_value_is_named() -> None:
    declared = template(query_metric(), args=[{"name": "service"}, {"name": "window", "value": "5m"}], name="rates")
    with pytest.raises(ScenarioError, match="argument 'service' of AnalysisTemplate 'rates' has no value"):
        build_analysis_run([declared])


def test_a_placeholder_without_a_declared_argument_is_named() -> None:
    declared = template(query_metric(), args=[{"name": "service"}], name="rates")
    with pytest.raises(ScenarioError, match=r"spec.metrics\[0\]: AnalysisTemplate 'rates', metric 'rate': "
                                            r"cannot resolve \{\{ args.window \}\}"):
        build_analysis_run([declared], [RolloutArgument(name="service", value="a")])


def test_values_filled_in_are_checked_again() -> None:
    declared = template(query_metric(interval="{{args.every}}", successCondition="result < {{args.limit}}"),
                        args=[{"name": "service", "value": "a"}, {"name": "window", "value": "1m"},
                              {"name": "every", "value": "5 minutes"}, {"name": "limit", "value": "0.5"}])
    with pytest.raises(ScenarioError, match="spec.metrics\\[0\\].interval: AnalysisTemplate 'analysis', metric "
                                            "'rate' \\(with its arguments filled\\): got '5 minutes'; expected a "
                                            "duration"):
        build_analysis_run([declared])
    broken = template(query_metric(successCondition="result < {{args.limit}}"),
                      args=[{"name": "service", "value": "a"}, {"name": "window", "value": "1m"},
                            {"name": "limit", "value": "0.5)"}])
    with pytest.raises(ScenarioError, match="successCondition 'result < 0.5\\)' does not parse"):
        build_analysis_run([broken])


def test_value_from_pod_template_hashes_and_fields() -> None:
    declared = template(query_metric(query='up{hash="{{args.canary}}",stable="{{args.stable}}",env="{{args.env}}"}'),
                        args=[{"name": "canary"}, {"name": "stable"}, {"name": "env"},
                              {"name": "token", "valueFrom": {"secretKeyRef": {"name": "s", "key": "k"}}}])
    given = [RolloutArgument.model_validate({"name": "canary", "valueFrom": {"podTemplateHashValue": "Latest"}}),
             RolloutArgument.model_validate({"name": "stable", "valueFrom": {"podTemplateHashValue": "Stable"}}),
             RolloutArgument.model_validate({"name": "env", "valueFrom": {
                 "fieldRef": {"fieldPath": "metadata.labels['env']"}}})]
    context = ArgContext(stable_hash="v1", latest_hash="v2", fields={"metadata.labels['env']": "prod"})
    run = build_analysis_run([declared], given, context=context)
    provider = run.metric("rate").provider
    assert isinstance(provider, PrometheusQuery) and provider.query == 'up{hash="v2",stable="v1",env="prod"}'
    assert dict(run.args)["token"] == "*****"
    with pytest.raises(ScenarioError, match="the Rollout has no field 'metadata.labels\\['env'\\]'"):
        build_analysis_run([declared], given)


def test_templates_merge_args_and_refuse_conflicting_defaults() -> None:
    first = template(query_metric("a"), args=[{"name": "service"}, {"name": "window", "value": "5m"}], name="first")
    second = template(query_metric("b"), args=[{"name": "service", "value": "api"}, {"name": "window"}],
                      name="second")
    run = build_analysis_run([first, second])
    assert run.names == ["a", "b"] and dict(run.args) == {"service": "api", "window": "5m"}
    clash = template(query_metric("c"), args=[{"name": "window", "value": "1m"}], name="third")
    with pytest.raises(ScenarioError, match="argument 'window' has two defaults: '5m' in AnalysisTemplate 'first' "
                                            "and '1m' in AnalysisTemplate 'third'"):
        build_analysis_run([first, clash], [RolloutArgument(name="service", value="x")])


def test_metric_names_are_unique_across_templates() -> None:
    one = template(metric("rate"), name="one")
    other = template(metric("rate"), name="other")
    with pytest.raises(ScenarioError, match="two metrics are named 'rate' \\(in AnalysisTemplate 'one' and "
                                            "AnalysisTemplate 'other'\\)"):
        build_analysis_run([one, other])


def test_nested_templates_are_followed_once_and_cluster_templates_come_last() -> None:
    cluster = template(metric("cluster-wide"), name="shared", kind="ClusterAnalysisTemplate")
    leaf = template(metric("leaf"), name="leaf")
    parent = template(metric("parent"), name="parent",
                      templates=[{"templateName": "shared", "clusterScope": True}, {"templateName": "leaf"}])
    library = TemplateLibrary([cluster, leaf, parent])
    run = build_analysis_run([parent, leaf], library=library)  # leaf is named twice: kept once
    assert run.names == ["parent", "leaf", "cluster-wide"]
    with pytest.raises(ScenarioError, match="references other templates \\(shared, leaf\\)"):
        build_analysis_run([parent])


def test_the_library_names_what_is_missing_and_refuses_circles() -> None:
    library = TemplateLibrary([template(metric("a"), name="success-rate")])
    with pytest.raises(ScenarioError, match="AnalysisTemplate 'sucess-rate' not found \\(did you mean "
                                            "'success-rate'\\?\\)"):
        library.get(TemplateRef(template_name="sucess-rate"))
    with pytest.raises(ScenarioError, match="an AnalysisTemplate of that name exists: set clusterScope: false"):
        library.get(TemplateRef(template_name="success-rate", cluster_scope=True))
    a = template(metric("a"), name="a", templates=[{"templateName": "b"}])
    b = template(metric("b"), name="b", templates=[{"templateName": "a"}])
    with pytest.raises(ScenarioError, match="in a circle: a -> b -> a"):
        TemplateLibrary([a, b]).resolve([TemplateRef(template_name="a")])


def test_job_metrics_keep_their_spec_and_failure_probability() -> None:
    job = {"job": {"metadata": {"annotations": {"rollout-sim/failure-probability": "0.2"}},
                   "spec": {"template": {"spec": {"containers": [{"args": ["--target={{args.url}}"]}]}}}}}
    run = build_analysis_run([template(metric("smoke", provider=job), args=[{"name": "url", "value": "http://c"}])])
    provider = run.metric("smoke").provider
    assert isinstance(provider, JobRun) and provider.failure_probability == 0.2
    assert provider.spec["template"]["spec"]["containers"][0]["args"] == ["--target=http://c"]
