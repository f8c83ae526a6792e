"""The Argo canary's analysis: step and background runs measured through the Prometheus reader, and what they decide."""

from __future__ import annotations

import pytest

from simulator.commands import ScaleTo, SetWeights, Wait
from simulator.errors import StrategyError
from simulator.observations import QueryFailure
from simulator.strategies.argo import (
    ArgoCanaryPlan,
    ArgoCanaryStrategy,
    BackgroundAnalysis,
    Pause,
    Promotion,
    RunAnalysis,
    SetWeight,
)
from simulator.strategies.watch import PAUSE_SECONDS
from tests.strategies.argo.harness import (
    Cluster,
    ScriptedPrometheus,
    commands_of,
    decision,
    drive,
    finished,
    notes,
    prometheus_metric,
    run_spec,
)

P99 = "histogram_quantile(0.99, sum by (le) (rate(http_request_duration_seconds_bucket{service=\"canary\"}[1m])))"
SUCCESS = "sum(rate(http_requests_total{service=\"canary\",status=\"200\"}[1m])) / sum(rate(http_requests_total[1m]))"
GOOD, SLOW = [0.1], [0.31]


def latency_step(**fields) -> RunAnalysis:
    """An analysis step measuring the canary's p99 latency every minute, three times."""
    document = {"interval": "1m", "count": 3, "successCondition": "result[0] < 0.25", **fields}
    return RunAnalysis(run_spec(prometheus_metric("p99-latency", P99, **document)))


def routed(*steps, **plan) -> ArgoCanaryPlan:
    return ArgoCanaryPlan(replicas=4, traffic_routing=True, steps=steps, **plan)


def canary_weights(history) -> list[tuple[float, float]]:
    return [(snapshot.at, command.weights["v2"]) for snapshot in history for command in snapshot.commands
            if isinstance(command, SetWeights)]


def test_a_failed_analysis_rolls_back_with_the_run_s_message() -> None:
    prometheus = ScriptedPrometheus({P99: [GOOD, SLOW, SLOW]})
    cluster = Cluster(replicas=4, prometheus=prometheus)
    history = drive(ArgoCanaryStrategy(routed(SetWeight(25), latency_step(failureLimit=1), SetWeight(50))), cluster)
    assert prometheus.times(P99) == [0.0, 60.0, 120.0]
    rolled_back = decision(history)
    assert rolled_back.outcome == "rolled_back"
    assert rolled_back.reason == ("step 2 analysis p99-latency failed: result[0] = 0.31 fails 'result[0] < 0.25' "
                                  "(2 failed > failureLimit 1)")
    # all traffic back at once, at 120 s; the canary's pods go abortScaleDownDelaySeconds (30 s) later
    assert canary_weights(history) == [(0.0, 25.0), (120.0, 0.0)]
    assert [(snapshot.at, snapshot.desired["v2"]) for snapshot in history][-2:] == [(120.0, 1), (150.0, 0)]
    assert finished(history) and cluster.weights == {"v1": 100.0}


def test_a_deciding_failure_ends_the_run_before_the_other_metrics_are_measured() -> None:
    errors = "sum(rate(http_requests_total{status=\"500\"}[1m]))"
    step = RunAnalysis(run_spec(prometheus_metric("p99-latency", P99, successCondition="result[0] < 0.25"),
                                prometheus_metric("errors", errors, successCondition="result[0] < 1")))
    prometheus = ScriptedPrometheus({P99: [SLOW], errors: [[0.0]]})
    history = drive(ArgoCanaryStrategy(routed(SetWeight(25), step)), Cluster(replicas=4, prometheus=prometheus))
    assert prometheus.asked == [(0.0, P99)]
    assert decision(history).reason.startswith("step 2 analysis p99-latency failed")


def test_failure_limit_one_needs_a_second_failure() -> None:
    prometheus = ScriptedPrometheus({P99: [SLOW, GOOD, GOOD]})
    history = drive(ArgoCanaryStrategy(routed(SetWeight(25), latency_step(failureLimit=1), SetWeight(50))),
                    Cluster(replicas=4, prometheus=prometheus))
    assert decision(history).outcome == "promoted"
    assert canary_weights(history) == [(0.0, 25.0), (120.0, 50.0), (120.0, 100.0)]
    verdicts = [note.data["verdict"] for note in notes(history, "check")]
    assert verdicts == ["fail", "pass", "pass"]


