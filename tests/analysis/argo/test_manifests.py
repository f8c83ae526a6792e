"""Reading AnalysisTemplate manifests: strict keys with did-you-mean, providers, durations, and Argo's own checks."""

from __future__ import annotations

import pytest
import yaml

from simulator.analysis.argo import FAILURE_PROBABILITY_ANNOTATION, parse_analysis_template, parse_go_duration
from simulator.errors import ScenarioError
from tests.analysis.argo.manifests import metric, template_document

WRITTEN = """
apiVersion: argoproj.io/v1alpha1
kind: ClusterAnalysisTemplate
metadata:
  name: error-ratio
  labels: {team: ml}
spec:
  args:
  - name: service
  - name: port
    value: 9090
  - name: token
    valueFrom:
      secretKeyRef: {name: prometheus, key: token}
  dryRun:
  - metricName: shadow-.*
  measurementRetention:
  - metricName: .*
    limit: 20
  metrics:
  - name: error-ratio
    interval: 1m30s
    initialDelay: 500ms
    count: "{{args.samples}}"
    successCondition: len(result) == 0 || result[0] < 0.01
    failureCondition: result[0] > 0.05
    failureLimit: "2"
    inconclusiveLimit: 1
    consecutiveErrorLimit: 2
    provider:
      prometheus:
        address: http://prometheus.monitoring:{{args.port}}
        timeout: 20
        headers: [{key: Authorization, value: "Bearer {{ args.token }}"}]
        query: |
          sum(rate(http_requests_total{service="{{args.service}}", status=~"5.."}[1m]))
          / sum(rate(http_requests_total{service="{{args.service}}"}[1m]))
  - name: shadow-smoke
    provider:
      job:
        metadata:
          annotations: {rollout-sim/failure-probability: "0.25"}
        spec:
          backoffLimit: 0
          template: {spec: {containers: [{name: smoke, image: curl}], restartPolicy: Never}}
"""


def error_of(document: dict) -> str:
    with pytest.raises(ScenarioError) as caught:
        parse_analysis_template(document)
    return str(caught.value)


def test_a_full_manifest_reads() -> None:
    template = parse_analysis_template(yaml.safe_load(WRITTEN))
    assert template.label == "ClusterAnalysisTemplate 'error-ratio'" and template.cluster_scope
    error_ratio, smoke = template.spec.metrics
    assert error_ratio.known_duration("interval") == 90.0 and error_ratio.known_duration("initial_delay") == 0.5
    assert error_ratio.known_int("failure_limit") == 2 and error_ratio.known_int("count") is None  # a placeholder
    assert template.spec.args[1].value == "9090"  # a number written as a value is its text
    assert smoke.provider.kind == "job" and smoke.provider.job is not None
    assert smoke.provider.job.failure_probability == 0.25


@pytest.mark.parametrize(("change", "message"), [
    ({"sucessCondition": "result < 1"}, "unknown key 'sucessCondition' (did you mean 'successCondition'?)"),
    ({"failurelimit": 1}, "unknown key 'failurelimit' (did you mean 'failureLimit'?)"),
    ({"intervall": "1m"}, "unknown key 'intervall' (did you mean 'interval'?)"),
])
def test_unknown_metric_keys_suggest_the_closest(change: dict, message: str) -> None:
    text = error_of(template_document(metric(**change), name="latency"))
    assert message in text
    assert text.startswith("spec.metrics[0]: AnalysisTemplate 'latency': ")


def test_unknown_keys_deeper_down_and_at_the_top() -> None:
    document = template_document(metric(provider={"prometheus": {"query": "up", "adress": "http://p"}}))
    assert "unknown key 'adress' (did you mean 'address'?)" in error_of(document)
    assert "spec.metrics[0].provider.prometheus" in error_of(document)
    document = template_document(metric(provider={"promethus": {"query": "up"}}))
    assert "unknown key 'promethus' (did you mean 'prometheus'?)" in error_of(document)
    document = template_document(metric(), args=[{"name": "a", "valueFrom": {"secretKeyRefs": {}}}])
    assert "unknown key 'secretKeyRefs' (did you mean 'secretKeyRef'?)" in error_of(document)
    document = {**template_document(metric()), "specs": {}}
    assert "unknown key 'specs' (did you mean 'spec'?)" in error_of(document)


@pytest.mark.parametrize("provider", ["web", "datadog", "newRelic", "cloudWatch", "kayenta", "plugin"])
def test_providers_the_simulator_does_not_have_are_named(provider: str) -> None:
    text = error_of(template_document(metric(provider={provider: {"query": "x"}})))
    assert f"provider '{provider}' is not supported" in text and "prometheus and job" in text


