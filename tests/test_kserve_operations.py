"""An operator's promote and rollback of seed 004's KServe canary, in the world.

Seed 004's canary holds the new revision at 10 % for a 10 minute
``monitoringDuration`` (from 40 s, once its replicas are ready); its
candidate fails 3 % of requests and is rolled back by the first in-step
check that has data, at 100 s. With the stable version's 0.2 % it is
promoted at 640 s.
"""

from __future__ import annotations

from typing import Any

import pytest

from simulator import run
from simulator.result import RunResult
from simulator.scenario import Scenario, parse_scenario
from tests.helpers import SCENARIOS, scenario_data, until_rollout_end

GOOD = 0.002
"""An error rate the rollback thresholds pass: the stable version's."""


def seed_004(operations: list[dict[str, Any]], error_rate: float | None = None) -> Scenario:
    data = scenario_data("seed-004-kserve.yaml")
    data["operations"] = operations
    if error_rate is not None:
        data["versions"]["fraud-v1.3.0"]["error_rate"] = error_rate
    return until_rollout_end(parse_scenario(data, source=str(SCENARIOS / "seed-004-kserve.yaml")))


def last_weights(result: RunResult) -> dict[str, float]:
    return [event.data["weights"] for event in result.events if event.kind == "set_weights"][-1]


def events(result: RunResult) -> list[tuple[float, str, str]]:
    return [(event.t, event.kind, event.detail) for event in result.events]


def test_a_promote_during_the_monitoring_sends_all_traffic_to_the_new_revision_at_its_time() -> None:
    plain = run(seed_004([], GOOD), "kserve", 1)
    assert plain.outcome == "promoted" and plain.decision_time_s == pytest.approx(640.0)
    result = run(seed_004([{"at": "5m", "promote": "kserve"}], GOOD), "kserve", 1)
    assert result.outcome == "promoted"
    # The candidate already has the stable version's 2 replicas (the KPA's minimum): no readiness to wait for.
    assert result.decision_time_s == pytest.approx(300.0)
    assert result.reason == ("operator's promote at 300s (canaryTrafficPercent 10 -> 100: all traffic to "
                             "fraud-v1.3.0; skipped: the last 340s of step 1 at 10 % and its check)")
    assert not any(kind == "check" and "passed" in detail for _, kind, detail in events(result))
    assert last_weights(result) == {"fraud-v1.3.0": 100.0}
    assert result.registry["production_history"] == ["fraud-v1.2.0", "fraud-v1.3.0"]


def test_a_candidate_the_thresholds_would_roll_back_is_promoted_when_the_promote_comes_first() -> None:
    plain = run(seed_004([]), "kserve", 1)
    assert plain.outcome == "rolled_back" and plain.decision_time_s == pytest.approx(100.0)
    result = run(seed_004([{"at": "1m", "promote": "kserve"}]), "kserve", 1)
    assert result.outcome == "promoted" and result.decision_time_s == pytest.approx(60.0)
    assert result.reason.startswith("operator's promote at 60s (canaryTrafficPercent 10 -> 100")
    assert last_weights(result) == {"fraud-v1.3.0": 100.0}


def test_a_promote_before_the_canary_begins_promotes_once_the_new_revision_is_ready() -> None:
    result = run(seed_004([{"at": "20s", "promote": "kserve"}]), "kserve", 1)
    assert result.outcome == "promoted" and result.decision_time_s == pytest.approx(40.0)  # startup 40 s
    assert result.reason.startswith("operator's promote at 20s") and "step 1 at 10 %, not yet begun" in result.reason
    assert result.candidate_requests == 0  # it never served at 10 % before it served everything


def test_a_promote_after_the_decision_changes_nothing() -> None:
    plain = run(seed_004([]), "kserve", 1)
    late = run(seed_004([{"at": "5m", "promote": "kserve"}]), "kserve", 1)
    assert late.outcome == "rolled_back" and late.decision_time_s == pytest.approx(100.0)
    assert events(late) == events(plain) and late.candidate_requests == plain.candidate_requests


def test_an_operator_rollback_mid_canary_rolls_it_back() -> None:
    result = run(seed_004([{"at": "5m", "rollback_to": "fraud-v1.2.0"}], GOOD), "kserve", 1)
    assert result.outcome == "rolled_back" and result.decision_time_s == pytest.approx(300.0)
    assert result.reason == "operator rollback to fraud-v1.2.0"
    assert last_weights(result) == {"fraud-v1.2.0": 100.0}
    assert result.registry["production_history"] == ["fraud-v1.2.0"]


def test_a_rollback_before_a_promote_wins_and_the_promote_does_nothing() -> None:
    result = run(seed_004([{"at": "3m", "rollback_to": "fraud-v1.2.0"}, {"at": "5m", "promote": "kserve"}], GOOD),
                 "kserve", 1)
    assert result.outcome == "rolled_back" and result.decision_time_s == pytest.approx(180.0)
    assert last_weights(result) == {"fraud-v1.2.0": 100.0}
    assert not any(kind == "operation" and "promote" in detail for _, kind, detail in events(result))


def test_a_rollback_to_previous_in_a_first_rollout_has_nothing_to_go_back_to() -> None:
    """``previous`` is the production version before the current one; in a first rollout there is none."""
    result = run(seed_004([{"at": "5m", "rollback_to": "previous"}], GOOD), "kserve", 1)
    assert (300.0, "operation", "rollback to the previous production version skipped: there is none") \
        in events(result)
    assert result.outcome == "promoted" and result.decision_time_s == pytest.approx(640.0)


def test_a_canary_behind_its_test_suite_takes_the_promote_too() -> None:
    data = scenario_data("seed-004-kserve.yaml")
    data["strategies"]["kserve"]["testSuite"] = {"samples": 1000, "duration": "1m"}
    data["versions"]["fraud-v1.3.0"]["error_rate"] = GOOD
    data["operations"] = [{"at": "5m", "promote": "kserve"}]
    scenario = until_rollout_end(parse_scenario(data, source=str(SCENARIOS / "seed-004-kserve.yaml")))
    result = run(scenario, "kserve", 1)
    assert result.outcome == "promoted" and result.decision_time_s == pytest.approx(300.0), result.reason
    assert result.reason.startswith("operator's promote at 300s")