def test_an_explicit_abort_delay_of_zero_keeps_the_aborted_canary_running() -> None:
    prometheus = ScriptedPrometheus({P99: [SLOW]})
    cluster = Cluster(replicas=4, prometheus=prometheus)
    history = drive(ArgoCanaryStrategy(routed(SetWeight(25), latency_step(), abort_scale_down_delay_s=0)), cluster)
    assert decision(history).outcome == "rolled_back" and finished(history)
    assert cluster.weights == {"v1": 100.0} and cluster.desired["v2"] == 1 and history[-1].now == 0.0


def test_an_empty_result_fails_a_condition_that_checks_its_length() -> None:
    prometheus = ScriptedPrometheus({P99: [[]]})
    step = latency_step(successCondition="len(result) > 0 && result[0] < 0.25")
    history = drive(ArgoCanaryStrategy(routed(SetWeight(25), step)), Cluster(replicas=4, prometheus=prometheus))
    assert decision(history).reason == ("step 2 analysis p99-latency failed: result = [] fails "
                                        "'len(result) > 0 && result[0] < 0.25' (1 failed > failureLimit 0)")


def test_an_empty_result_is_an_error_where_the_condition_cannot_evaluate_it() -> None:
    """Four empty results in a row are errors within the default consecutiveErrorLimit; a value ends the run of them."""
    prometheus = ScriptedPrometheus({P99: [[], [], [], [], GOOD, GOOD, GOOD]})
    history = drive(ArgoCanaryStrategy(routed(SetWeight(25), latency_step())),
                    Cluster(replicas=4, prometheus=prometheus))
    assert [note.data["verdict"] for note in notes(history, "check")] == ["error"] * 4 + ["pass"] * 3
    # an error is retried 10 s later; a measured value the interval later
    assert prometheus.times(P99) == [0.0, 10.0, 20.0, 30.0, 40.0, 100.0, 160.0]
    assert decision(history).outcome == "promoted"


def test_consecutive_errors_past_the_limit_abort_the_rollout() -> None:
    failure = QueryFailure("found duplicate series for the match group")
    prometheus = ScriptedPrometheus({P99: [failure]})
    cluster = Cluster(replicas=4, prometheus=prometheus)
    history = drive(ArgoCanaryStrategy(routed(SetWeight(25), latency_step())), cluster)
    assert prometheus.times(P99) == [0.0, 10.0, 20.0, 30.0, 40.0]
    rolled_back = decision(history)
    assert rolled_back.outcome == "rolled_back"
    assert rolled_back.reason == ("step 2 analysis p99-latency errored: found duplicate series for the match group "
                                  "(5 consecutive errors > consecutiveErrorLimit 4)")
    assert rolled_back.analysis["phase"] == "Error"


def test_an_inconclusive_analysis_pauses_the_rollout_until_the_run_ends() -> None:
    prometheus = ScriptedPrometheus({P99: [[0.3]]})
    step = latency_step(successCondition="result[0] < 0.25", failureCondition="result[0] > 0.5")
    history = drive(ArgoCanaryStrategy(routed(SetWeight(25), step, SetWeight(50))),
                    Cluster(replicas=4, prometheus=prometheus))
    assert decision(history) is None  # undecided: the run ends incomplete
    last = history[-1].commands[-1]
    assert isinstance(last, Wait) and last.seconds >= PAUSE_SECONDS
    paused = notes(history, "paused")
    assert len(paused) == 1 and paused[0].detail.startswith(
        "step 2 analysis p99-latency was inconclusive: result[0] = 0.3 meets neither successCondition")
    assert paused[0].detail.endswith("; the rollout waits for a promote; no promote is scheduled")
    assert canary_weights(history) == [(0.0, 25.0)]  # held at its weight


def test_a_promote_passes_over_an_inconclusive_step_analysis() -> None:
    prometheus = ScriptedPrometheus({P99: [[0.3]]})
    step = latency_step(successCondition="result[0] < 0.25", failureCondition="result[0] > 0.5")
    plan = routed(SetWeight(25), step, SetWeight(50), Pause(60), promotions=(Promotion(500.0),))
    history = drive(ArgoCanaryStrategy(plan), Cluster(replicas=4, prometheus=prometheus))
    assert canary_weights(history) == [(0.0, 25.0), (500.0, 50.0), (560.0, 100.0)]
    assert notes(history, "operation")[0].data["effect"] == "step 2's inconclusive analysis passed over"
    assert decision(history).outcome == "promoted"


