"""A Canary exported as an Argo Rollout: the steps, the analysis templates, the conditions, and what is refused."""

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


def _export(tmp_path: Path | None = None, data: dict[str, Any] | None = None, **canary: Any) -> str:
    data = data or base_data("good")
    data["strategies"]["canary"].update(canary)
    for key, value in list(data["strategies"]["canary"].items()):
        if value is None:
            del data["strategies"]["canary"][key]
    return export_manifests(parse_scenario(data), "canary", "argo")


def _documents(text: str) -> list[dict[str, Any]]:
    return [document for document in yaml.safe_load_all(text) if document]


def _rollout(text: str) -> dict[str, Any]:
    return next(document for document in _documents(text) if document["kind"] == "Rollout")


def _templates(text: str) -> dict[str, dict[str, Any]]:
    return {document["metadata"]["name"]: document for document in _documents(text)
            if document["kind"] == "AnalysisTemplate"}


def _metrics(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {metric["name"]: metric for metric in template["spec"]["metrics"]}


def test_the_export_validates_as_argo_manifests(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "canary.yaml"
    path.write_text(_export())
    assert main(["validate", str(path)]) == 0
    out = capsys.readouterr()
    assert "error" not in out.err
    assert "Rollout export-read-back: canary" in out.out


def test_each_weight_of_the_seed_guide_loop_is_set_then_analysed_and_100_promotes_unchecked() -> None:
    canary = _rollout(_export())["spec"]["strategy"]["canary"]
    kinds = [next(iter(step)) for step in canary["steps"]]
    weights = [step["setWeight"] for step in canary["steps"] if "setWeight" in step]
    assert weights == [10, 30, 50, 70, 90, 100]  # initialPercentage 10, incrementStep 20
    assert kinds == ["setWeight", "analysis"] * 5 + ["setWeight"]
    routing = {"istio": {"virtualService": {"name": "export-read-back", "routes": ["primary"]}}}
    assert canary["trafficRouting"] == routing
    assert "dynamicStableScale" not in canary  # capacity: shared, the threshold judge's default
    analysis = canary["steps"][1]["analysis"]
    assert analysis["templates"] == [{"templateName": "export-read-back-step-3m"}]
    assert {arg["name"]: arg["value"] for arg in analysis["args"]} == {
        "candidate-service": canary["canaryService"], "stable-service": canary["stableService"]}


def test_a_step_template_checks_in_step_every_interval_and_the_whole_step_at_its_end() -> None:
    metrics = _metrics(_templates(_export())["export-read-back-step-3m"])
    assert list(metrics) == ["error-rate-increase-in-step", "error-rate-increase", "latency-increase",
                             "accuracy-drop"]
    in_step = metrics["error-rate-increase-in-step"]
    assert (in_step["initialDelay"], in_step["interval"], in_step["count"]) == ("30s", "30s", 6)  # 3 min / 30 s
    assert in_step["successCondition"] == "len(result) == 0 || result[0] <= 0.01"
    assert "[1m]" in in_step["provider"]["prometheus"]["query"]  # analysisWindow
    latency = metrics["latency-increase"]
    assert (latency["initialDelay"], latency["count"]) == ("3m", 1)
    assert latency["successCondition"] == "result[0] <= 1.5"
    assert latency["consecutiveErrorLimit"] == 21  # maxDataWait: 3 min + the labels' 30 s, retried every 10 s
    query = latency["provider"]["prometheus"]["query"]
    assert query.count("histogram_quantile(0.99") == 2 and "[3m]" in query and "offset" not in query


@pytest.mark.parametrize(("mode", "conditions"), [
    ("wait", {"successCondition": "result[0] <= 1.5"}),
    ("rollback", {"successCondition": "len(result) > 0 && result[0] <= 1.5"}),
    ("promote", {"successCondition": "len(result) == 0 || result[0] <= 1.5"}),
    ("pause", {"successCondition": "len(result) > 0 && result[0] <= 1.5",
               "failureCondition": "len(result) > 0 && result[0] > 1.5", "consecutiveSuccessLimit": 1,
               "interval": "30s", "count": 8, "inconclusiveLimit": 8}),  # 1 + 210 s / 30 s looks
])
def test_an_inconclusive_step_end_check_does_what_on_inconclusive_says(mode: str, conditions: dict[str, Any]) -> None:
    latency = _metrics(_templates(_export(onInconclusive=mode))["export-read-back-step-3m"])["latency-increase"]
    assert {key: latency[key] for key in conditions} == conditions
    assert ("consecutiveErrorLimit" in latency) == (mode == "wait")


def test_an_explicit_schedule_checks_100_against_the_stable_window_before_it() -> None:
    text = _export(steps=[10, 50, 100], initialPercentage=None, incrementStep=None)
    canary = _rollout(text)["spec"]["strategy"]["canary"]
    assert [next(iter(step)) for step in canary["steps"]] == ["setWeight", "analysis"] * 3
    assert canary["steps"][-1]["analysis"]["templates"] == [{"templateName": "export-read-back-step-3m-at-100"}]
    metrics = _metrics(_templates(text)["export-read-back-step-3m-at-100"])
    looks = [name for name in metrics if name.startswith("error-rate-increase-at-")]
    assert looks == [f"error-rate-increase-at-{at}" for at in ("30s", "1m", "1m30s", "2m", "2m30s", "3m")]
    assert "[3m] offset 90s" in metrics["error-rate-increase-at-1m30s"]["provider"]["prometheus"]["query"]
    assert "[3m] offset 3m" in metrics["latency-increase"]["provider"]["prometheus"]["query"]


def test_replicas_and_capacity_settings_become_argo_s() -> None:
    canary = _rollout(_export(candidateReplicas="full", capacity="proportional"))["spec"]["strategy"]["canary"]
    assert canary["steps"][0] == {"setCanaryScale": {"replicas": 4}}
    assert canary["dynamicStableScale"] is True


def test_the_first_step_keeps_its_own_duration() -> None:
    text = _export(initialDuration="5m")
    steps = _rollout(text)["spec"]["strategy"]["canary"]["steps"]
    assert steps[1]["analysis"]["templates"] == [{"templateName": "export-read-back-step-5m"}]
    assert steps[3]["analysis"]["templates"] == [{"templateName": "export-read-back-step-3m"}]
    assert set(_templates(text)) == {"export-read-back-step-5m", "export-read-back-step-3m"}


def test_a_rollout_duration_is_laid_out_as_held_steps_and_said_so() -> None:
    text = _export(steps=[10, 30], rolloutDuration="10m", initialPercentage=None, incrementStep=None)
    steps = _rollout(text)["spec"]["strategy"]["canary"]["steps"]
    assert [next(iter(step)) for step in steps] == ["setWeight", "analysis", "setWeight", "analysis", "analysis",
                                                    "analysis"]  # 3 + 3 + 3 + 3 min >= 10 min
    assert "# - strategies.canary.rolloutDuration: laid out as 4 analysed steps" in text


def test_the_header_names_the_strategy_and_each_approximation_by_its_key() -> None:
    text = _export(failureLimit=2)
    header = text[:text.index("apiVersion")]
    assert all(line.startswith("#") for line in header.splitlines())
    assert "strategy 'canary' of scenario 'export-read-back'" in header
    assert "canary: {from: THIS_FILE}" in header
    assert "# - strategies.canary.failureLimit: failureLimit 2 counts" in header
    assert "# - strategies.canary.recheckInterval:" in header


@pytest.mark.parametrize(("change", "key", "message"), [
    ({"judge": "mann_whitney"}, "judge", "got mann_whitney: the statistical judge"),
    ({"baseline": "fresh", "steps": [10, 50, 100], "initialPercentage": None, "incrementStep": None}, "baseline",
     "got fresh: a fresh baseline deployment"),
    ({"steps": [2.5, 50, 100], "initialPercentage": None, "incrementStep": None}, "steps",
     "got 2.5, 50, 100: Argo's setWeight takes whole percentages"),
    ({"postPromotion": {}}, "postPromotion", "expected no postPromotion"),
])
def test_a_setting_argo_cannot_carry_out_is_refused_naming_its_key(change: dict[str, Any], key: str,
                                                                    message: str) -> None:
    with pytest.raises(ScenarioError) as caught:
        _export(**change)
    assert caught.value.path == f"strategies.canary.{key}"
    assert message in str(caught.value)
    assert "; expected " in str(caught.value) and "\n" not in str(caught.value)


def test_a_drift_score_rule_is_refused() -> None:
    data = base_data("good")
    data["monitoring"]["drift"] = {"window": "10m"}
    with pytest.raises(ScenarioError, match=r"strategies\.canary\.rollbackThresholds\.driftScore: got 0\.3"):
        _export(data=data, rollbackThresholds={"driftScore": 0.3, "errorRateIncrease": 0.01})


def test_another_kind_of_strategy_is_refused() -> None:
    data = base_data("good")
    data["strategies"]["rolling"] = {"batchSize": 1, "delay": "30s"}
    with pytest.raises(ScenarioError, match=r"strategies\.rolling: got a rolling strategy; expected a canary or "
                                            r"blue-green strategy"):
        export_manifests(parse_scenario(data), "rolling", "argo")
