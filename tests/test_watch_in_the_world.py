"""The evaluation rules through the simulator: steps to 100 %, late labels, late faults, failed-check limits.

These are the acceptance figures of the watch semantics (simulator/strategies/watch.py), measured over
many seeds at the sizes users run; the slow ones run with ``python -m pytest -m slow``.
"""

from __future__ import annotations

from typing import Any

import pytest

from simulator.driver import run
from simulator.scenario import parse_scenario
from tests.helpers import until_rollout_end

SEEDS = range(1, 51)


def world(candidate: dict[str, Any], strategy: dict[str, Any], *, labels: dict[str, Any] | None = None,
          faults: list[dict[str, Any]] | None = None, horizon: str = "3h") -> dict[str, Any]:
    """A service at utilisation ~0.4 whose candidate differs from stable as ``candidate`` says."""
    stable = {"accuracy": 0.92, "latency": {"p50": "40ms", "p99": "160ms"}, "error_rate": 0.001, "startup": "30s"}
    return {
        "name": "watch", "horizon": horizon,
        "traffic": {"rate": 100},
        "service": {"replicas": 4, "concurrency": 4, "timeout": "2s"},
        "versions": {"v1": stable, "v2": {**stable, **candidate}},
        "stable": "v1", "candidate": "v2",
        "monitoring": {"scrape_interval": "15s", "labels": labels or {"delay": "1m", "fraction": 0.5}},
        "faults": faults or [],
        "strategies": {"s": strategy},
    }


SEED_000_STEPS = {"strategy": "Canary", "steps": [10, 25, 50, 75, 100], "monitoringDuration": "5m",
                  "rollbackThresholds": {"accuracyDrop": 0.05, "latencyIncrease": 1.5, "errorRateIncrease": 0.01}}
SLOWER = {"latency": {"p50": "80ms", "p99": "320ms"}}


def outcomes(data: dict[str, Any], seeds=SEEDS) -> list[str]:
    scenario = until_rollout_end(parse_scenario(data))  # decisions only: no need to simulate the aftermath
    return [run(scenario, "s", seed).outcome for seed in seeds]


def share(values: list[str], outcome: str) -> float:
    return values.count(outcome) / len(values)


@pytest.mark.slow
@pytest.mark.parametrize("judge", ["threshold", "mann_whitney"])
def test_seed_000_steps_promote_a_good_candidate_and_roll_back_a_slower_one(judge: str) -> None:
    """Mutant killed: the 100 % step judged against the stable's empty concurrent window (0 % promoted)."""
    strategy = {**SEED_000_STEPS, "judge": judge}
    good = outcomes(world({}, strategy))
    slower = outcomes(world(SLOWER, strategy))
    assert share(good, "promoted") >= 0.9, good
    assert share(slower, "rolled_back") >= 0.9, slower


def test_the_last_step_at_100_percent_is_judged_against_the_stable_window_before_it() -> None:
    result = run(parse_scenario(world({}, SEED_000_STEPS)), "s", 3)
    assert result.outcome == "promoted"
    last = [e for e in result.events if e.kind == "check" and not e.data.get("in_step")][-1]
    assert last.data["step"] == 5 and last.data["weight"] == 100
    assert "against v1's last window before the change" in last.detail


@pytest.mark.parametrize("judge", ["threshold", "mann_whitney"])
def test_a_first_step_at_100_percent_waits_for_a_baseline_and_promotes_a_good_candidate(judge: str) -> None:
    """``steps: [100]``: the stable version has served 30 s when the candidate is ready, and its labels come a
    minute late. The weight moves once its window holds 100 labels (and, for the judge, 5 labelled intervals).

    Mutant killed: the baseline frozen at once (a window of 0 labels; the good candidate rolled back,
    inconclusive, in 10 of 10 seeds).
    """
    strategy = {**SEED_000_STEPS, "steps": [100], "judge": judge}
    good = outcomes(world({}, strategy), seeds=range(1, 11))
    assert good == ["promoted"] * 10
    result = run(parse_scenario(world({}, strategy)), "s", 1)
    waits = [e for e in result.events if e.detail.startswith("baseline for step 1 at 100 %")]
    assert waits and "waiting for data" in waits[0].detail
    moved = next(e for e in result.events if e.kind == "set_weights" and e.data["weights"].get("v2") == 100.0)
    assert moved.t > waits[-1].t >= 60.0