def test_a_provider_is_required_and_only_one() -> None:
    assert "no provider given" in error_of(template_document(metric(provider={})))
    both = {"prometheus": {"query": "up"}, "job": {"spec": {}}}
    assert "several providers given (prometheus, job)" in error_of(template_document(metric(provider=both)))
    ranged = {"prometheus": {"query": "up", "rangeQuery": {"start": "now()"}}}
    assert "rangeQuery is not supported" in error_of(template_document(metric(provider=ranged)))


def test_a_condition_that_does_not_parse_names_template_metric_and_expression() -> None:
    text = error_of(template_document(metric("p99", successCondition="result[0] <<= 0.25"), name="latency"))
    assert text == ("spec.metrics[0].successCondition: AnalysisTemplate 'latency': metric 'p99': successCondition "
                    "'result[0] <<= 0.25' does not parse: unexpected operator '<=' (column 12)")
    text = error_of(template_document(metric("p99", failureCondition="lenn(result) > 0")))
    assert "failureCondition 'lenn(result) > 0' does not parse: unknown function 'lenn' (did you mean 'len'?)" in text


@pytest.mark.parametrize(("fields", "message"), [
    ({"interval": "5 min"}, "got '5 min'; expected a duration such as 30s"),
    ({"interval": "1d"}, "no day unit"),
    ({"interval": 60}, "a number needs its unit (write 60s)"),
    ({"interval": "0s"}, "interval must be more than 0"),
    ({"initialDelay": "-1m"}, "got '-1m'"),
    ({"count": 2.5}, "expected an integer, or a string holding one"),
    ({"count": "two"}, "expected an integer, or a string holding one"),
    ({"count": True}, "expected an integer"),
    ({"count": 3}, "count 3 needs an interval"),
    ({"count": 2, "interval": "1m", "failureLimit": 3}, "count (2) must be >= failureLimit + consecutiveSuccessLimit"),
    ({"failureLimit": -2}, "failureLimit must be >= 0, or -1 to disable it"),
    ({"failureLimit": -1}, "cannot both be disabled"),
    ({"inconclusiveLimit": -1}, "inconclusiveLimit must be >= 0"),
    ({"consecutiveErrorLimit": "-1"}, "consecutiveErrorLimit must be >= 0"),
])
def test_values_are_checked_as_argo_checks_them(fields: dict, message: str) -> None:
    assert message in error_of(template_document(metric(**fields)))


def test_placeholders_are_left_for_later() -> None:
    document = template_document(metric(interval="{{args.every}}", count="{{args.n}}",
                                        successCondition="result[0] < {{args.limit}}"))
    assert parse_analysis_template(document).spec.metrics[0].interval == "{{args.every}}"


def test_kind_version_and_names() -> None:
    assert "expected 'argoproj.io/v1alpha1'" in error_of({**template_document(metric()), "apiVersion": "v1"})
    assert "AnalysisTemplate" in error_of({**template_document(metric()), "kind": "AnalysisRun"})
    assert "two metrics are named 'a'" in error_of(template_document(metric("a"), metric("a")))
    assert "no metrics and references no templates" in error_of(template_document())
    assert "expected a regular expression" in error_of(template_document(metric(), dryRun=[{"metricName": "("}]))


@pytest.mark.parametrize("probability", ["1.5", "-0.1", "often"])
def test_a_job_failure_probability_is_a_fraction(probability: str) -> None:
    job = {"job": {"metadata": {"annotations": {FAILURE_PROBABILITY_ANNOTATION: probability}}, "spec": {}}}
    assert "expected a probability from 0 to 1" in error_of(template_document(metric(provider=job)))


@pytest.mark.parametrize(("text", "seconds"), [
    ("30s", 30.0), ("5m", 300.0), ("1h", 3600.0), ("500ms", 0.5), ("1h30m", 5400.0), ("1m30.5s", 90.5),
    ("1.5h", 5400.0), ("0", 0.0), ("250us", 250e-6), ("10ns", 1e-8), (".5s", 0.5),
])
def test_go_durations(text: str, seconds: float) -> None:
    assert parse_go_duration(text) == pytest.approx(seconds)


@pytest.mark.parametrize("text", ["", "30", "1 m", "1d", "-5s", "+5s", "5M", "s", "1m-5s", "PT5M"])
def test_not_go_durations(text: str) -> None:
    with pytest.raises(ValueError, match="expected a duration such as 30s"):
        parse_go_duration(text)
