"""The AnalysisRun state machine: limits, counts, timing, dry runs and termination, as Argo's controller runs them."""

from __future__ import annotations

import pytest

from simulator.analysis.argo import ERROR_RETRY_INTERVAL, AnalysisPhase, MeasurementError
from simulator.errors import ScenarioError, StrategyError
from tests.analysis.argo.manifests import metric, run_of

LATENCY = metric("p99-latency", interval="1m", successCondition="result[0] < 0.25")
GOOD, BAD = [0.1], [0.31]


def feed(run, name: str, values: list, step: float | None = None) -> list[AnalysisPhase]:
    """Record ``values`` one after the other, each when it is due; the run's phase after each."""
    phases = []
    for value in values:
        time = run.next_time()
        assert time is not None, "the run completed before every value was recorded"
        assert name in run.due(time)
        run.record(name, time, value)
        phases.append(run.phase)
    return phases


def test_failure_limit_fails_at_the_measurement_that_exceeds_it() -> None:
    run = run_of({**LATENCY, "failureLimit": 1})
    assert feed(run, "p99-latency", [GOOD, BAD, GOOD]) == [AnalysisPhase.RUNNING] * 3  # 1 failed: not > 1
    assert feed(run, "p99-latency", [BAD]) == [AnalysisPhase.FAILED]  # the 2nd failure
    assert run.message == "p99-latency: result[0] = 0.31 fails 'result[0] < 0.25' (2 failed > failureLimit 1)"
    assert run.result("p99-latency").failed == 2 and run.result("p99-latency").successful == 2
    assert run.due(1e9) == [] and run.next_time() is None


def test_the_default_failure_limit_is_zero() -> None:
    run = run_of(LATENCY)
    assert feed(run, "p99-latency", [BAD]) == [AnalysisPhase.FAILED]


def test_five_consecutive_errors_exceed_the_default_limit_of_four() -> None:
    run = run_of(LATENCY)
    errors = [MeasurementError("connection refused")] * 4
    assert feed(run, "p99-latency", errors) == [AnalysisPhase.RUNNING] * 4
    assert feed(run, "p99-latency", [MeasurementError("connection refused")]) == [AnalysisPhase.ERROR]
    assert run.message == ("p99-latency: connection refused (5 consecutive errors > consecutiveErrorLimit 4)")


@pytest.mark.parametrize("breaker", [GOOD, BAD])
def test_a_measurement_between_errors_resets_the_run_of_errors(breaker: list[float]) -> None:
    run = run_of({**LATENCY, "failureLimit": 1})
    error = MeasurementError("timeout")
    feed(run, "p99-latency", [error] * 4 + [breaker] + [error] * 4)
    assert run.phase == AnalysisPhase.RUNNING
    assert run.result("p99-latency").consecutive_error == 4 and run.result("p99-latency").error == 8
    assert feed(run, "p99-latency", [error]) == [AnalysisPhase.ERROR]


def test_an_empty_result_is_an_error_not_a_failure() -> None:
    run = run_of({**LATENCY, "consecutiveErrorLimit": 0})
    measurement = run.record("p99-latency", 0.0, [])
    assert measurement.phase == AnalysisPhase.ERROR
    assert run.phase == AnalysisPhase.ERROR and "could not be evaluated for result = []" in run.message


def test_inconclusive_limit() -> None:
    both = {**LATENCY, "failureCondition": "result[0] >= 0.5", "inconclusiveLimit": 1}
    run = run_of(both)
    assert feed(run, "p99-latency", [[0.3], GOOD]) == [AnalysisPhase.RUNNING] * 2
    assert feed(run, "p99-latency", [[0.4]]) == [AnalysisPhase.INCONCLUSIVE]
    assert run.message.endswith("(2 inconclusive > inconclusiveLimit 1)")
    assert feed(run_of({**both, "inconclusiveLimit": 0}), "p99-latency", [[0.3]]) == [AnalysisPhase.INCONCLUSIVE]


def test_count_completes_the_metric_and_errors_do_not_count() -> None:
    run = run_of({**LATENCY, "count": 3, "failureLimit": 1})
    phases = feed(run, "p99-latency", [GOOD, MeasurementError("timeout"), BAD, GOOD])
    assert phases == [AnalysisPhase.RUNNING] * 3 + [AnalysisPhase.SUCCESSFUL]
    assert run.result("p99-latency").count == 3
    assert run.message == "p99-latency: count 3 reached (2 successful, 1 failed, 1 errors)"