def test_a_first_step_at_100_percent_still_rolls_back_a_slower_candidate() -> None:
    assert outcomes(world(SLOWER, {**SEED_000_STEPS, "steps": [100]}), seeds=range(1, 11)) == ["rolled_back"] * 10


ACCURACY_ONLY = {"accuracy": 0.80}
LATE_LABELS = {"delay": "20m", "fraction": 0.5}


@pytest.mark.slow
@pytest.mark.parametrize("strategy", [
    {"strategy": "Canary", "initialPercentage": 10, "incrementStep": 30, "monitoringDuration": "5m"},
    {"strategy": "Canary", "initialPercentage": 10, "incrementStep": 30, "monitoringDuration": "5m",
     "maxDataWait": "2m"},
    {"strategy": "BlueGreen", "smokeTestSamples": 0, "monitoringDuration": "10m"},
    {"strategy": "BlueGreen", "smokeTestSamples": 200, "monitoringDuration": "10m"},
], ids=["canary", "canary-short-wait", "blue-green", "blue-green-smoke-test"])
def test_an_accuracy_regression_with_labels_20_minutes_late_is_never_promoted(strategy: dict[str, Any]) -> None:
    """Mutant killed: 'accuracy not evaluated' counted as a pass (every run promoted the 0.80 candidate)."""
    results = outcomes(world(ACCURACY_ONLY, strategy, labels=LATE_LABELS), seeds=range(1, 21))
    assert "promoted" not in results, results


@pytest.mark.slow
@pytest.mark.parametrize("strategy", [
    {"strategy": "Canary", "initialPercentage": 10, "incrementStep": 30, "monitoringDuration": "5m"},
    {"strategy": "BlueGreen", "smokeTestSamples": 0, "monitoringDuration": "10m"},
    {"strategy": "BlueGreen", "smokeTestSamples": 200, "monitoringDuration": "10m"},
], ids=["canary", "blue-green", "blue-green-smoke-test"])
def test_a_good_candidate_with_labels_20_minutes_late_is_promoted(strategy: dict[str, Any]) -> None:
    """The pair of the test above: late labels are waited for, so 'never promoted' is not 'never anything'.

    Mutant killed: blue-green freezing blue's baseline before any of its labels arrived (every good candidate
    was rolled back for want of a baseline accuracy).
    """
    results = outcomes(world({}, strategy, labels=LATE_LABELS, horizon="4h"), seeds=range(1, 21))
    assert share(results, "promoted") >= 0.9, results


def test_blue_green_with_a_drift_monitor_promotes_a_good_candidate() -> None:
    """The smoke test's synthetic samples carry no drift score; green's drift is judged after the switch.

    Mutant killed: the smoke test judging green's (absent) drift score: every run rolled back.
    """
    data = world({}, {"strategy": "BlueGreen", "smokeTestSamples": 200, "monitoringDuration": "10m"})
    data["monitoring"]["drift"] = {"window": "5m"}
    results = outcomes(data, seeds=range(1, 4))
    assert results == ["promoted"] * 3


def test_a_good_candidate_with_late_labels_waits_for_them_and_is_promoted() -> None:
    """The default bound on waiting is the step plus the labels' delay: late labels are waited for."""
    strategy = {"strategy": "Canary", "initialPercentage": 10, "incrementStep": 30, "monitoringDuration": "5m"}
    result = run(parse_scenario(world({}, strategy, labels=LATE_LABELS)), "s", 4)
    assert result.outcome == "promoted"
    waits = [e for e in result.events if e.kind == "check" and e.data.get("verdict") == "inconclusive"
             and not e.data.get("in_step")]
    assert waits and all("accuracy not evaluated" in e.detail for e in waits)
    assert result.decision_time_s > 20 * 60  # it could not be decided before the first labels came back


LATE_FAULT = [{"kind": "error_rate", "version": "v2", "at": "570s", "error_rate": 0.05}]


@pytest.mark.slow
def test_a_fault_nine_minutes_into_a_ten_minute_blue_green_watch_is_rolled_back() -> None:
    """The fault starts about 9 minutes after the switch (green is ready and switched at about 30 s).

    Mutant killed: one check of the whole watch at its end (the fault diluted below the limit: promoted).
    """
    strategy = {"strategy": "BlueGreen", "smokeTestSamples": 0, "monitoringDuration": "10m",
                "rollbackThresholds": {"errorRateIncrease": 0.01, "latencyIncrease": 1.5}}
    results = outcomes(world({}, strategy, faults=LATE_FAULT), seeds=range(1, 31))
    assert share(results, "rolled_back") >= 0.9, results


