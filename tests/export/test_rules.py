"""Each rule's query checks what :func:`compare_to_baseline` checks: the same figure, held to the same limit.

The oracle is the strategies' own rule code: the windows of
:mod:`tests.export.test_promql`'s series, written as the monitoring view's
``WindowStats``, judged by ``compare_to_baseline``; the queries, evaluated
by the simulated Prometheus over the series, must give each rule's value.
"""

from __future__ import annotations

import pytest

from simulator.analysis.thresholds import compare_to_baseline
from simulator.errors import ScenarioError
from simulator.export import promql
from simulator.export.promql import HTTP_SERIES, ISTIO_SERIES
from simulator.export.rules import CheckWindows, in_step_minimum, in_step_rules, refuse_untranslatable, step_end_rules
from simulator.observations import WindowStats
from simulator.scenario.rollback_thresholds import RollbackThresholds
from simulator.strategies.watch import in_step_minimum_requests
from tests.export.test_promql import CANDIDATE, STABLE, _prometheus, _value

WINDOW = 300.0
RULES = RollbackThresholds(error_rate_increase=0.01, latency_increase=1.5, accuracy_drop=0.05, max_error_rate=0.02,
                           max_response_time=0.1)


def _stats(version: str, rate: float, failed: float, mean: float, p99: float, correct: float) -> WindowStats:
    requests = round(rate * WINDOW)
    return WindowStats(version=version, start=END_OF_WINDOW - WINDOW, end=END_OF_WINDOW, staleness=0.0,
                       requests=requests, failed=round(requests * failed), latency_mean=mean, latency_std=None,
                       latency_p50=None, latency_p90=None, latency_p95=None, latency_p99=p99, labelled=requests,
                       correct=round(requests * correct))


END_OF_WINDOW = 1200.0
CANDIDATE_STATS = _stats("c", 20.0, 0.05, 0.12, 0.38, 0.8)
STABLE_STATS = _stats("s", 80.0, 0.01, 0.06, 0.19, 0.9)


def _queries(rules: RollbackThresholds = RULES, **settings: int) -> dict[str, float | None]:
    """Each rule's query value over the series (``None``: empty), by rule key."""
    options = {"minimum_requests": 50, "minimum_labels": 100, **settings}
    found = step_end_rules(HTTP_SERIES, CANDIDATE, STABLE, CheckWindows(candidate=WINDOW, stable=WINDOW), rules,
                           latency_metric="p99", **options)
    values = {rule.key: _value(rule.query) for rule in found}
    return {key: (value[0] if value else None) for key, value in values.items()}


def test_every_rule_measures_the_value_the_strategies_judge() -> None:
    oracle = compare_to_baseline(CANDIDATE_STATS, STABLE_STATS, RULES, latency_metric="p99")
    measured = _queries()
    assert set(measured) == {rule.rule for rule in oracle.rules}
    for rule in oracle.rules:
        assert measured[rule.rule] == pytest.approx(rule.value, rel=1e-6), rule.rule


def test_every_rule_passes_or_fails_as_the_strategies_judge() -> None:
    """The query's value held to ``<= limit`` gives the oracle's verdict, rule by rule, either side of the limit."""
    for scale in (0.5, 2.0):
        rules = RollbackThresholds(error_rate_increase=0.04 * scale, latency_increase=2.0 * scale,
                                   accuracy_drop=0.1 / 0.9 * scale, max_error_rate=0.05 * scale,
                                   max_response_time=0.12 * scale)
        oracle = {rule.rule: rule.passed for rule in compare_to_baseline(CANDIDATE_STATS, STABLE_STATS, rules).rules}
        found = step_end_rules(HTTP_SERIES, CANDIDATE, STABLE, CheckWindows(candidate=WINDOW, stable=WINDOW), rules,
                               latency_metric="p99", minimum_requests=50, minimum_labels=100)
        for rule in found:
            assert (_value(rule.query)[0] <= rule.limit) == oracle[rule.key], (scale, rule.key)


