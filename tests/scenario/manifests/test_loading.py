"""The peers' manifests load unchanged, with the values and defaults Argo Rollouts and Flagger give them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from simulator.errors import ScenarioError
from simulator.scenario.manifests import RawAnalysisTemplate, load_manifests, manifest_problems
from tests.scenario.manifests.peers import ARGO, FLAGGER, documents, write

SERVICE = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "recommender-canary"},
           "spec": {"ports": [{"port": 80}]}}


def test_the_argo_canary_loads_unchanged() -> None:
    manifests = load_manifests(ARGO)
    rollout = manifests.rollout()
    assert rollout.name == "recommender" and rollout.spec.replicas == 6
    canary = rollout.spec.strategy.canary
    assert canary is not None and rollout.strategy_kind == "canary"
    assert [step.kind for step in canary.steps] == ["setWeight", "pause", "analysis", "setWeight", "pause",
                                                    "setWeight", "pause"]
    assert canary.weights == [10, 30, 60]
    assert [step.pause.duration for step in canary.steps if step.pause] == [60, 120, 120]
    analysis = canary.steps[2].analysis
    assert analysis is not None and analysis.template_names == ["p99-latency", "error-ratio"]
    assert [(arg.name, arg.value) for arg in analysis.args] == [("service-name", "recommender-canary")]
    assert (canary.canary_service, canary.stable_service) == ("recommender-canary", "recommender-stable")
    # Argo's defaults for what the manifest leaves out.
    assert (canary.max_surge, canary.max_unavailable) == ("25%", "25%")
    assert canary.abort_scale_down_delay_seconds is None and canary.scale_down_delay == 30
    assert canary.traffic_routing is None and canary.dynamic_stable_scale is False
    assert rollout.spec.progress_deadline_seconds == 600 and rollout.spec.revision_history_limit == 10
    assert all(step.unsupported is None for step in canary.steps)
    templates = manifests.analysis_templates
    assert list(templates) == ["p99-latency", "error-ratio"]
    assert isinstance(templates["error-ratio"], RawAnalysisTemplate)
    assert templates["error-ratio"].spec["metrics"][0]["failureCondition"] == "len(result) > 0 && result[0] > 0.01"
    assert manifests.cluster_analysis_templates == {} and manifests.ignored == ()
    assert manifests.analysis_template(analysis.templates[0]) is templates["p99-latency"]


def test_the_flagger_canary_loads_unchanged() -> None:
    manifests = load_manifests(FLAGGER)
    canary = manifests.canary("recommender")
    analysis = canary.spec.analysis
    assert (analysis.interval, analysis.threshold, analysis.step_weights) == (60.0, 2, (5, 10, 25, 50))
    assert analysis.strategy_kind == "canary" and analysis.effective_max_weight == 50
    assert analysis.step_weight is None and analysis.iterations is None and analysis.max_weight is None
    duration, errors = analysis.metrics
    assert (duration.name, duration.source, duration.interval) == ("request-duration", "builtin", 60.0)
    assert duration.threshold_range is not None and duration.threshold_range.max == 250
    assert duration.threshold_range.min is None
    assert errors.source == "template" and manifests.metric_template(errors).name == "error-percentage"
    assert (canary.primary_service, canary.canary_service) == ("recommender-primary", "recommender-canary")
    assert canary.spec.skip_analysis is False and canary.spec.progress_deadline_seconds == 600
    template = manifests.metric_templates["error-percentage"]
    assert template.spec.provider.type == "prometheus" and "{{ interval }}" in template.spec.query
    assert template.metadata.namespace == "ml"


def test_a_directory_reads_every_manifest_file_in_name_order(tmp_path: Path) -> None:
    directory = tmp_path / "manifests"
    directory.mkdir()
    argo, flagger = documents(ARGO), documents(FLAGGER)
    write(directory / "b-templates.yml", argo[1:])
    write(directory / "a-rollout.yaml", argo[:1])
    (directory / "c-flagger.json").write_text(json.dumps({"apiVersion": "v1", "kind": "List", "items": flagger}))
    (directory / "notes.txt").write_text("not a manifest: [")
    manifests = load_manifests(directory)
    assert [(Path(entry.file).name, entry.label) for entry in manifests.entries] == [
        ("a-rollout.yaml", "Rollout recommender"),
        ("b-templates.yml", "AnalysisTemplate p99-latency"),
        ("b-templates.yml", "AnalysisTemplate error-ratio"),
        ("c-flagger.json", "Canary recommender"),
        ("c-flagger.json", "MetricTemplate error-percentage"),
    ]
    assert manifests.entries[4].place == "document 1, items[1]"
    assert manifests.source == str(directory)


def test_other_kubernetes_objects_and_empty_documents_are_listed_and_ignored(tmp_path: Path) -> None:
    text = "---\n" + ARGO.read_text() + "\n---\n---\n" + json.dumps(SERVICE) + "\n---\n"
    path = tmp_path / "with-service.yaml"
    path.write_text(text)
    manifests = load_manifests(path)
    assert len(manifests.entries) == 3
    (service,) = manifests.ignored
    assert (service.kind, service.name, service.api_version) == ("Service", "recommender-canary", "v1")
    assert service.place == "document 5"  # the empty document 4 counts for the place, not as an object
    assert [entry.place for entry in manifests.entries] == ["document 1", "document 2", "document 3"]


@pytest.mark.parametrize("kind", ["AnalysisRun", "Experiment"])
def test_real_argo_kinds_that_take_no_part_are_ignored(tmp_path: Path, kind: str) -> None:
    extra = {"apiVersion": "argoproj.io/v1alpha1", "kind": kind, "metadata": {"name": "x"}, "spec": {}}
    manifests = load_manifests(write(tmp_path / "m.yaml", [*documents(ARGO), extra]))
    assert [document.kind for document in manifests.ignored] == [kind]


def test_nothing_to_read_is_an_error(tmp_path: Path) -> None:
    only_service = write(tmp_path / "service.yaml", [SERVICE])
    with pytest.raises(ScenarioError, match="no Argo Rollouts or Flagger objects; expected one of: Rollout"):
        load_manifests(only_service)
    empty = tmp_path / "empty"
    empty.mkdir()
    (problem,) = manifest_problems(empty)
    assert "no .yaml, .yml or .json files" in str(problem)
    (missing,) = manifest_problems(tmp_path / "absent.yaml")
    assert str(missing).startswith(f"{tmp_path / 'absent.yaml'}: file not found")


def test_unreadable_files_are_one_line_each(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("apiVersion: v1\nkind: [unclosed\n")
    (problem,) = manifest_problems(broken)
    assert str(problem).startswith(f"{broken}: not valid YAML: ") and "\n" not in str(problem)
    binary = tmp_path / "binary.yaml"
    binary.write_bytes(b"apiVersion: v1\xff\n")
    (problem,) = manifest_problems(binary)
    assert "not UTF-8 text (byte 0xff" in str(problem)


def test_load_raises_the_first_problem_and_counts_the_others(tmp_path: Path) -> None:
    docs = documents(ARGO)
    docs[0]["spec"]["replicas"] = "six"
    docs[1]["spek"] = docs[1].pop("spec")
    path = write(tmp_path / "two.yaml", docs)
    with pytest.raises(ScenarioError) as raised:
        load_manifests(path)
    message = str(raised.value)
    assert message.startswith(f"{path}: Rollout recommender: spec.replicas: got 'six'; expected a whole number")
    assert message.endswith("(and 2 more problems)")  # 'spek' is unknown, 'spec' is missing