def background(starting_step: int = 0, **fields) -> BackgroundAnalysis:
    """A success-rate analysis every 2 minutes until the rollout ends it."""
    document = {"interval": "2m", "successCondition": "result[0] >= 0.95", **fields}
    return BackgroundAnalysis(spec=run_spec(prometheus_metric("success-rate", SUCCESS, **document)),
                              starting_step=starting_step)


def test_background_analysis_starts_at_its_starting_step_and_ends_at_the_promotion() -> None:
    prometheus = ScriptedPrometheus({SUCCESS: [[0.99]]})
    plan = routed(SetWeight(20), Pause(300), SetWeight(40), Pause(300), background=background(starting_step=2))
    history = drive(ArgoCanaryStrategy(plan), Cluster(replicas=4, prometheus=prometheus))
    # step index 2 (setWeight 40) is reached at 300 s; measured every 120 s; the promotion at 600 s ends it
    assert prometheus.times(SUCCESS) == [300.0, 420.0, 540.0]
    promoted = decision(history)
    assert promoted.outcome == "promoted"
    assert promoted.analysis["background"]["phase"] == "Successful"
    ended = [note for note in notes(history, "analysis") if "terminated" in note.detail]
    assert len(ended) == 1 and ended[0].data["phase"] == "Successful"


def test_while_paused_the_rollout_wakes_for_whichever_comes_first() -> None:
    prometheus = ScriptedPrometheus({SUCCESS: [[0.99]]})
    plan = routed(SetWeight(20), Pause(300), background=background())
    history = drive(ArgoCanaryStrategy(plan), Cluster(replicas=4, prometheus=prometheus))
    assert [wait.seconds for wait in commands_of(history, Wait)][:3] == [120.0, 120.0, 60.0]


def test_a_failing_background_analysis_aborts_during_a_pause() -> None:
    prometheus = ScriptedPrometheus({SUCCESS: [[0.99], [0.99], [0.80]]})
    plan = routed(SetWeight(20), Pause(), SetWeight(40), background=background(starting_step=1))
    cluster = Cluster(replicas=4, prometheus=prometheus)
    history = drive(ArgoCanaryStrategy(plan), cluster)
    assert prometheus.times(SUCCESS) == [0.0, 120.0, 240.0]
    rolled_back = decision(history)
    assert rolled_back.reason == ("background analysis success-rate failed: result[0] = 0.8 fails "
                                  "'result[0] >= 0.95' (1 failed > failureLimit 0)")
    assert rolled_back.analysis["analysis"] == "background"
    assert cluster.weights == {"v1": 100.0} and cluster.desired["v2"] == 0 and history[-1].now == 270.0


def test_an_inconclusive_background_analysis_starts_again_after_a_promote() -> None:
    prometheus = ScriptedPrometheus({SUCCESS: [[0.9], [0.99]]})
    plan = routed(SetWeight(20), Pause(600), promotions=(Promotion(300.0),),
                  background=background(failureCondition="result[0] < 0.5"))
    history = drive(ArgoCanaryStrategy(plan), Cluster(replicas=4, prometheus=prometheus))
    # inconclusive at 0 s: held at step 1 (the router still gets its weight); the promote at 300 s starts a
    # new run and the steps go on, so the 600 s pause ends at 900 s
    assert prometheus.times(SUCCESS)[:4] == [0.0, 300.0, 420.0, 540.0]
    assert notes(history, "operation")[0].data["effect"] == "the background analysis starts again"
    assert canary_weights(history) == [(0.0, 20.0), (900.0, 100.0)]
    assert decision(history).outcome == "promoted"


