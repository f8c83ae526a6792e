"""Load tester webhooks: a hey command read from the Canary, called at each check, run in the world apart from users."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from simulator import run
from simulator.commands import LoadTest
from simulator.errors import ScenarioError
from simulator.scenario import load_scenario
from simulator.scenario.manifest_strategy_config import FlaggerCanaryConfig
from simulator.strategies.flagger import FlaggerCanaryStrategy, FlaggerPlan, MetricCheck, Webhook, plan_from_manifests
from simulator.strategies.flagger.plan import LoadTesterCommand
from tests.helpers import SCENARIOS, scenario_data, until_rollout_end
from tests.strategies.argo.harness import Cluster, ScriptedPrometheus, commands_of, decision, drive

BLUE_GREEN = SCENARIOS / "flagger-blue-green.yaml"
PEER = SCENARIOS / "peers" / "flagger-blue-green.yaml"
HEY = "hey -z 1m -q 10 -c 2 http://recommender-canary.ml:8080/"


# the manifests -----------------------------------------------------------------------------------------


def peer(**webhook: Any) -> dict[str, Any]:
    """The bundled blue-green Canary with its load-test webhook changed by ``webhook``."""
    document = yaml.safe_load(PEER.read_text())
    hooks = document["spec"]["analysis"]["webhooks"]
    hooks[1] = {key: value for key, value in {**hooks[1], **webhook}.items() if value is not None}
    return document


def plan_of(tmp_path: Path, document: dict[str, Any]) -> FlaggerPlan:
    path = tmp_path / "canary.yaml"
    path.write_text(yaml.safe_dump(document))
    plan, _, _ = plan_from_manifests(FlaggerCanaryConfig.model_validate({"from": "canary.yaml", "path": str(path)}))
    return plan


def test_the_load_test_webhook_carries_its_hey_load_to_the_canary(tmp_path: Path) -> None:
    smoke, load = plan_of(tmp_path, peer()).webhooks
    assert smoke.kind == "pre-rollout" and smoke.load is None  # a bash task: blocking, no load
    assert load.kind == "rollout" and load.load == LoadTesterCommand(command=HEY, target="canary", workers=2,
                                                                     period=0.1, duration=60.0)


def test_a_load_test_of_the_primary_s_service_targets_the_primary(tmp_path: Path) -> None:
    document = peer(metadata={"cmd": "hey -n 100 -c 4 -q 2 http://recommender-primary/"})  # no type: cmd
    load = plan_of(tmp_path, document).webhooks[1].load
    assert load is not None and (load.target, load.workers, load.duration) == ("primary", 4, 12.5)


@pytest.mark.parametrize(("webhook", "message"), [
    ({"metadata": {"cmd": "hey -z 1m -c 2 http://recommender-canary.ml:8080/"}},
     "spec.analysis.webhooks[1] (load-test).metadata.cmd: 'hey -z 1m -c 2 http://recommender-canary.ml:8080/': "
     "expected -q RATE"),
    ({"metadata": {"cmd": "hey -z 1m -q 10 -c 2 http://recommender.ml:8080/"}},
     "the apex Service routes through the mesh"),
    ({"metadata": {"cmd": "hey -z 1m -q 10 -c 2 http://recommender-canary.other:8080/"}},
     "expected the URL of recommender-canary.ml or recommender-primary.ml"),
    ({"type": "confirm-promotion"}, "a hey load test in a confirm-promotion webhook is not simulated"),
])
def test_a_load_test_that_cannot_run_here_is_refused_naming_the_webhook(tmp_path: Path, webhook, message) -> None:
    with pytest.raises(ScenarioError) as raised:
        plan_of(tmp_path, peer(**webhook))
    assert message in str(raised.value) and "Canary recommender" in str(raised.value)


def test_a_command_of_another_task_type_starts_no_load(tmp_path: Path) -> None:
    assert plan_of(tmp_path, peer(metadata={"type": "bash", "cmd": HEY})).webhooks[1].load is None


# the rules, driven by hand -------------------------------------------------------------------------


QUERY = "success_rate"
LOAD = LoadTesterCommand(command=HEY, target="canary", workers=2, period=0.1, duration=60.0)


def blue_green(*hooks: Webhook, iterations: int = 3) -> FlaggerPlan:
    return FlaggerPlan(name="recommender", namespace="ml", target="recommender", interval_s=30.0, threshold=2,
                       iterations=iterations, webhooks=hooks,
                       checks=(MetricCheck(name="success", source="query", comparison="value", query=QUERY,
                                           threshold_range=(99.0, None)),))


def load_tests(flagger_plan: FlaggerPlan, answers=([100.0],)) -> list[tuple[float, LoadTest]]:
    cluster = Cluster(replicas=6, prometheus=ScriptedPrometheus({QUERY: list(answers)}))
    history = drive(FlaggerCanaryStrategy(flagger_plan), cluster)
    return [(snapshot.at, command) for snapshot in history for command in snapshot.commands
            if isinstance(command, LoadTest)]


def test_a_passing_rollout_webhook_calls_the_load_tester_at_every_analysis() -> None:
    called = load_tests(blue_green(Webhook(name="load-test", kind="rollout", load=LOAD)))
    # scaled up at 0; 30: pre-rollout, iteration 1; 60, 90: iterations 2 and 3; 120: the switch; 150: promoted
    assert [at for at, _ in called] == [60.0, 90.0, 120.0, 150.0]
    assert {command for _, command in called} == {LoadTest(task=f"recommender.ml {HEY}", version="v2", workers=2,
                                                           period=0.1, duration=60.0)}


def test_a_failing_load_test_webhook_starts_nothing_and_counts_a_failed_check() -> None:
    hook = Webhook(name="load-test", kind="rollout", load=LOAD, default=False)
    cluster = Cluster(replicas=6, prometheus=ScriptedPrometheus({QUERY: [[100.0]]}))
    history = drive(FlaggerCanaryStrategy(blue_green(hook)), cluster)
    assert commands_of(history, LoadTest) == []
    rolled_back = decision(history)
    assert rolled_back is not None and rolled_back.reason == ("failed checks threshold reached 2: external check "
                                                              "load-test failed")


def test_a_pre_rollout_load_test_starts_at_the_first_check_of_the_analysis() -> None:
    primary = LoadTesterCommand(command="hey -q 1 http://recommender-primary/", target="primary", workers=50,
                                period=1.0, duration=4.0)
    called = load_tests(blue_green(Webhook(name="warm-up", kind="pre-rollout", load=primary)))
    assert [(at, command.version) for at, command in called] == [(30.0, "v1")]


# in the world ----------------------------------------------------------------------------------------------


def scenario_file(tmp_path: Path, document: dict[str, Any] | None = None, **changes: Any) -> Path:
    (tmp_path / "peers").mkdir(exist_ok=True)
    (tmp_path / "peers" / PEER.name).write_text(PEER.read_text() if document is None else yaml.safe_dump(document))
    data = scenario_data(BLUE_GREEN.name)
    data.update(changes)
    path = tmp_path / "scenario.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def failing_candidate(error_rate: float = 0.04) -> dict[str, Any]:
    versions = scenario_data(BLUE_GREEN.name)["versions"]
    versions["v2"] = {**versions["v1"], "error_rate": error_rate}
    return versions


def test_a_good_candidate_measured_on_the_load_test_alone_is_promoted() -> None:
    result = run(until_rollout_end(load_scenario(BLUE_GREEN)), "flagger", 11)
    assert result.outcome == "promoted", result.reason
    assert result.decision_time_s == 420.0  # ten iterations and the switch, every 30 s from 60 s
    checks = [event for event in result.events if event.kind == "check"]
    failed = [event for event in checks if event.data["verdict"] == "fail"]
    assert [(event.t, event.data["measured"]) for event in failed] == [(90.0, None)]  # the run started at 90 s
    assert all(event.data["measured"] is not None for event in checks if event.t > 90.0)
    assert len(checks) == 1 + 2 * 11


def test_the_load_tester_skips_a_call_while_the_last_run_is_still_going() -> None:
    result = run(until_rollout_end(load_scenario(BLUE_GREEN)), "flagger", 11)
    calls = [(event.t, event.data["started"]) for event in result.events if event.kind == "load_test"]
    # a one-minute run called every 30 s: going at the next call and at its end, over by the one after
    assert calls == [(t, t in (90.0, 180.0, 270.0, 360.0)) for t in range(90, 421, 30)]


def test_a_failing_candidate_is_rolled_back_on_the_load_test_before_any_user_meets_it(tmp_path: Path) -> None:
    result = run(load_scenario(scenario_file(tmp_path, versions=failing_candidate())), "flagger", 11)
    assert result.outcome == "rolled_back" and result.decision_time_s == 150.0
    assert result.reason.startswith("failed checks threshold reached 2: request-success-rate: success rate 9")
    assert result.load_tests == {"v2": {"requests": 1200, "failed_requests": result.load_tests["v2"]
                                        ["failed_requests"]}}
    assert 20 < result.load_tests["v2"]["failed_requests"] < 80  # 4 % of 1,200
    # no user request went to the candidate: it counts in no user figure
    assert result.candidate_requests == 0 and result.candidate_failed_requests == 0
    assert result.versions["v2"].requests == 0 and result.excess_failed_requests == 0
    assert result.requests == result.versions["v1"].requests
    assert result.to_dict()["load_tests"] == result.load_tests  # run --json reports them apart


def test_load_test_requests_fill_the_candidate_s_series_but_not_the_user_timeline_figures(tmp_path: Path) -> None:
    data = failing_candidate()
    result = run(load_scenario(scenario_file(tmp_path, versions=data, slo={"error_rate": 0.005})), "flagger", 11)
    served = result.timeline_frame()
    assert served[served.version == "v2"].requests.sum() == 1200  # what monitoring saw, as a pod's metrics
    assert result.slo_violation_s == 0.0  # the users (all on v1, failing 0.2 %) never missed the 0.5 % objective


def test_without_the_load_test_webhook_the_blue_green_canary_has_no_values(tmp_path: Path) -> None:
    document = yaml.safe_load(PEER.read_text())
    document["spec"]["analysis"]["webhooks"] = document["spec"]["analysis"]["webhooks"][:1]
    result = run(until_rollout_end(load_scenario(scenario_file(tmp_path, document))), "flagger", 11)
    assert result.outcome == "rolled_back" and "no values found" in result.reason
    assert result.load_tests == {}


@pytest.mark.slow
def test_the_per_request_reference_serves_the_load_test_request_for_request(tmp_path: Path) -> None:
    # a window past the end of the load test's run (90 s to 150 s), so that no request is in flight at its end
    scenario = load_scenario(scenario_file(tmp_path, versions=failing_candidate(), horizon="4m", observe="4m"))
    batch = run(scenario, "flagger", 11, data_plane="batch")
    reference = run(scenario, "flagger", 11, data_plane="per_request")
    assert batch.load_tests == reference.load_tests and batch.load_tests["v2"]["requests"] == 1200
    assert (batch.outcome, batch.decision_time_s, batch.reason) == (reference.outcome, reference.decision_time_s,
                                                                    reference.reason)
    assert batch.candidate_requests == reference.candidate_requests == 0
    measured = [[event.data["measured"] for event in result.events if event.kind == "check"]
                for result in (batch, reference)]
    assert measured[0] == measured[1] and len(measured[0]) == 2 and measured[0][1] is not None
