"""A Flagger Canary run from its manifests, unchanged, against the simulated Prometheus."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from simulator import run
from simulator.errors import ScenarioError
from simulator.scenario import load_scenario, parse_scenario
from simulator.scenario.written_dump import written_dump
from tests.helpers import SCENARIOS, scenario_data

FLAGGER = SCENARIOS / "flagger-canary.yaml"
PEER = SCENARIOS / "peers" / "flagger-stepweights.yaml"


def manifests() -> list[dict[str, Any]]:
    """The peer Canary and its MetricTemplate, as documents to change."""
    return list(yaml.safe_load_all(PEER.read_text()))


def scenario_file(tmp_path: Path, documents: list[dict[str, Any]] | None = None, *, entry: dict[str, Any] | None
                  = None, **changes: Any) -> Path:
    """The bundled Flagger scenario beside its manifests (or ``documents``), with ``changes`` to the scenario."""
    (tmp_path / "peers").mkdir(parents=True)
    (tmp_path / "peers" / PEER.name).write_text(PEER.read_text() if documents is None
                                                 else yaml.safe_dump_all(documents))
    data = scenario_data(FLAGGER.name)
    data.update(changes)
    data["strategies"] = {"flagger": {"from": f"peers/{PEER.name}", **(entry or {})}}
    path = tmp_path / "scenario.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def versions(**v2: Any) -> dict[str, Any]:
    data = scenario_data(FLAGGER.name)["versions"]
    data["v2"] = {**data["v1"], **v2}
    return data


@pytest.mark.parametrize("seed", [1, 2])
def test_a_slow_candidate_fails_request_duration_twice_and_is_rolled_back(seed: int) -> None:
    result = run(load_scenario(FLAGGER), "flagger", seed)
    assert result.outcome == "rolled_back"
    assert result.reason.startswith("failed checks threshold reached 2: request-duration: request duration ")
    assert result.reason.endswith("ms > 250ms")
    # scaled up at 0 s, 5 % at 60 s, failed checks at 120 s and 180 s, rolled back at 240 s
    assert result.decision_time_s == 240.0
    failed = [event for event in result.events if event.kind == "check" and event.data["verdict"] == "fail"]
    assert [event.t for event in failed] == [120.0, 180.0]
    assert all(event.data["metric"] == "request-duration" and event.data["measured"] > 250 for event in failed)
    assert result.candidate_requests < 0.06 * 120 * 180 * 1.2


def test_an_equally_good_candidate_passes_every_check_and_is_promoted(tmp_path: Path) -> None:
    result = run(load_scenario(scenario_file(tmp_path, versions=versions())), "flagger", 1)
    assert result.outcome == "promoted", result.reason
    assert result.decision_time_s == 300.0  # 5, 10, 25, 50 % a minute each, then a passing check at the top
    checks = [event for event in result.events if event.kind == "check"]
    assert [event.data["verdict"] for event in checks] == ["pass"] * 8
    assert {event.data["metric"] for event in checks} == {"request-duration", "error-percentage"}
    assert result.events[-1].kind == "finished" and result.events[-1].t == 420.0


def test_the_metric_template_measures_the_canary_s_errors_under_flagger_s_names(tmp_path: Path) -> None:
    # as fast as stable but failing 5 % of requests: request-duration passes, the template's 5xx percentage fails
    result = run(load_scenario(scenario_file(tmp_path, versions=versions(error_rate=0.05))), "flagger", 1)
    assert result.outcome == "rolled_back"
    failed = [event for event in result.events if event.kind == "check" and event.data["verdict"] == "fail"]
    assert [event.data["metric"] for event in failed] == ["error-percentage", "error-percentage"]
    assert all(2.0 < event.data["measured"] < 10.0 for event in failed)  # 5 %, measured over the metric's 1m


def test_a_template_interval_changes_the_window_the_query_reads(tmp_path: Path) -> None:
    documents = manifests()
    documents[0]["spec"]["analysis"]["metrics"] = [
        {"name": "error-percentage", "templateRef": {"name": "error-percentage", "namespace": "ml"},
         "thresholdRange": {"max": 1}, "interval": "10m"}]
    result = run(load_scenario(scenario_file(tmp_path, documents, versions=versions(error_rate=0.05))), "flagger", 1)
    values = [event.data["measured"] for event in result.events if event.kind == "check"]
    assert result.outcome == "rolled_back" and len(values) == 2
    assert all(2.0 < value < 10.0 for value in values)


def test_a_held_confirm_promotion_gate_holds_the_promotion_until_the_scenario_passes_it(tmp_path: Path) -> None:
    documents = manifests()
    documents[0]["spec"]["analysis"]["webhooks"] = [
        {"name": "approve", "type": "confirm-promotion", "url": "http://flagger-loadtester.test/gate/check"}]
    entry = {"webhooks": {"approve": [{"at": "0s", "result": "hold"}, {"at": "20m", "result": "pass"}]}}
    result = run(load_scenario(scenario_file(tmp_path, documents, entry=entry, versions=versions())), "flagger", 1)
    assert result.outcome == "promoted" and result.decision_time_s == 1200.0
    held = [event.t for event in result.events if event.kind == "check"]
    assert min(held) == 120.0 and max(held) == 1200.0 and len(held) == 2 * 19  # both metrics, each minute


def test_blue_green_with_mirror_catches_the_slow_candidate_on_copies_users_never_see(tmp_path: Path) -> None:
    documents = manifests()
    analysis = documents[0]["spec"]["analysis"]
    del analysis["stepWeights"]
    analysis.update(iterations=5, mirror=True)
    result = run(load_scenario(scenario_file(tmp_path, documents)), "flagger", 1)
    assert result.outcome == "rolled_back"
    assert "request-duration" in result.reason
    assert result.candidate_requests == 0
    assert any(event.kind == "mirror" for event in result.events)


def test_blue_green_without_mirror_sends_the_candidate_nothing_so_its_metrics_have_no_values(tmp_path: Path) -> None:
    documents = manifests()
    analysis = documents[0]["spec"]["analysis"]
    del analysis["stepWeights"]
    analysis["iterations"] = 5
    result = run(load_scenario(scenario_file(tmp_path, documents, versions=versions())), "flagger", 1)
    assert result.outcome == "rolled_back"
    assert "no values found" in result.reason


def test_skip_analysis_promotes_once_the_canary_is_ready(tmp_path: Path) -> None:
    documents = manifests()
    documents[0]["spec"]["skipAnalysis"] = True
    result = run(load_scenario(scenario_file(tmp_path, documents)), "flagger", 1)
    assert result.outcome == "promoted" and result.decision_time_s == 60.0  # the slow candidate too
    assert not [event for event in result.events if event.kind == "check"]


def test_the_entry_loads_back_from_its_dump(tmp_path: Path) -> None:
    documents = manifests()
    documents[0]["spec"]["analysis"]["webhooks"] = [{"name": "approve", "type": "confirm-promotion",
                                                     "url": "http://gate/"}]
    scenario = load_scenario(scenario_file(tmp_path, documents, entry={"webhooks": {"approve": "hold"}}))
    config = scenario.strategies["flagger"]
    assert Path(config.path) == tmp_path / "peers" / PEER.name
    assert parse_scenario(written_dump(scenario)) == scenario


@pytest.mark.parametrize(("entry", "message"), [
    ({"canary": "recomender"}, "got Canary 'recomender' (did you mean 'recommender'?)"),
    ({"webhooks": {"approve": "pass"}}, "strategies.flagger.webhooks.approve: got webhook 'approve'"),
    ({"webhooks": {"load": [{"at": "1m", "result": "maybe"}]}}, "maybe"),
    ({"promoteAt": ["5m"]}, "got 0 Rollout objects"),
])
def test_an_entry_that_cannot_run_is_a_located_error(tmp_path: Path, entry: dict[str, Any], message: str) -> None:
    with pytest.raises(ScenarioError, match="strategies.flagger") as raised:
        load_scenario(scenario_file(tmp_path, entry=entry))
    assert message in str(raised.value)


def test_a_gate_answer_is_refused_for_a_webhook_that_cannot_hold(tmp_path: Path) -> None:
    documents = manifests()
    documents[0]["spec"]["analysis"]["webhooks"] = [{"name": "smoke", "type": "pre-rollout", "url": "http://t/"},
                                                    {"name": "tell", "type": "event", "url": "http://t/"}]
    with pytest.raises(ScenarioError, match="only a gate .* holds; expected pass or fail"):
        load_scenario(scenario_file(tmp_path, documents, entry={"webhooks": {"smoke": "hold"}}))
    with pytest.raises(ScenarioError, match="event webhook, which only notifies"):
        load_scenario(scenario_file(tmp_path / "again", documents, entry={"webhooks": {"tell": "fail"}}))


def test_both_tools_events_are_stored_together(tmp_path: Path) -> None:
    from simulator import compare
    from tests.helpers import until_rollout_end

    scenario = until_rollout_end(load_scenario(SCENARIOS / "peer-manifests.yaml"))
    result = compare(scenario, 1, out=tmp_path / "out", executor="serial", representative=False, yardsticks=False)
    assert (tmp_path / "out" / "events.parquet").is_file()  # one table for both tools' event figures
    assert set(result.events["strategy"]) == {"argo", "flagger"}
