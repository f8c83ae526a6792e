"""The bundled scenario files run, and what their authors expect of them holds."""

from __future__ import annotations

from collections import Counter

import pytest

from simulator.driver import run
from simulator.scenario import load_scenario
from tests.helpers import SCENARIOS, until_rollout_end

BUNDLED = sorted(SCENARIOS.glob("*.yaml"))


def outcome_rates(path, label: str) -> dict[str, float]:
    """Share of the scenario's runs with each outcome, and with drift detected."""
    scenario = until_rollout_end(load_scenario(path))  # outcomes only: no need to simulate the whole window
    outcomes: Counter[str] = Counter()
    for seed in scenario.seeds():
        result = run(scenario, label, seed)
        outcomes[result.outcome] += 1
        outcomes["drift_detected"] += bool(result.drift and result.drift["detections"])
    return {outcome: count / scenario.runs for outcome, count in outcomes.items()}


@pytest.mark.parametrize("path", BUNDLED, ids=lambda p: p.name)
def test_every_bundled_scenario_validates_and_runs(path) -> None:
    scenario = until_rollout_end(load_scenario(path))  # the whole windows run in check, with the slow tests
    for label in scenario.labels:
        result = run(scenario, label)
        assert result.outcome in ("promoted", "rolled_back", "incomplete")
        assert result.requests > 0


@pytest.mark.parametrize("label", ["canary", "blue_green"])
def test_quickstart_checked_strategies_catch_the_slow_candidate(label: str) -> None:
    assert outcome_rates(SCENARIOS / "quickstart.yaml", label).get("rolled_back", 0) >= 0.9


def test_quickstart_immediate_promotes_every_time() -> None:
    assert outcome_rates(SCENARIOS / "quickstart.yaml", "immediate").get("promoted", 0) == 1.0


def test_quickstart_canary_rolls_back_for_latency_at_the_first_check() -> None:
    result = run(load_scenario(SCENARIOS / "quickstart.yaml"), "canary")
    assert result.outcome == "rolled_back"
    assert "latency p99" in result.reason and "x2." in result.reason
    assert result.decision_time_s == pytest.approx(45 + 300, abs=1)  # start-up, then one monitoring window
    assert result.candidate_requests < 0.15 * result.requests


@pytest.mark.slow
def test_failures_canary_promotes_the_good_candidate_despite_the_outage() -> None:
    assert outcome_rates(SCENARIOS / "failures.yaml", "canary").get("promoted", 0) >= 0.8


def test_failures_outage_is_seen_by_both_versions_but_not_blamed() -> None:
    scenario = load_scenario(SCENARIOS / "failures.yaml")
    result = run(scenario, "canary")
    kinds = [event.kind for event in result.events]
    assert "fault" in kinds  # the crash happened
    assert result.versions["v1"].errors > 0.2 * 300 * 120 * 0.3 * 0.5  # the outage failed stable requests
    assert result.versions["v2"].errors > 0  # ... and candidate requests
    assert result.outcome == "promoted"


@pytest.mark.parametrize("path", [
    path if path.name in ("quickstart.yaml", "seed-000-canary.yaml") else pytest.param(path, marks=pytest.mark.slow)
    for path in BUNDLED
], ids=lambda p: p.name)  # two files in the default run; every file twice over with the slow tests
def test_every_bundled_scenario_is_deterministic(path) -> None:
    """The determinism check, over every file users start from: same seed, same result, bit for bit."""
    import json

    scenario = load_scenario(path)
    if path.name not in ("quickstart.yaml", "seed-000-canary.yaml"):
        scenario = until_rollout_end(scenario)  # the long windows: the rollouts themselves, twice
    for label in scenario.labels:
        first = json.dumps(run(scenario, label, scenario.seed + 1).to_dict(), sort_keys=True)
        second = json.dumps(run(scenario, label, scenario.seed + 1).to_dict(), sort_keys=True)
        assert first == second, label


def _holds(measured: float, expectation: str) -> bool:
    operator, _, value = expectation.strip().partition(" ")
    bound = float(value)
    return {">=": measured >= bound, "<=": measured <= bound, ">": measured > bound, "<": measured < bound,
            "==": measured == bound}[operator]


@pytest.mark.slow
@pytest.mark.parametrize("path", BUNDLED, ids=lambda p: p.name)
def test_outcome_expectations_of_every_bundled_scenario_hold(path) -> None:
    """Each file's `expect` block (outcome rates) holds over its own seeds."""
    scenario = load_scenario(path)
    for label, expectations in scenario.expect.items():
        rates = outcome_rates(path, label)
        for outcome, expectation in expectations.items():
            if outcome in ("promoted", "rolled_back", "incomplete", "drift_detected"):
                assert _holds(rates.get(outcome, 0.0), str(expectation)), (label, outcome, rates)
