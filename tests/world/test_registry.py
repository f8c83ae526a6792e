"""The model registry: stages, aliases, promotion archives the old champion, rollback to a version."""

from __future__ import annotations

import json

import pytest

from simulator import RollbackOperation, load_scenario, parse_scenario, run
from simulator.cli import main
from simulator.world.registry import ModelRegistry
from tests.helpers import SCENARIOS, scenario_data


def test_stages_and_aliases() -> None:
    registry = ModelRegistry(["v1", "v2", "v3"], production="v1", candidate="v2")
    assert registry.snapshot()["stages"] == {"v1": "production", "v2": "staging", "v3": "none"}
    assert registry.aliases == {"champion": "v1", "challenger": "v2"}
    registry.promote("v2")
    assert registry.stages == {"v1": "archived", "v2": "production", "v3": "none"}
    assert registry.aliases == {"champion": "v2"} and registry.previous_production() == "v1"
    registry.reject("v3")
    assert registry.stages["v3"] == "archived" and registry.production == "v2"


@pytest.mark.parametrize(("label", "stages"), [
    ("canary", {"v1": "production", "v2": "archived"}),     # rolled back: the challenger is archived
    ("immediate", {"v1": "archived", "v2": "production"}),  # promoted: the old champion is archived
])
def test_rollouts_move_versions_through_the_registry(label: str, stages: dict) -> None:
    result = run(load_scenario(SCENARIOS / "quickstart.yaml"), label)
    assert result.registry["stages"] == stages
    assert any(event.kind == "registry" for event in result.events)


def test_operator_rollback_to_previous_from_the_cli(capsys) -> None:
    assert main(["run", str(SCENARIOS / "operator-rollback.yaml"), "--json"]) == 0
    (record,) = json.loads(capsys.readouterr().out)["runs"]
    assert record["registry"]["production_history"] == ["v1", "v2", "v1"]
    details = [(event["t"], event["kind"], event["detail"]) for event in record["events"]]
    assert (1200.0, "operation", "rollback to v1 requested (production: v2)") in details
    assert details[-1] == (1230.0, "operation", "rolled back to v1")


def test_operator_rollback_to_a_named_version_from_python() -> None:
    data = scenario_data("quickstart.yaml")
    data["versions"]["v0"] = dict(data["versions"]["v1"])
    data["horizon"] = "20m"
    data.pop("observe")
    data["simulation"] = {"until": "horizon"}
    scenario = parse_scenario(data)
    result = run(scenario, "immediate", operations=[RollbackOperation(at=600, rollback_to="v0")])
    assert result.registry["aliases"]["champion"] == "v0"
    assert result.registry["stages"] == {"v1": "archived", "v2": "archived", "v0": "production"}
    assert result.versions["v0"].requests > 0
    assert [e.detail for e in result.events if e.kind == "operation"][-1] == "rolled back to v0"


def test_operator_rollback_aborts_a_rollout_in_progress() -> None:
    scenario = load_scenario(SCENARIOS / "failures.yaml")
    result = run(scenario, "canary", operations=[RollbackOperation(at=900, rollback_to="v1")])
    assert result.outcome == "rolled_back" and result.decision_time_s == 900
    assert result.reason == "operator rollback to v1"
    assert result.registry["stages"]["v2"] == "archived"
    assert result.versions["v2"].requests > 0
    frame = result.timeline_frame()
    assert frame[(frame["version"] == "v2") & (frame["t"] > 960)]["requests"].sum() == 0


def test_unknown_rollback_target_is_bad_input() -> None:
    from simulator.errors import ScenarioError

    data = scenario_data("quickstart.yaml")
    data["operations"] = [{"at": "10m", "rollback_to": "v9"}]
    with pytest.raises(ScenarioError, match=r"operations\[0\]\.rollback_to: got 'v9'"):
        parse_scenario(data)