def test_count_as_a_string_and_from_an_argument() -> None:
    assert feed(run_of({**LATENCY, "count": "2"}), "p99-latency", [GOOD, GOOD])[-1] == AnalysisPhase.SUCCESSFUL
    run = run_of({**LATENCY, "count": "{{args.samples}}", "interval": "{{ args.every }}"},
                 args=[{"name": "samples"}, {"name": "every", "value": "2m"}], rollout_args={"samples": "2"})
    assert feed(run, "p99-latency", [GOOD, GOOD])[-1] == AnalysisPhase.SUCCESSFUL
    assert [m.time for m in run.result("p99-latency").measurements] == [0.0, 120.0]


def test_without_interval_or_count_one_measurement_decides() -> None:
    run = run_of(metric("smoke", successCondition="result == 1"))
    assert run.next_time() == 0.0
    assert feed(run, "smoke", [1.0]) == [AnalysisPhase.SUCCESSFUL]


def test_an_error_is_retried_after_ten_seconds_whatever_the_interval() -> None:
    run = run_of({**LATENCY, "interval": "5m"}, started_at=100.0)
    run.record("p99-latency", 100.0, MeasurementError("timeout"))
    assert run.next_time() == 100.0 + ERROR_RETRY_INTERVAL
    run.record("p99-latency", 110.0, GOOD)
    assert run.next_time() == 410.0
    single = run_of(metric("smoke", successCondition="result == 1"))
    single.record("smoke", 0.0, MeasurementError("timeout"))
    assert single.next_time() == ERROR_RETRY_INTERVAL and single.phase == AnalysisPhase.RUNNING


def test_initial_delay_and_interval_timing() -> None:
    run = run_of({**LATENCY, "initialDelay": "2m", "interval": "30s"}, started_at=100.0)
    assert run.next_time() == 220.0
    assert run.due(219.0) == [] and run.due(220.0) == ["p99-latency"]
    with pytest.raises(StrategyError, match="not due before t=220s"):
        run.record("p99-latency", 219.0, GOOD)
    run.record("p99-latency", 230.0, GOOD)  # taken late: the next one is due an interval after it was taken
    assert run.next_time() == 260.0 and run.due(259.0) == []


def test_metrics_are_scheduled_independently() -> None:
    run = run_of({**LATENCY, "interval": "1m"}, metric("errors", interval="90s", initialDelay="30s",
                                                       successCondition="result[0] < 0.01"))
    assert run.due(0.0) == ["p99-latency"] and run.next_time() == 0.0
    run.record("p99-latency", 0.0, GOOD)
    assert run.next_time() == 30.0 and run.due(30.0) == ["errors"]
    run.record("errors", 30.0, [0.0])
    assert run.due(60.0) == ["p99-latency"] and run.due(120.0) == ["p99-latency", "errors"]


def test_a_failing_metric_ends_the_run_at_once_and_the_others_succeed() -> None:
    run = run_of({**LATENCY, "count": 5}, metric("errors", interval="1m", successCondition="result[0] < 0.01"))
    run.record("p99-latency", 0.0, GOOD)
    run.record("errors", 0.0, [0.5])
    assert run.phase == AnalysisPhase.FAILED and run.completed_at == 0.0
    assert run.result("p99-latency").phase == AnalysisPhase.SUCCESSFUL  # terminated before its count
    assert run.result("errors").phase == AnalysisPhase.FAILED
    assert run.message.startswith("errors: result[0] = 0.5 fails")
    with pytest.raises(StrategyError, match="already Failed"):
        run.record("p99-latency", 60.0, GOOD)


def test_the_run_waits_for_every_metric_and_takes_the_worst() -> None:
    run = run_of({**LATENCY, "count": 1}, metric("errors", interval="1m", count=2, successCondition="result < 1"))
    run.record("p99-latency", 0.0, GOOD)
    assert run.result("p99-latency").phase == AnalysisPhase.SUCCESSFUL and run.phase == AnalysisPhase.RUNNING
    run.record("errors", 0.0, 0.5)
    run.record("errors", 60.0, 0.5)
    assert run.phase == AnalysisPhase.SUCCESSFUL and run.completed_at == 60.0
    assert run.message == ("p99-latency: count 1 reached (1 successful); errors: count 2 reached (2 successful)")


def test_background_analysis_succeeds_when_terminated() -> None:
    run = run_of({**LATENCY, "failureLimit": 2}, metric("later", initialDelay="10m", interval="1m"))
    feed(run, "p99-latency", [GOOD, BAD, BAD])
    assert run.phase == AnalysisPhase.RUNNING
    run.terminate(200.0)
    assert run.phase == AnalysisPhase.SUCCESSFUL and run.completed_at == 200.0
    assert run.result("p99-latency").phase == AnalysisPhase.SUCCESSFUL
    assert run.result("later").message == "later: terminated before its first measurement"
    assert run.due(1e9) == []