def test_a_basic_canary_rolls_back_by_moving_pods_back() -> None:
    prometheus = ScriptedPrometheus({P99: [SLOW]})
    plan = ArgoCanaryPlan(replicas=6, steps=(SetWeight(60), latency_step()))
    cluster = Cluster(replicas=6, startup_s=20, prometheus=prometheus)
    history = drive(ArgoCanaryStrategy(plan), cluster)
    rolled_back = decision(history)
    assert rolled_back.outcome == "rolled_back" and rolled_back.analysis["weight"] == pytest.approx(400 / 7)
    # from (4 canary, 3 stable) back to (0, 6) within 8 pods and 5 available: one reconciliation makes
    # (2, 4) (room for one stable pod; 2 + 3 available), the next at once (2, 6); once the stable pods are
    # ready the canary goes
    aborted = next(snapshot for snapshot in history if decision([snapshot]) is not None)
    assert [(command.version, command.replicas) for command in commands_of([aborted], ScaleTo)] == [
        ("v2", 2), ("v1", 4), ("v1", 6)]
    held = [(snapshot.desired["v2"], snapshot.desired["v1"]) for snapshot in history if snapshot.at >= aborted.at]
    assert held == [(2, 6), (0, 6)]
    assert finished(history) and cluster.weights is None and cluster.share("v2") == 0.0


def test_a_query_without_a_reader_is_an_error_of_the_wiring() -> None:
    with pytest.raises(StrategyError, match="carries no Prometheus reader"):
        drive(ArgoCanaryStrategy(routed(SetWeight(25), latency_step())), Cluster(replicas=4))


def test_a_job_metric_that_cannot_fail_succeeds_without_a_draw() -> None:
    job = {"name": "smoke", "provider": {"job": {"spec": {"template": {"spec": {"containers": []}}}}}}
    plan = routed(SetWeight(25), RunAnalysis(run_spec(job)))
    history = drive(ArgoCanaryStrategy(plan), Cluster(replicas=4))
    assert [note.data["verdict"] for note in notes(history, "check")] == ["pass"]
    assert decision(history).outcome == "promoted"


class ScriptedJobs:
    """Job outcomes in order, and the failure probabilities they were asked with."""

    def __init__(self, *outcomes: bool) -> None:
        self.outcomes, self.asked = list(outcomes), []

    def run(self, failure_probability: float) -> bool:
        self.asked.append(failure_probability)
        return self.outcomes.pop(0)


def test_a_job_that_may_fail_takes_its_outcome_from_the_world() -> None:
    job = {"name": "smoke", "interval": "1m", "count": 3, "failureLimit": 1,
           "provider": {"job": {"metadata": {"annotations": {"rollout-sim/failure-probability": "0.25"}},
                                "spec": {"template": {"spec": {"containers": []}}}}}}
    jobs = ScriptedJobs(True, False, False)
    history = drive(ArgoCanaryStrategy(routed(SetWeight(25), RunAnalysis(run_spec(job)))),
                    Cluster(replicas=4, jobs=jobs))
    assert jobs.asked == [0.25, 0.25, 0.25]
    assert [note.data["verdict"] for note in notes(history, "check")] == ["pass", "fail", "fail"]
    assert decision(history).outcome == "rolled_back"


def test_a_job_that_may_fail_without_a_job_runner_is_an_error_of_the_wiring() -> None:
    job = {"name": "smoke", "provider": {"job": {"metadata": {"annotations": {"rollout-sim/failure-probability":
                                                                               "0.5"}}, "spec": {}}}}
    with pytest.raises(StrategyError, match="carries no job runner"):
        drive(ArgoCanaryStrategy(routed(SetWeight(25), RunAnalysis(run_spec(job)))), Cluster(replicas=4))


def test_with_dynamic_stable_scale_an_abort_moves_the_traffic_once_the_stable_version_is_back() -> None:
    prometheus = ScriptedPrometheus({P99: [SLOW]})
    plan = routed(SetWeight(75), latency_step(), dynamic_stable_scale=True)
    cluster = Cluster(replicas=4, startup_s=30, prometheus=prometheus)
    history = drive(ArgoCanaryStrategy(plan), cluster)
    # 3 canary pods ready at 30 s: 75 %, the stable version down to 1; the analysis fails at once
    assert decision(history).outcome == "rolled_back"
    assert canary_weights(history) == [(30.0, 75.0), (60.0, 0.0)]  # once the stable's 3 new pods are ready
    stable_sizes = [(snapshot.at, command.replicas) for snapshot in history for command in snapshot.commands
                    if isinstance(command, ScaleTo) and command.version == "v1"]
    assert stable_sizes == [(30.0, 1), (30.0, 4)]
    assert (history[-1].at, cluster.desired["v2"]) == (60.0, 0) and finished(history)