@pytest.mark.slow
def test_a_thin_service_keeps_its_good_candidate_with_failure_limit_0() -> None:
    """Short windows too small to judge are inconclusive, so one-minute checks do not roll back by chance.

    At 25 requests/s a 10 % canary sees 150 requests a minute: two chance errors breach +1 point. Mutant
    killed: in-step checks on any window with minimumRequests (50) requests (36 of 50 kept; 50 with it).
    """
    data = world({"error_rate": 0.002}, SEED_000_STEPS)
    data["versions"]["v1"]["error_rate"] = 0.002
    data["traffic"]["rate"] = 25
    assert share(outcomes(data), "promoted") >= 0.9


def test_in_step_checks_need_three_errors_at_the_limit() -> None:
    from simulator.scenario import RollbackThresholds
    from simulator.strategies.watch import in_step_minimum_requests

    rules = RollbackThresholds(error_rate_increase=0.01, latency_increase=1.5)
    assert in_step_minimum_requests(rules, 50) == 300  # 3 errors at +1 point
    assert in_step_minimum_requests(RollbackThresholds(latency_increase=1.5), 50) == 50  # no error rule
    # A shared outage failing half the requests: +1 point is 3 standard errors only at 45,000 requests a side.
    assert in_step_minimum_requests(rules, 50, baseline_error_rate=0.5) == 45_000
    assert in_step_minimum_requests(rules, 50, baseline_error_rate=0.001) == 300


@pytest.mark.slow
def test_a_judged_canary_rarely_rolls_back_an_identical_candidate() -> None:
    """A/A through the simulator, with fair capacity, at utilisation ~0.7: false rollbacks stay within alpha.

    The judge fails a metric only when its shift is shown beyond the allowance, so an identical candidate
    should be rolled back far less often than alpha (5 %); the bound asserted is alpha + 2 standard errors.
    Mutant killed: relative latency checked every 30 s on one-minute windows (45 % rolled back).
    """
    strategy = {**SEED_000_STEPS, "judge": "mann_whitney"}
    data = world({}, strategy, horizon="2h")
    data["traffic"]["rate"] = 280  # 4 replicas x 4 slots at ~45 ms: utilisation about 0.7
    seeds = range(1, 401)
    results = outcomes(data, seeds=seeds)
    alpha, n = 0.05, len(results)
    assert share(results, "rolled_back") <= alpha + 2 * (alpha * (1 - alpha) / n) ** 0.5, share(results, "rolled_back")
    assert share(results, "promoted") >= 0.9


FRESH = {"strategy": "Canary", "steps": [10, 25, 50, 100], "monitoringDuration": "5m", "judge": "mann_whitney",
         "baseline": "fresh",
         "rollbackThresholds": {"accuracyDrop": 0.05, "latencyIncrease": 1.5, "errorRateIncrease": 0.01}}


def test_a_fresh_baseline_canary_promotes_a_good_candidate_and_rolls_back_a_slower_one() -> None:
    seeds = range(1, 11)
    assert share(outcomes(world({}, FRESH, horizon="2h"), seeds), "promoted") >= 0.9
    assert share(outcomes(world(SLOWER, FRESH, horizon="2h"), seeds), "rolled_back") >= 0.9


def test_a_fresh_baseline_is_the_stable_model_on_its_own_replicas() -> None:
    scenario = until_rollout_end(parse_scenario(world({}, FRESH, horizon="2h")))  # the rollout, not its aftermath
    result = run(scenario, "s", 1)
    assert set(result.versions) == {"v1", "v2", "v1-baseline"}
    baseline, canary = result.versions["v1-baseline"], result.versions["v2"]
    assert abs(baseline.requests - canary.requests) < 0.05 * canary.requests  # the same weight at every step
    assert [e.data["version"] for e in result.events if e.kind == "scale"][:2] == ["v2", "v1-baseline"]


@pytest.mark.slow
def test_a_fresh_baseline_canary_rarely_rolls_back_an_identical_candidate() -> None:
    """A/A at utilisation ~0.7, 400 seeds. Measured: 0 of 400 rolled back, 400 promoted (bound alpha + 2 SE)."""
    data = world({}, FRESH, horizon="2h")
    data["traffic"]["rate"] = 280
    results = outcomes(data, seeds=range(1, 401))
    alpha, n = 0.05, len(results)
    assert share(results, "rolled_back") <= alpha + 2 * (alpha * (1 - alpha) / n) ** 0.5, share(results, "rolled_back")
    assert share(results, "promoted") >= 0.9
