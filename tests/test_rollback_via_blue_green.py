"""Operator rollbacks through blue-green: the ready target is health-checked, and takes traffic only if it passes."""

from __future__ import annotations

import pytest

from simulator import RollbackOperation, load_scenario, parse_scenario, run
from simulator.errors import ScenarioError
from tests.helpers import SCENARIOS, scenario_data

SEED_004 = SCENARIOS / "seed-004-test-suite.yaml"


def operations(result) -> list[tuple[float, str]]:
    return [(event.t, event.detail) for event in result.events if event.kind == "operation"]


def test_a_failed_health_check_removes_the_target_and_production_keeps_serving() -> None:
    result = run(load_scenario(SEED_004), "ungated")
    checks = [event for event in result.events if event.kind == "health_check"]
    assert [check.data["passed"] for check in checks] == [False, True]
    assert checks[0].t == 1230.0 and checks[0].data["failed"] > 2  # v1 half broken from 15m to 25m
    failed = next(e for e in result.events if e.kind == "operation" and e.data["status"] == "failed")
    assert failed.detail == "rollback to v1 failed: health check failed; v1 removed, v2 stays in production"
    assert failed.t < 1240.0
    frame = result.timeline_frame()
    between = frame[(frame["t"] > 1200) & (frame["t"] < 1800)]
    assert between[between["version"] == "v1"]["requests"].sum() == 0  # users never reached the failing target
    assert between[between["version"] == "v2"]["requests"].sum() > 0
    scale_downs = [e for e in result.events if e.kind == "scale" and e.data["version"] == "v1" and e.t < 1800]
    assert scale_downs[-1].data["replicas"] == 0
    done = operations(result)[-1]
    assert done[1] == "rolled back to v1" and 1830.0 < done[0] < 1831.0  # ready at 1830, then the check's requests
    assert result.registry["production_history"] == ["v1", "v2", "v1"]


def test_without_the_health_check_the_same_rollback_switches_to_the_failing_target() -> None:
    data = scenario_data("seed-004-test-suite.yaml")
    data["operations"] = [{"at": "20m", "rollback_to": "previous"}]
    data["simulation"] = {"until": "horizon"}
    result = run(parse_scenario(data), "ungated")
    assert not any(event.kind == "health_check" for event in result.events)
    assert operations(result)[-1] == (1230.0, "rolled back to v1")
    assert result.versions["v1"].errors > 3000  # its users met the fault (v1 fails half its requests until 25m)


def test_a_target_that_is_already_serving_keeps_its_replicas_when_the_check_fails() -> None:
    """An operator rollback to the stable version while a canary is in progress: v1 keeps serving either way."""
    data = scenario_data("quickstart.yaml")
    data["faults"] = [{"kind": "error_rate", "version": "v1", "at": "100s", "error_rate": 0.9, "for": "10m"}]
    scenario = parse_scenario(data)
    operation = RollbackOperation(at=200, rollback_to="v1", via="blue_green", health_check={"samples": 30})
    result = run(scenario, "canary", operations=[operation])
    assert result.reason == "operator rollback to v1"
    assert operations(result)[-1][1] == "rollback to v1 failed: health check failed; v1 back to 6 replicas, " \
                                        "v1 stays in production"
    assert not any(e.kind == "scale" and e.data["version"] == "v1" and e.t >= 200 for e in result.events)


def test_health_check_limits() -> None:
    data = scenario_data("operator-rollback.yaml")
    data["operations"] = [{"at": "20m", "rollback_to": "previous", "via": "blue_green",
                           "health_check": {"samples": 50, "max_error_rate": 1, "max_latency_p99": "1ms"}}]
    result = run(parse_scenario(data), "immediate")
    check = next(event for event in result.events if event.kind == "health_check")
    assert check.data["passed"] is False and "latency p99" in check.detail and "> 1ms" in check.detail
    assert result.registry["production_history"] == ["v1", "v2"]


def test_health_check_is_for_blue_green_rollbacks_only() -> None:
    data = scenario_data("operator-rollback.yaml")
    data["operations"] = [{"at": "20m", "rollback_to": "previous", "health_check": {"samples": 5}}]
    with pytest.raises(ScenarioError, match=r"operations\[0\]: got health_check with via: direct; expected via: blue"):
        parse_scenario(data)
