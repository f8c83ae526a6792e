"""Names are unique per kind, references resolve, and the kinds of the two groups are known."""

from __future__ import annotations

from pathlib import Path

import pytest

from simulator.errors import ScenarioError
from simulator.scenario.manifests import load_manifests, manifest_problems, summary_lines
from tests.scenario.manifests.peers import ARGO, FLAGGER, documents, write


def lines(path: Path) -> list[str]:
    return [str(problem) for problem in manifest_problems(path)]


def test_a_missing_analysis_template_is_named_with_the_closest_one(tmp_path: Path) -> None:
    docs = documents(ARGO)
    docs[0]["spec"]["strategy"]["canary"]["steps"][2]["analysis"]["templates"][1]["templateName"] = "error-rate"
    file = write(tmp_path / "argo.yaml", docs)
    assert lines(file) == [
        f"{file}: Rollout recommender: spec.strategy.canary.steps[2].analysis.templates[1].templateName: got "
        "'error-rate' (did you mean 'error-ratio'?); expected the name of an AnalysisTemplate (the manifests have "
        "p99-latency, error-ratio)"]


def test_a_template_of_the_other_scope_is_pointed_out(tmp_path: Path) -> None:
    docs = documents(ARGO)
    docs[2]["kind"] = "ClusterAnalysisTemplate"
    file = write(tmp_path / "argo.yaml", docs)
    (line,) = lines(file)
    assert "templates[1].templateName: got 'error-ratio' (ClusterAnalysisTemplate 'error-ratio' exists: set " \
           "clusterScope: true to use it)" in line
    docs[0]["spec"]["strategy"]["canary"]["steps"][2]["analysis"]["templates"][1]["clusterScope"] = True
    manifests = load_manifests(write(tmp_path / "scoped.yaml", docs))
    assert list(manifests.cluster_analysis_templates) == ["error-ratio"]
    ref = manifests.rollout().spec.strategy.canary.steps[2].analysis.templates[1]  # type: ignore[union-attr]
    assert manifests.analysis_template(ref).kind == "ClusterAnalysisTemplate"
    docs[0]["spec"]["strategy"]["canary"]["steps"][2]["analysis"]["templates"][0]["clusterScope"] = True
    (line,) = lines(write(tmp_path / "wrong-scope.yaml", docs))
    assert "templates[0].templateName: got 'p99-latency' (AnalysisTemplate 'p99-latency' exists: remove " \
           "clusterScope to use it); expected the name of a ClusterAnalysisTemplate" in line


def test_no_template_at_all(tmp_path: Path) -> None:
    file = write(tmp_path / "argo.yaml", documents(ARGO)[:1])
    assert [line.split("; ", 1)[1] for line in lines(file)] == [
        "expected the name of an AnalysisTemplate (the manifests have no AnalysisTemplate)"] * 2


def test_a_template_with_its_own_problem_is_not_also_missing(tmp_path: Path) -> None:
    docs = documents(ARGO)
    docs[1]["spec"] = "metrics"
    (line,) = lines(write(tmp_path / "argo.yaml", docs))
    assert "AnalysisTemplate p99-latency: spec: got 'metrics'; expected a mapping" in line


def test_a_missing_metric_template_and_a_namespace_that_does_not_match(tmp_path: Path) -> None:
    docs = documents(FLAGGER)
    docs[0]["spec"]["analysis"]["metrics"][1]["templateRef"]["name"] = "error-percent"
    (line,) = lines(write(tmp_path / "flagger.yaml", docs))
    assert line.endswith("Canary recommender: spec.analysis.metrics[1].templateRef.name: got 'error-percent' (did "
                         "you mean 'error-percentage'?); expected the name of a MetricTemplate (the manifests have "
                         "error-percentage)")
    docs = documents(FLAGGER)
    docs[1]["metadata"]["namespace"] = "monitoring"
    (line,) = lines(write(tmp_path / "flagger-ns.yaml", docs))
    assert "spec.analysis.metrics[1].templateRef.namespace: got namespace 'ml'; expected 'monitoring', the " \
           "namespace of MetricTemplate 'error-percentage'" in line
    del docs[0]["spec"]["analysis"]["metrics"][1]["templateRef"]["namespace"]
    del docs[0]["metadata"]["namespace"]  # unwritten namespaces are the one the manifests are applied to
    assert lines(write(tmp_path / "flagger-unwritten.yaml", docs)) == []