def test_count_zero_with_an_interval_runs_until_terminated() -> None:
    run = run_of({**LATENCY, "count": 0})
    feed(run, "p99-latency", [GOOD] * 20)
    assert run.phase == AnalysisPhase.RUNNING
    without_interval = run_of(metric("once", count=0, successCondition="result < 1"))
    assert feed(without_interval, "once", [0.5]) == [AnalysisPhase.SUCCESSFUL]


def test_dry_run_metrics_never_fail_the_run() -> None:
    run = run_of({**LATENCY, "count": 2}, metric("total-5xx-errors", interval="1m", count=2,
                                                 failureCondition="result[0] >= 10"),
                 dryRun=[{"metricName": "total-5xx.*"}])
    run.record("total-5xx-errors", 0.0, [12.0])
    assert run.result("total-5xx-errors").phase == AnalysisPhase.FAILED
    assert run.result("total-5xx-errors").dry_run
    assert run.phase == AnalysisPhase.RUNNING and run.due(0.0) == ["p99-latency"]  # the run goes on
    run.record("p99-latency", 0.0, GOOD)
    run.record("p99-latency", 60.0, GOOD)
    assert run.phase == AnalysisPhase.SUCCESSFUL
    assert "[dry run]" in run.message


def test_dry_run_rules_are_searched_for_in_the_name() -> None:
    run = run_of(LATENCY, metric("total-5xx-errors", successCondition="result[0] < 10"), dryRun=[{"metricName": "5xx"}])
    assert [metric.dry_run for metric in run.spec.metrics] == [False, True]


def test_a_dry_run_rule_that_matches_nothing_is_an_error() -> None:
    with pytest.raises(ScenarioError, match="dryRun\\[0\\]: metricName 'latency-p95' matches no metric"):
        run_of(LATENCY, dryRun=[{"metricName": "latency-p95"}])


def test_consecutive_success_limit() -> None:
    wait_for_two = {**LATENCY, "failureLimit": -1, "consecutiveSuccessLimit": 2}
    run = run_of(wait_for_two)
    assert feed(run, "p99-latency", [BAD, GOOD, BAD, BAD, GOOD]) == [AnalysisPhase.RUNNING] * 5
    assert feed(run, "p99-latency", [GOOD]) == [AnalysisPhase.SUCCESSFUL]
    counted = run_of({**wait_for_two, "count": 3})
    assert feed(counted, "p99-latency", [GOOD, BAD, GOOD]) == [AnalysisPhase.RUNNING] * 2 + [AnalysisPhase.FAILED]
    with_failures = run_of({**LATENCY, "count": 3, "failureLimit": 1, "consecutiveSuccessLimit": 2})
    phases = feed(with_failures, "p99-latency", [GOOD, BAD, GOOD])
    assert phases[-1] == AnalysisPhase.INCONCLUSIVE


def test_job_metrics_pass_or_fail_with_the_job() -> None:
    job = {"name": "smoke-test", "provider": {"job": {"spec": {"template": {"spec": {"containers": []}}}}},
           "successCondition": "result == 1"}
    run = run_of(job)
    measurement = run.record("smoke-test", 0.0, True)
    assert measurement.phase == AnalysisPhase.SUCCESSFUL and run.phase == AnalysisPhase.SUCCESSFUL
    failing = run_of(job)
    failing.record("smoke-test", 0.0, False)
    assert failing.phase == AnalysisPhase.FAILED and failing.message == "smoke-test: the job failed (1 failed > " \
                                                                        "failureLimit 0)"
    with pytest.raises(StrategyError, match="is a job"):
        run_of(job).record("smoke-test", 0.0, 1.0)


def test_misuse_is_reported_to_the_caller() -> None:
    run = run_of(LATENCY)
    with pytest.raises(StrategyError, match="no metric 'p99-latncy' in this analysis run \\(did you mean"):
        run.record("p99-latncy", 0.0, GOOD)
    with pytest.raises(StrategyError, match="a measured value is a number"):
        run.record("p99-latency", 0.0, "0.1")


def test_scalar_results_and_vectors_of_several_series() -> None:
    run = run_of(metric("rate", interval="1m", successCondition="all(result, {# > 0.9})"))
    assert run.record("rate", 0.0, [0.95, 0.97]).phase == AnalysisPhase.SUCCESSFUL
    assert run.record("rate", 60.0, [0.95, 0.5]).message == "result = [0.95, 0.5] fails 'all(result, {# > 0.9})'"
