"""Argo Rollouts blue-green and background analysis run from their manifests, unchanged, in the simulated world."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from simulator import run
from simulator.errors import ScenarioError
from simulator.scenario import load_scenario, parse_scenario
from tests.helpers import SCENARIOS, scenario_data

BLUE_GREEN = SCENARIOS / "argo-blue-green.yaml"
BACKGROUND = SCENARIOS / "argo-canary-background.yaml"


def scenario_file(tmp_path: Path, name: str, manifest: str, edit=lambda text: text, **changes) -> Path:
    """A bundled scenario beside a copy of its manifest (``edit`` applied to it), with ``changes`` to the scenario."""
    (tmp_path / "peers").mkdir(exist_ok=True)
    (tmp_path / "peers" / manifest).write_text(edit((SCENARIOS / "peers" / manifest).read_text()))
    data = scenario_data(name)
    data.update(changes)
    path = tmp_path / "scenario.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def event_times(result, kind: str) -> list[float]:
    return [event.t for event in result.events if event.kind == kind]


def candidate_served_before_switch(result) -> bool:
    switched = [event.t for event in result.events if event.kind == "set_weights"
                and event.data.get("weights", {}).get("v2", 0.0) == 100.0]
    return bool(switched)


@pytest.mark.parametrize("seed", [1, 2])
def test_a_failing_candidate_passes_the_smoke_test_and_is_switched_back_by_the_post_promotion_analysis(
        seed: int) -> None:
    result = run(load_scenario(BLUE_GREEN), "argo", seed)
    assert result.outcome == "rolled_back"
    assert result.reason.startswith("post-promotion analysis error-ratio failed: result[0] = 0.0")
    assert [event.detail for event in result.events if event.kind == "check"][0] \
        == "pre-promotion analysis, smoke-test: the job succeeded"
    # the preview served no user traffic before the switch: every candidate request came after it
    switch = next(event.t for event in result.events if event.kind == "step" and "switched to v2" in event.detail)
    assert switch == pytest.approx(90.0)  # ready at 30 s, then autoPromotionSeconds 60
    assert 0 < result.versions["v2"].requests < 120 * (result.decision_time_s - switch) * 1.1


def test_a_good_candidate_is_promoted_after_the_post_promotion_analysis_and_the_old_version_retired(
        tmp_path: Path) -> None:
    data = scenario_data("argo-blue-green.yaml")
    data["versions"]["v2"] = dict(data["versions"]["v1"])
    result = run(load_scenario(scenario_file(tmp_path, "argo-blue-green.yaml", "argo-blue-green.yaml",
                                             versions=data["versions"])), "argo", 1)
    assert result.outcome == "promoted", result.reason
    assert result.decision_time_s == pytest.approx(90.0 + 60.0 + 4 * 60.0)  # initialDelay 1m, then 5 x 1m
    retired = [event for event in result.events if event.kind == "scale" and event.detail == "v1: 6 -> 0 replicas"]
    assert [event.t for event in retired] == [pytest.approx(result.decision_time_s + 300.0)]


def test_a_job_that_always_fails_stops_the_rollout_before_the_switch(tmp_path: Path) -> None:
    path = scenario_file(tmp_path, "argo-blue-green.yaml", "argo-blue-green.yaml",
                         edit=lambda text: text.replace('failure-probability: "0.02"', 'failure-probability: "1"'))
    result = run(load_scenario(path), "argo", 1)
    assert result.outcome == "rolled_back"
    assert result.reason.startswith("pre-promotion analysis smoke-test failed")
    assert result.versions["v2"].requests == 0


@pytest.mark.slow
def test_the_world_draws_the_job_outcomes_at_their_probability(tmp_path: Path) -> None:
    path = scenario_file(tmp_path, "argo-blue-green.yaml", "argo-blue-green.yaml",
                         edit=lambda text: text.replace('failure-probability: "0.02"', 'failure-probability: "0.5"'))
    scenario = load_scenario(path)
    smoke = [run(scenario, "argo", seed).events for seed in range(1, 13)]
    verdicts = [next(event.data["verdict"] for event in events if event.kind == "check") for events in smoke]
    assert set(verdicts) == {"pass", "fail"}  # 12 seeds at 0.5: all alike has probability 2 x 0.5^12
    again = [next(event.data["verdict"] for event in run(scenario, "argo", seed).events if event.kind == "check")
             for seed in range(1, 13)]
    assert again == verdicts


def test_auto_promotion_off_waits_for_the_scenario_s_promote_operation(tmp_path: Path) -> None:
    path = scenario_file(tmp_path, "argo-blue-green.yaml", "argo-blue-green.yaml",
                         edit=lambda text: text.replace("autoPromotionEnabled: true", "autoPromotionEnabled: false"),
                         operations=[{"at": "10m", "promote": "argo"}])
    result = run(load_scenario(path), "argo", 1)
    switch = next(event.t for event in result.events if event.kind == "step" and "switched to v2" in event.detail)
    assert switch == pytest.approx(600.0)
    operation = next(event for event in result.events if event.kind == "operation")
    assert operation.detail == "promote at 600s: the pause before the switch released"


def test_without_a_promote_the_blue_green_ends_paused_and_says_so(tmp_path: Path) -> None:
    path = scenario_file(tmp_path, "argo-blue-green.yaml", "argo-blue-green.yaml",
                         edit=lambda text: text.replace("autoPromotionEnabled: true", "autoPromotionEnabled: false"))
    result = run(load_scenario(path), "argo", 1)
    assert result.outcome == "incomplete"
    assert "waits for a promote; no promote is scheduled" in result.reason
    assert result.versions["v2"].requests == 0


@pytest.mark.parametrize(("operation", "message"), [
    ({"at": "10m", "promote": "argx"}, "operations[0].promote: got 'argx'; expected the label of a strategy that "
                                        "runs an Argo Rollout or a KServe InferenceService's canary (did you mean "
                                        "'argo'?) (Argo Rollouts: argo; KServe canaries: none)"),
    ({"at": "10m", "promote": "argo", "fulll": True}, "operations[0]: unknown key 'fulll' (did you mean 'full'?)"),
    ({"at": 600, "promote": "argo"}, "operations[0].at: got 600; expected a duration with its unit"),
])
def test_a_bad_promote_operation_is_a_located_error(tmp_path: Path, operation: dict, message: str) -> None:
    path = scenario_file(tmp_path, "argo-blue-green.yaml", "argo-blue-green.yaml", operations=[operation])
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    assert message in str(caught.value)


def test_a_promote_of_a_strategy_that_takes_none_is_refused(tmp_path: Path) -> None:
    path = scenario_file(tmp_path, "argo-blue-green.yaml", "argo-blue-green.yaml",
                         strategies={"argo": {"from": "peers/argo-blue-green.yaml"},
                                     "canary": {"initialPercentage": 10}},
                         operations=[{"at": "10m", "promote": "canary"}])
    with pytest.raises(ScenarioError, match=r"operations\[0\]\.promote: got 'canary', a canary strategy; expected "
                                            r"one that runs an Argo Rollout or a KServe InferenceService's canary "
                                            r"\(Argo Rollouts: argo; KServe canaries: none\): only those take "
                                            r"promotes"):
        load_scenario(path)


@pytest.mark.parametrize("seed", [1, 2])
def test_a_slow_candidate_is_promoted_by_an_analysis_that_measures_only_the_success_rate(seed: int) -> None:
    result = run(load_scenario(BACKGROUND), "argo", seed)
    assert result.outcome == "promoted", result.reason
    assert result.versions["v2"].latency_p99_s > 1.5 * result.versions["v1"].latency_p99_s
    checks = [event for event in result.events if event.kind == "check"]
    assert checks and {event.data["metric"] for event in checks} == {"success-rate"}
    assert checks[0].data["step"] == 2  # startingStep 1 (0-based): from the second step on


def test_the_same_background_analysis_rolls_back_a_candidate_that_fails_requests(tmp_path: Path) -> None:
    data = scenario_data("argo-canary-background.yaml")
    data["versions"]["v2"]["error_rate"] = 0.05
    path = scenario_file(tmp_path, "argo-canary-background.yaml", "argo-canary-background.yaml",
                         versions=data["versions"])
    result = run(load_scenario(path), "argo", 1)
    assert result.outcome == "rolled_back"
    assert result.reason.startswith("background analysis success-rate failed")


@pytest.mark.slow
def test_a_retrained_model_deployed_by_an_argo_rollout_is_measured_through_prometheus() -> None:
    data = scenario_data("drift-retraining.yaml")
    data["strategies"] = {"argo": {"from": str(SCENARIOS / "peers" / "argo-canary-background.yaml")}}
    data["retraining"]["deploy_with"] = "argo"
    data["monitoring"]["scrape_interval"] = "15s"  # rate() over [1m] needs two scrapes within the first errors
    data.pop("expect")

    result = run(parse_scenario(data), "argo", 1)
    checks = [event for event in result.events if event.kind == "check"]
    assert checks and all(event.data["metric"] == "success-rate" for event in checks)
    assert any(event.data["verdict"] == "pass" for event in checks)
    assert result.outcome == "promoted", result.reason
