"""``scenario_problems``: every problem of a file at once, each with its key path, in the order of the file."""

from __future__ import annotations

import pytest

from simulator.errors import ScenarioError
from simulator.scenario import parse_scenario
from simulator.scenario.loader import scenario_problems
from tests.helpers import scenario_data


def paths(data: dict) -> list[str | None]:
    return [problem.path for problem in scenario_problems(data, source="f.yaml")]


def test_a_sound_scenario_has_no_problem() -> None:
    for name in ("quickstart.yaml", "drift-retraining.yaml", "seed-002-selection.yaml"):
        assert scenario_problems(scenario_data(name)) == []


def test_problems_in_many_places_are_all_reported_in_file_order() -> None:
    data = scenario_data("quickstart.yaml")
    data["expect"] = {"confidence": 2}
    data["strategies"]["canary"]["incrementStep"] = -5
    data["strategies"]["rolling"] = {"batchSize": 0}
    data["versions"]["v2"]["error_rate"] = 3
    data["traffic"]["rate"] = "fast"
    problems = scenario_problems(data, source="f.yaml")
    assert [p.path for p in problems] == ["traffic.rate", "versions.v2.error_rate", "strategies.canary.incrementStep",
                                          "strategies.rolling.batchSize", "expect.confidence"]
    assert all(p.file == "f.yaml" and "\n" not in str(p) for p in problems)
    with pytest.raises(ScenarioError) as error:  # parse_scenario stops at the first
        parse_scenario(data)
    assert len(str(error.value).splitlines()) == 1


def test_a_broken_strategy_is_not_also_reported_as_missing_where_it_is_named() -> None:
    data = scenario_data("drift-retraining.yaml")
    label = data["retraining"]["deploy_with"]
    data["strategies"][label]["monitoringDuration"] = "soon"
    assert paths(data) == [f"strategies.{label}.monitoringDuration"]


def test_a_cross_reference_is_reported_once_every_key_is_sound() -> None:
    data = scenario_data("quickstart.yaml")
    data["stable"] = "v9"
    assert paths(data) == ["stable"]


def test_names_with_line_breaks_stay_on_one_line() -> None:
    from simulator.check.expectation_syntax import expectation_problems

    data = scenario_data("quickstart.yaml")
    data["strategies"]["new\nline"] = 1e30
    data["expect"] = {"new\nlin": {"promoted": ">= 1"}}
    problems = scenario_problems(data, source="f.yaml")
    problems += expectation_problems(data["expect"], list(data["strategies"]), file="f.yaml")
    assert [p.path for p in problems] == ["strategies.new\\nline", "expect.new\\nlin"]
    assert all(len(str(p).splitlines()) == 1 for p in problems)