def test_duplicate_names_of_one_kind(tmp_path: Path) -> None:
    argo, flagger = documents(ARGO), documents(FLAGGER)
    file = write(tmp_path / "both.yaml", [*argo, *flagger, argo[1]])
    assert lines(file) == [
        f"{file}: AnalysisTemplate p99-latency: metadata.name: got a second AnalysisTemplate named 'p99-latency'; "
        f"expected one per name (the first is document 2 of {file})"]
    manifests = load_manifests(write(tmp_path / "same-name.yaml", [*argo, *flagger]))
    assert manifests.rollout("recommender").name == manifests.canary("recommender").name  # two kinds, one name


@pytest.mark.parametrize(("api_version", "kind", "message"), [
    ("argoproj.io/v1alpha1", "Rolout", "kind: got kind 'Rolout' of argoproj.io/v1alpha1 (did you mean 'Rollout'?); "
     "expected one of: Rollout, AnalysisTemplate, ClusterAnalysisTemplate"),
    ("argoproj.io/v1alpha1", "AnalysisTemplates", "(did you mean 'AnalysisTemplate'?)"),
    ("flagger.app/v1beta1", "canary", "kind: got kind 'canary' of flagger.app/v1beta1 (did you mean 'Canary'?)"),
    ("argoproj.io/v1beta1", "Rollout", "apiVersion: got apiVersion 'argoproj.io/v1beta1'; expected "
     "argoproj.io/v1alpha1"),
    ("flagger.app/v1alpha3", "Canary", "apiVersion: got apiVersion 'flagger.app/v1alpha3'; expected "
     "flagger.app/v1beta1"),
])
def test_unknown_kinds_and_versions_of_the_two_groups(tmp_path: Path, api_version: str, kind: str,
                                                      message: str) -> None:
    docs = documents(ARGO)
    docs.append({"apiVersion": api_version, "kind": kind, "metadata": {"name": "x"}, "spec": {}})
    (line,) = lines(write(tmp_path / "m.yaml", docs))
    assert f"{kind} x: " in line and message in line, line


@pytest.mark.parametrize(("document", "message"), [
    ([1, 2], "document 4: got list; expected a Kubernetes object"),
    ({"kind": "Rollout", "metadata": {"name": "x"}}, "document 4: apiVersion: missing required key"),
    ({"apiVersion": "argoproj.io/v1alpha1", "kind": 5}, "document 4: kind: got 5; expected text"),
])
def test_documents_that_are_no_kubernetes_objects(tmp_path: Path, document: object, message: str) -> None:
    (line,) = lines(write(tmp_path / "m.yaml", [*documents(ARGO), document]))
    assert message in line, line


def test_choosing_an_object_by_name(tmp_path: Path) -> None:
    manifests = load_manifests(ARGO)
    with pytest.raises(ScenarioError, match="got Rollout 'recomender' \\(did you mean 'recommender'\\?\\)"):
        manifests.rollout("recomender")
    with pytest.raises(ScenarioError, match="got 0 Canary objects \\(none\\); expected exactly one"):
        manifests.canary()


def test_what_a_user_wrote_stays_on_one_line(tmp_path: Path) -> None:
    docs = documents(FLAGGER)
    docs[0]["spec"]["analysis"]["metrics"][1]["name"] = "error\npercentage"
    manifests = load_manifests(write(tmp_path / "ok.yaml", docs))
    assert "metrics request-duration, error\\npercentage (MetricTemplate" in summary_lines(manifests)[0]
    docs.append({"apiVersion": "flagger.app/v1beta1", "kind": "Can\u2028ary", "metadata": {"name": "x"}})
    (line,) = lines(write(tmp_path / "bad.yaml", docs))
    assert "kind: got kind 'Can\\u2028ary' of flagger.app/v1beta1" in line and line.isprintable()
