"""The Argo blue-green: the preview, its analyses, auto-promotion, promotes, and what each outcome leaves behind."""

from __future__ import annotations

import pytest

from simulator.commands import Decide, ScaleTo, SetWeights, Wait
from simulator.scenario.world_config import PromoteOperation
from simulator.strategies.argo import Promotion
from simulator.strategies.argo.blue_green import ArgoBlueGreenStrategy
from simulator.strategies.argo.blue_green_plan import ArgoBlueGreenPlan
from simulator.strategies.watch import PAUSE_SECONDS
from tests.strategies.argo.harness import (
    Cluster,
    ScriptedPrometheus,
    decision,
    drive,
    finished,
    notes,
    prometheus_metric,
    run_spec,
)

ERRORS = ("sum(rate(http_requests_total{service=\"active\",status=~\"5..\"}[1m]))"
          " / sum(rate(http_requests_total{service=\"active\"}[1m]))")
GOOD, BAD = [0.001], [0.05]


def error_analysis(count: int = 3, **fields):
    document = {"interval": "1m", "count": count, "failureCondition": "result[0] > 0.01", **fields}
    return run_spec(prometheus_metric("error-ratio", ERRORS, **document))


def candidate_share(history) -> list[tuple[float, float]]:
    """When the router moved, and the candidate's share after it, percent."""
    return [(snapshot.at, command.weights.get("v2", 0.0)) for snapshot in history for command in snapshot.commands
            if isinstance(command, SetWeights)]


def scales(history, version: str) -> list[tuple[float, int]]:
    return [(snapshot.at, command.replicas) for snapshot in history for command in snapshot.commands
            if isinstance(command, ScaleTo) and command.version == version]


def test_without_analysis_the_switch_comes_once_the_preview_is_ready_and_the_old_version_goes_after_the_delay() -> None:
    cluster = Cluster(replicas=4, startup_s=30)
    history = drive(ArgoBlueGreenStrategy(ArgoBlueGreenPlan(replicas=4)), cluster)
    assert scales(history, "v2") == [(0.0, 4)]
    assert candidate_share(history) == [(0.0, 0.0), (30.0, 100.0)]
    promoted = decision(history)
    assert promoted.outcome == "promoted" and "fully promoted" in promoted.reason
    assert scales(history, "v1") == [(60.0, 0)]  # scaleDownDelaySeconds 30 after the switch
    assert finished(history)


def test_a_failing_pre_promotion_analysis_never_switches_and_scales_the_preview_down_after_the_abort_delay() -> None:
    prometheus = ScriptedPrometheus({ERRORS: [BAD]})
    plan = ArgoBlueGreenPlan(replicas=4, pre_promotion=error_analysis())
    history = drive(ArgoBlueGreenStrategy(plan), Cluster(replicas=4, startup_s=30, prometheus=prometheus))
    assert all(share == 0.0 for _, share in candidate_share(history))
    rolled_back = decision(history)
    assert rolled_back.outcome == "rolled_back"
    assert rolled_back.reason.startswith("pre-promotion analysis error-ratio failed: result[0] = 0.05")
    assert prometheus.times(ERRORS) == [30.0]  # failureLimit 0: the first failure decides
    assert scales(history, "v2") == [(0.0, 4), (60.0, 0)]
    assert scales(history, "v1") == []


def test_an_abort_delay_of_zero_keeps_the_aborted_preview() -> None:
    prometheus = ScriptedPrometheus({ERRORS: [BAD]})
    plan = ArgoBlueGreenPlan(replicas=4, pre_promotion=error_analysis(), abort_scale_down_delay_s=0)
    cluster = Cluster(replicas=4, prometheus=prometheus)
    history = drive(ArgoBlueGreenStrategy(plan), cluster)
    assert decision(history).outcome == "rolled_back" and finished(history)
    assert cluster.desired["v2"] == 4


def test_a_failing_post_promotion_analysis_switches_back_to_the_old_version_which_kept_its_pods() -> None:
    prometheus = ScriptedPrometheus({ERRORS: [GOOD, BAD]})
    plan = ArgoBlueGreenPlan(replicas=4, post_promotion=error_analysis(initialDelay="1m", failureLimit=0))
    cluster = Cluster(replicas=4, startup_s=30, prometheus=prometheus)
    history = drive(ArgoBlueGreenStrategy(plan), cluster)
    assert candidate_share(history) == [(0.0, 0.0), (30.0, 100.0), (150.0, 0.0)]
    assert prometheus.times(ERRORS) == [90.0, 150.0]
    rolled_back = decision(history)
    assert rolled_back.outcome == "rolled_back" and not rolled_back.after_promotion
    assert scales(history, "v1") == []  # the old version is scaled down only after a successful promotion
    assert scales(history, "v2") == [(0.0, 4), (180.0, 0)]


def test_the_decision_to_promote_waits_for_the_post_promotion_analysis() -> None:
    prometheus = ScriptedPrometheus({ERRORS: [GOOD]})
    plan = ArgoBlueGreenPlan(replicas=4, post_promotion=error_analysis(count=3), scale_down_delay_s=300)
    history = drive(ArgoBlueGreenStrategy(plan), Cluster(replicas=4, prometheus=prometheus))
    decided_at = [snapshot.at for snapshot in history
                  if any(isinstance(command, Decide) for command in snapshot.commands)]
    assert decided_at == [120.0]  # measurements at 0, 60 and 120 s after the switch at 0 s
    assert scales(history, "v1") == [(420.0, 0)]


