"""The language of an ``expect`` block: names, the top-level confidence, every problem at once, units."""

from __future__ import annotations

import math
import subprocess
import sys

import pytest

from simulator.check.expectation_syntax import (
    FIGURE_NAMES,
    RATE_NAMES,
    expectation_problems,
    parse_expectations,
)
from simulator.check.expectations import Judgement
from simulator.check.outputs import describe
from simulator.errors import ScenarioError
from simulator.experiment.figure_kinds import RATES
from simulator.experiment.figures import FIGURES
from simulator.scenario import parse_scenario
from tests.helpers import scenario_data

LABELS = ["canary", "blue_green"]


def test_the_names_are_the_experiment_layers() -> None:
    assert RATE_NAMES == RATES
    assert FIGURE_NAMES == FIGURES


def test_parsing_loads_no_experiment_layer() -> None:
    """`rollout-sim validate` parses expectations; it must not pay for pandas and scipy."""
    code = ("import sys; import simulator.check.expectation_syntax; "
            "print(sorted(m for m in ('pandas', 'scipy', 'simulator.experiment') if m in sys.modules))")
    process = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert process.stdout.strip() == "[]"


def test_a_top_level_confidence_applies_to_every_label_and_a_label_may_override_it() -> None:
    expect = {"confidence": 0.95, "canary": {"rolled_back": ">= 0.9"},
              "blue_green": {"confidence": 0.8, "promoted": "<= 0.1"}}
    by_label = {e.label: e.confidence for e in parse_expectations(expect, LABELS)}
    assert by_label == {"canary": 0.95, "blue_green": 0.8}


def test_the_scenario_model_takes_the_documented_confidence() -> None:
    data = scenario_data("quickstart.yaml")
    data["expect"] = {"confidence": 0.95, "canary": {"rolled_back": ">= 0.9"}}
    assert parse_scenario(data).expect == data["expect"]
    data["expect"] = {"confidence": 95, "canary": {"rolled_back": ">= 0.9"}}
    with pytest.raises(ScenarioError, match=r"expect\.confidence: got 95; expected a confidence level between 0 and 1"):
        parse_scenario(data)


@pytest.mark.parametrize("confidence", [0, 1, 1.5, "high", True])
def test_a_confidence_outside_0_1_is_a_problem(confidence) -> None:
    problems = expectation_problems({"confidence": confidence, "canary": {"promoted": ">= 1"}}, LABELS)
    assert [p.path for p in problems] == ["expect.confidence"]


def test_every_problem_is_reported_with_its_key_path() -> None:
    expect = {"canary": {"rolled_bak": ">= 0.9", "decision_time.p99": "<= 5m", "promoted": "about 1"},
              "canry": {"promoted": ">= 0.5"}, "blue_green": {"decision_time.p95": "<= soon"}}
    problems = expectation_problems(expect, LABELS, file="x.yaml")
    assert [p.path for p in problems] == ["expect.canary.rolled_bak", "expect.canary.decision_time.p99",
                                          "expect.canary.promoted", "expect.canry",
                                          "expect.blue_green.decision_time.p95"]
    assert all(p.file == "x.yaml" for p in problems)
    assert "did you mean 'rolled_back'" in str(problems[0]) and "did you mean 'canary'" in str(problems[3])
    with pytest.raises(ScenarioError, match="rolled_bak"):  # parse_expectations raises the first
        parse_expectations(expect, LABELS)


def judgement(condition: str, key: str, measured: float, low: float, high: float) -> Judgement:
    (expectation,) = parse_expectations({"canary": {key: condition}}, LABELS)
    return Judgement("s", expectation, measured, low, high, 60, "fail")


@pytest.mark.parametrize(("key", "condition", "values", "shown"), [
    ("decision_time.p95", "<= 20m", (1320.0, 1200.0, 1500.0), "measured 22m [20m, 25m]"),
    ("decision_time.p95", "<= 2h", (5400.0, 5400.0, 5400.0), "measured 1.5h over"),
    ("duration.max", "< 90s", (95.0, 95.0, 95.0), "measured 95s over"),
    ("decision_time", "<= 600", (630.0, 600.0, 660.0), "measured 630s [600s, 660s]"),
    ("decision_time", "between 5m and 10m", (630.0, 600.0, 660.0), "measured 10.5m [10m, 11m]"),
    ("rolled_back", ">= 90%", (0.85, 0.8, 0.9), "measured 85% [80%, 90%]"),
    ("rolled_back", ">= 0.9", (0.85, 0.8, 0.9), "measured 0.85 [0.8, 0.9]"),
    ("candidate_requests", "<= 20000", (6074.0, 5900.0, 6200.0), "measured 6074 [5900, 6200]"),
])
def test_measured_values_are_shown_in_the_unit_of_the_bound(key, condition, values, shown) -> None:
    line = describe(judgement(condition, key, *values))
    assert f"{key} {condition} — {shown}" in line


def test_a_missing_value_shows_as_a_dash() -> None:
    assert "measured - over" in describe(judgement("<= 20m", "decision_time.p95", math.nan, math.nan, math.nan))


@pytest.mark.parametrize("bound", [10**400, "<= 1e999", "== nan", ">= 1e400%", "between 0 and 1e999"])
def test_a_bound_must_be_finite(bound) -> None:
    (problem,) = expectation_problems({"canary": {"promoted": bound}}, LABELS)
    assert problem.path == "expect.canary.promoted" and "finite" in problem.reason
