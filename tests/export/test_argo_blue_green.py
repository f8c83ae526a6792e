"""A BlueGreen exported as an Argo ``blueGreen`` Rollout: services, pre- and post-promotion analysis, refusals."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from simulator.cli import main
from simulator.errors import ScenarioError
from simulator.export import export_manifests
from simulator.scenario import parse_scenario
from tests.export.read_back import base_data


def _export(**blue_green: Any) -> str:
    data = base_data("good")
    data["strategies"]["blue_green"].update(blue_green)
    return export_manifests(parse_scenario(data), "blue_green", "argo")


def _documents(text: str) -> dict[str, dict[str, Any]]:
    return {f"{document['kind']} {document['metadata']['name']}": document
            for document in yaml.safe_load_all(text) if document}


def test_the_export_validates_as_argo_manifests(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "blue-green.yaml"
    path.write_text(_export())
    assert main(["validate", str(path)]) == 0
    assert "blue-green" in capsys.readouterr().out


def test_the_rollout_switches_after_blue_s_baseline_and_watches_green_after_the_switch() -> None:
    documents = _documents(_export())
    spec = documents["Rollout export-read-back"]["spec"]
    blue_green = spec["strategy"]["blueGreen"]
    assert blue_green["activeService"] == "export-read-back-active"
    assert blue_green["previewService"] == "export-read-back-preview"
    assert blue_green["autoPromotionEnabled"] is True and "autoPromotionSeconds" not in blue_green
    assert blue_green["prePromotionAnalysis"]["templates"] == [{"templateName": "export-read-back-baseline"}]
    assert blue_green["postPromotionAnalysis"]["templates"] == [{"templateName": "export-read-back-watch"}]
    assert blue_green["scaleDownDelaySeconds"] == 180 + 60  # the watch, then keepBlueDuration
    assert (spec["progressDeadlineSeconds"], spec["progressDeadlineAbort"]) == (600, True)
    args = {arg["name"]: arg["value"] for arg in blue_green["postPromotionAnalysis"]["args"]}
    assert args == {"candidate-service": "export-read-back-preview", "stable-service": "export-read-back-active"}


def test_the_watch_compares_green_with_blue_s_window_before_the_switch() -> None:
    watch = _documents(_export())["AnalysisTemplate export-read-back-watch"]["spec"]["metrics"]
    names = [metric["name"] for metric in watch]
    assert names == [f"error-rate-increase-at-{at}" for at in ("30s", "1m", "1m30s", "2m", "2m30s", "3m")] + [
        "error-rate-increase", "latency-increase", "accuracy-drop"]
    first = watch[0]
    assert (first["initialDelay"], first["count"]) == ("30s", 1)
    assert '{{args.stable-service}}"}[3m] offset 30s' in first["provider"]["prometheus"]["query"]
    latency = next(metric for metric in watch if metric["name"] == "latency-increase")
    assert latency["initialDelay"] == "3m"
    assert '{{args.stable-service}}"}[3m] offset 3m' in latency["provider"]["prometheus"]["query"]


def test_with_a_failure_limit_the_in_step_checks_count_failures_across_looks() -> None:
    text = _export(failureLimit=1)
    watch = _documents(text)["AnalysisTemplate export-read-back-watch"]["spec"]["metrics"]
    in_step = watch[0]
    assert (in_step["name"], in_step["count"], in_step["interval"], in_step["failureLimit"]) == (
        "error-rate-increase-in-step", 6, "30s", 1)
    assert "# - strategies.blue_green.analysisWindow: with failureLimit" in text


def test_the_smoke_test_is_noted_not_exported() -> None:
    text = _export(smokeTestSamples=200)
    assert "# - strategies.blue_green.smokeTestSamples: the smoke test (200 synthetic requests" in text
    assert "smokeTestSamples" not in _export()


@pytest.mark.parametrize(("change", "key"), [
    ({"shiftSteps": [25, 50, 100]}, "shiftSteps"),
    ({"validation": {}}, "validation"),
])
def test_what_argo_s_blue_green_cannot_do_is_refused(change: dict[str, Any], key: str) -> None:
    with pytest.raises(ScenarioError) as caught:
        _export(**change)
    assert caught.value.path == f"strategies.blue_green.{key}"


def test_flagger_refuses_a_blue_green() -> None:
    with pytest.raises(ScenarioError, match=r"strategies\.blue_green: got a blue-green strategy; expected a canary "
                                            "strategy: Flagger has no manifest for it"):
        export_manifests(parse_scenario(base_data("good")), "blue_green", "flagger")