def test_with_auto_promotion_off_the_rollout_waits_for_a_promote() -> None:
    plan = ArgoBlueGreenPlan(replicas=4, auto_promotion_enabled=False, promotions=(Promotion(at_s=600.0),))
    history = drive(ArgoBlueGreenStrategy(plan), Cluster(replicas=4, startup_s=30))
    assert candidate_share(history) == [(0.0, 0.0), (600.0, 100.0)]
    paused = notes(history, "paused")
    assert len(paused) == 1 and "waits for a promote; the next promote is at 600s" in paused[0].detail
    assert [note.data["status"] for note in notes(history, "operation")] == ["done"]


def test_without_a_promote_the_paused_rollout_never_switches() -> None:
    history = drive(ArgoBlueGreenStrategy(ArgoBlueGreenPlan(replicas=4, auto_promotion_enabled=False)),
                    Cluster(replicas=4))
    assert decision(history) is None
    last = history[-1].commands[-1]
    assert isinstance(last, Wait) and last.seconds >= PAUSE_SECONDS


def test_auto_promotion_seconds_count_from_the_pause_after_the_pre_promotion_analysis() -> None:
    prometheus = ScriptedPrometheus({ERRORS: [GOOD]})
    plan = ArgoBlueGreenPlan(replicas=4, pre_promotion=error_analysis(count=2), auto_promotion_s=120)
    history = drive(ArgoBlueGreenStrategy(plan), Cluster(replicas=4, startup_s=30, prometheus=prometheus))
    # ready at 30 s; analysis at 30 and 90 s; paused from 90 s for 120 s
    assert candidate_share(history) == [(0.0, 0.0), (210.0, 100.0)]
    assert "the switch comes at 210s" in notes(history, "paused")[0].detail


def test_auto_promotion_seconds_are_ignored_when_auto_promotion_is_off() -> None:
    plan = ArgoBlueGreenPlan(replicas=4, auto_promotion_enabled=False, auto_promotion_s=60)
    history = drive(ArgoBlueGreenStrategy(plan), Cluster(replicas=4))
    assert decision(history) is None and candidate_share(history) == [(0.0, 0.0)]


def test_a_smaller_preview_is_scaled_to_full_size_before_the_switch() -> None:
    cluster = Cluster(replicas=6, startup_s=30)
    history = drive(ArgoBlueGreenStrategy(ArgoBlueGreenPlan(replicas=6, preview_replicas=2)), cluster)
    assert scales(history, "v2") == [(0.0, 2), (30.0, 6)]
    assert candidate_share(history) == [(0.0, 0.0), (60.0, 100.0)]  # only once all 6 are ready


def test_an_inconclusive_pre_promotion_analysis_holds_until_a_promote_passes_over_it() -> None:
    prometheus = ScriptedPrometheus({ERRORS: [[0.005]]})
    analysis = error_analysis(count=1, successCondition="result[0] < 0.001", failureCondition="result[0] > 0.01")
    plan = ArgoBlueGreenPlan(replicas=4, pre_promotion=analysis, promotions=(Promotion(at_s=300.0),))
    history = drive(ArgoBlueGreenStrategy(plan), Cluster(replicas=4, prometheus=prometheus))
    assert "was inconclusive" in notes(history, "paused")[0].detail
    assert candidate_share(history) == [(0.0, 0.0), (300.0, 100.0)]
    assert decision(history).outcome == "promoted"


def test_a_promote_before_the_pause_does_nothing_and_says_so() -> None:
    prometheus = ScriptedPrometheus({ERRORS: [GOOD]})
    plan = ArgoBlueGreenPlan(replicas=4, pre_promotion=error_analysis(count=3), auto_promotion_enabled=False,
                             promotions=(Promotion(at_s=60.0),))
    history = drive(ArgoBlueGreenStrategy(plan), Cluster(replicas=4, prometheus=prometheus))
    operation = notes(history, "operation")[0]
    assert operation.data["status"] == "skipped" and "pre-promotion analysis" in operation.detail
    assert decision(history) is None  # the pause that follows the analysis waits for another promote


def test_a_full_promote_ends_the_pre_promotion_analysis_and_switches() -> None:
    prometheus = ScriptedPrometheus({ERRORS: [GOOD]})
    plan = ArgoBlueGreenPlan(replicas=4, pre_promotion=error_analysis(count=5),
                             promotions=(Promotion(at_s=90.0, full=True),))
    history = drive(ArgoBlueGreenStrategy(plan), Cluster(replicas=4, prometheus=prometheus))
    assert candidate_share(history) == [(0.0, 0.0), (90.0, 100.0)]
    assert prometheus.times(ERRORS) == [0.0, 60.0]


def test_the_scenario_s_promotes_join_the_plan_s() -> None:
    strategy = ArgoBlueGreenStrategy(ArgoBlueGreenPlan(replicas=4, auto_promotion_enabled=False,
                                                       promotions=(Promotion(at_s=900.0),)))
    strategy.take_promotes([PromoteOperation(at=300.0, promote="argo")])
    history = drive(strategy, Cluster(replicas=4))
    assert candidate_share(history) == [(0.0, 0.0), (300.0, 100.0)]


def test_an_analysis_that_never_ends_is_refused_before_or_after_the_switch() -> None:
    endless = run_spec(prometheus_metric("error-ratio", ERRORS, interval="1m", failureCondition="result[0] > 0.01"))
    with pytest.raises(ValueError, match="post_promotion: .* error-ratio run indefinitely"):
        ArgoBlueGreenPlan(post_promotion=endless)