def test_too_few_requests_or_labels_leave_the_rules_without_a_value() -> None:
    assert set(_queries(minimum_requests=20 * 300 + 1).values()) == {None}  # the candidate served 6000
    few_labels = _queries(minimum_labels=20 * 300 + 1)
    assert few_labels["accuracyDrop"] is None
    assert few_labels["errorRateIncrease"] is not None


def test_without_any_rule_the_check_still_needs_its_data() -> None:
    none = RollbackThresholds()
    assert _queries(none) == {"minimumRequests": 1.0}
    assert _queries(none, minimum_requests=10**6) == {"minimumRequests": None}


@pytest.mark.parametrize("rules", [
    RollbackThresholds(error_rate_increase=0.01),
    RollbackThresholds(max_error_rate=0.02),
    RollbackThresholds(max_error_rate=0.005),  # below the stable version's 1 %: the variance part drops out
    RollbackThresholds(error_rate_increase=0.002, max_error_rate=0.02),
    RollbackThresholds(latency_increase=1.5),
])
def test_the_in_step_minimum_is_the_strategies_own(rules: RollbackThresholds) -> None:
    needed = in_step_minimum(HTTP_SERIES, STABLE, CheckWindows(candidate=60.0, stable=60.0), rules, 50)
    expected = in_step_minimum_requests(rules, 50, 0.01)  # the stable version's error rate is 1 %
    value = _prometheus().query(needed, END_OF_WINDOW)
    assert value.scalar is not None
    # the strategies round up to whole requests (a count of whole requests meets either bound the same way),
    # and both sides carry the float rounding of 0.01 x 0.99 / 0.01^2
    assert expected - 1 <= value.scalar <= expected
    assert value.scalar == pytest.approx(expected, abs=1.0)


def test_in_step_rules_are_the_error_rules_and_the_absolute_limits() -> None:
    found = in_step_rules(HTTP_SERIES, CANDIDATE, STABLE, CheckWindows(candidate=60.0, stable=60.0), RULES,
                          minimum_requests=50)
    assert [rule.key for rule in found] == ["errorRateIncrease", "maxErrorRate", "maxResponseTime"]


def test_istio_latency_limits_are_in_milliseconds() -> None:
    found = step_end_rules(ISTIO_SERIES, CANDIDATE, STABLE, CheckWindows(candidate=WINDOW, stable=WINDOW),
                           RollbackThresholds(max_response_time=2.0), latency_metric="p99", minimum_requests=50,
                           minimum_labels=100)
    assert [(rule.key, rule.limit, rule.unit) for rule in found] == [("maxResponseTime", 2000.0, "ms")]
    assert "istio_request_duration_milliseconds_sum" in found[0].query


def test_the_drift_score_is_refused_naming_its_key() -> None:
    with pytest.raises(ScenarioError, match=r"strategies\.canary\.rollbackThresholds\.driftScore: got 0\.3: .*"
                                            r"no Prometheus series carries; expected no driftScore"):
        refuse_untranslatable(RollbackThresholds(drift_score=0.3), "strategies.canary")
    refuse_untranslatable(RULES, "strategies.canary")


def test_a_figure_of_a_frozen_window_reads_before_the_change() -> None:
    silent = _prometheus(stable_silent_from=900.0)  # the stable version stopped serving 300 s ago
    windows = CheckWindows(candidate=WINDOW, stable=WINDOW, stable_offset=300.0)
    found = step_end_rules(HTTP_SERIES, CANDIDATE, STABLE, windows, RULES, latency_metric="p99",
                           minimum_requests=50, minimum_labels=100)
    values = {rule.key: silent.query(rule.query, END_OF_WINDOW).values for rule in found}
    assert values["errorRateIncrease"] == pytest.approx([0.04])
    assert values["latencyIncrease"] == pytest.approx([2.0])
    concurrent = step_end_rules(HTTP_SERIES, CANDIDATE, STABLE, CheckWindows(candidate=WINDOW, stable=WINDOW),
                                RULES, latency_metric="p99", minimum_requests=50, minimum_labels=100)
    assert all(silent.query(rule.query, END_OF_WINDOW).values == [] for rule in concurrent
               if rule.key in ("errorRateIncrease", "latencyIncrease", "accuracyDrop"))
    assert promql.promql_duration(300.0) in found[0].query
