"""A Canary exported as a Flagger Canary with MetricTemplates: weights, metrics, notes and refusals."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from simulator.cli import main
from simulator.errors import ScenarioError
from simulator.export import export_manifests
from simulator.export.flagger import flagger_interval
from simulator.scenario import parse_scenario
from tests.export.read_back import base_data


def _export(data: dict[str, Any] | None = None, **canary: Any) -> str:
    data = data or base_data("good")
    data["strategies"]["canary"].update(canary)
    for key, value in list(data["strategies"]["canary"].items()):
        if value is None:
            del data["strategies"]["canary"][key]
    return export_manifests(parse_scenario(data), "canary", "flagger")


def _documents(text: str) -> dict[str, dict[str, Any]]:
    return {f"{document['kind']} {document['metadata']['name']}": document
            for document in yaml.safe_load_all(text) if document}


def test_the_export_validates_as_flagger_manifests(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "flagger.yaml"
    path.write_text(_export())
    assert main(["validate", str(path)]) == 0
    assert "Canary export-read-back: canary" in capsys.readouterr().out


def test_each_weight_is_one_interval_of_monitoring_duration_and_each_rule_a_metric_template() -> None:
    documents = _documents(_export())
    analysis = documents["Canary export-read-back"]["spec"]["analysis"]
    assert (analysis["interval"], analysis["threshold"]) == ("3m", 1)
    assert analysis["stepWeights"] == [10, 30, 50, 70, 90]  # the seed guide's loop promotes at 100 unchecked
    metrics = {metric["name"]: metric for metric in analysis["metrics"]}
    assert list(metrics) == ["error-rate-increase", "latency-increase", "accuracy-drop"]
    assert metrics["latency-increase"]["thresholdRange"] == {"max": 1.5}
    assert metrics["latency-increase"]["interval"] == "3m"
    template = documents["MetricTemplate export-read-back-latency-increase"]["spec"]
    assert template["provider"]["type"] == "prometheus"
    query = template["query"]
    assert "[{{ interval }}]" in query and 'destination_workload="{{ target }}-primary"' in query
    assert "istio_request_duration_milliseconds_bucket" in query


def test_weights_in_equal_steps_are_step_weight_and_max_weight() -> None:
    analysis = _documents(_export(initialPercentage=20, incrementStep=20))["Canary export-read-back"]["spec"][
        "analysis"]
    assert (analysis["stepWeight"], analysis["maxWeight"]) == (20, 80)
    assert "stepWeights" not in analysis


def test_what_flagger_does_otherwise_is_said_in_the_header() -> None:
    text = _export(steps=[10, 50, 100], initialPercentage=None, incrementStep=None, initialDuration="5m")
    header = text[:text.index("apiVersion")]
    for key in ("monitoringDuration", "analysisInterval", "steps", "initialDuration", "candidateReplicas",
                "onInconclusive", "rollbackThresholds.accuracyDrop"):
        assert f"# - strategies.canary.{key}: " in header, key
    assert _documents(text)["Canary export-read-back"]["spec"]["analysis"]["stepWeights"] == [10, 50]


@pytest.mark.parametrize(("seconds", "written"), [(180, "3m"), (90, "1m30s"), (45, "45s"), (3600, "60m")])
def test_intervals_are_minutes_and_seconds(seconds: float, written: str) -> None:
    assert flagger_interval(seconds) == written


@pytest.mark.parametrize(("change", "key", "message"), [
    ({"rolloutDuration": "10m", "steps": [10, 30], "initialPercentage": None, "incrementStep": None},
     "rolloutDuration", "cannot hold one weight over several checks"),
    ({"initialPercentage": 2.5}, "initialPercentage", "Flagger's weights are whole percentages"),
    ({"onInconclusive": "pause"}, "onInconclusive", "got pause: Flagger fails a check"),
    ({"onInconclusive": "promote"}, "onInconclusive", "got promote: Flagger fails a check"),
    ({"judge": "mann_whitney"}, "judge", "got mann_whitney"),
])
def test_a_setting_flagger_cannot_carry_out_is_refused_naming_its_key(change: dict[str, Any], key: str,
                                                                       message: str) -> None:
    with pytest.raises(ScenarioError) as caught:
        _export(**change)
    assert caught.value.path == f"strategies.canary.{key}"
    assert message in str(caught.value)


def test_accuracy_whose_labels_come_after_an_interval_is_refused() -> None:
    data = base_data("good")
    data["monitoring"]["labels"] = {"delay": "3m", "fraction": 0.5}
    with pytest.raises(ScenarioError, match=r"strategies\.canary\.rollbackThresholds\.accuracyDrop: got 0\.05: "
                                            r"labels arrive 180s after the response"):
        _export(data)
    data["strategies"]["canary"]["rollbackThresholds"].pop("accuracyDrop")
    assert "accuracy-drop" not in _export(data)
