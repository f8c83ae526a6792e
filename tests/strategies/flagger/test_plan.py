"""The Flagger plan: how a value meets its thresholds, how the weight steps, and what a plan refuses."""

from __future__ import annotations

import pytest

from simulator.strategies.flagger import FlaggerPlan, MetricCheck, Webhook, judge


def check(comparison: str, threshold_range=None, threshold: float = 0.0) -> MetricCheck:
    return MetricCheck(name="m", source="builtin" if comparison != "value" else "template", comparison=comparison,
                       query="q", threshold_range=threshold_range, threshold=threshold)


@pytest.mark.parametrize(("value", "passed"), [(250.0, True), (250.9, True), (251.0, False), (320.4, False)])
def test_request_duration_is_whole_milliseconds_against_the_range_s_max(value: float, passed: bool) -> None:
    assert judge(check("duration", (None, 250.0)), value)[0] is passed


def test_request_duration_bounds_are_whole_milliseconds_too() -> None:
    assert judge(check("duration", (None, 250.7)), 250.9)[0] is True
    assert judge(check("duration", (100.9, None)), 100.5)[0] is True  # 100 ms >= 100 ms
    assert judge(check("duration", (100.0, None)), 99.9)[0] is False
    assert judge(check("duration", (None, 250.0)), 320.4)[1] == "request duration 320ms > 250ms"


@pytest.mark.parametrize(("value", "passed"), [(99.0, True), (98.99, False), (100.0, True)])
def test_success_rate_is_percent_against_the_range_s_min(value: float, passed: bool) -> None:
    assert judge(check("success-rate", (99.0, None)), value)[0] is passed


def test_a_range_without_bounds_passes_everything_and_without_a_range_the_threshold_applies() -> None:
    assert judge(check("value", (None, None)), 1e9)[0] is True
    assert judge(check("value", None, threshold=0.0), 0.1)[0] is False  # the deprecated threshold: at most 0
    assert judge(check("value", None, threshold=5.0), 5.0)[0] is True
    assert judge(check("success-rate", None, threshold=99.0), 98.0)[0] is False  # a success rate: at least
    assert judge(check("duration", None, threshold=500.0), 500.9)[0] is True


def test_a_check_has_a_query_or_a_render_error() -> None:
    with pytest.raises(ValueError, match="a query or a render error"):
        MetricCheck(name="m", source="template", comparison="value", query=None)
    with pytest.raises(ValueError, match="finite"):
        check("value", (None, float("inf")))


@pytest.mark.parametrize(("weights", "current", "expected"), [
    ((5, 10, 25, 50), 0, 5), ((5, 10, 25, 50), 5, 5), ((5, 10, 25, 50), 10, 15), ((5, 10, 25, 50), 25, 25),
    ((5, 10, 25, 50), 50, 50),  # at the last: the rest of the way (the canary is promoted before it is used)
    ((5, 10, 25, 50), 100, 1),  # at 100 %: a nominal step, so that a passing check promotes
    ((60, 80), 60, 20), ((60, 80), 30, 70),  # a weight not in the list: the rest of the way
    ((50, 100), 50, 50), ((80, 100), 0, 80),
])
def test_next_step_weight_follows_step_weights(weights, current: int, expected: int) -> None:
    assert FlaggerPlan(name="c", step_weights=weights).next_step_weight(current) == expected


def test_next_step_weight_is_step_weight_when_set() -> None:
    assert FlaggerPlan(name="c", step_weight=20, max_weight=50).next_step_weight(40) == 20
    assert FlaggerPlan(name="c", step_weight=20, max_weight=50).top_weight == 50
    assert FlaggerPlan(name="c", step_weights=(5, 30)).top_weight == 30
    assert FlaggerPlan(name="c", step_weight=0).next_step_weight(0) == 0  # never moves, as in Flagger


@pytest.mark.parametrize(("fields", "message"), [
    ({"threshold": 0}, "threshold must be"),
    ({"interval_s": 0.0}, "interval_s must be"),
    ({"step_weight": 101}, "step_weight must be"),
    ({"step_weights": (5, 150)}, "step_weights must be"),
    ({"iterations": -1}, "iterations must be"),
])
def test_a_bad_plan_is_refused_naming_the_value(fields, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        FlaggerPlan(name="c", **fields)


def test_a_webhook_answers_its_default_until_its_first_answer() -> None:
    hook = Webhook(name="w", kind="confirm-promotion", answers=((60.0, False), (120.0, True)))
    assert [hook.passes(t) for t in (0.0, 59.9, 60.0, 119.0, 120.0)] == [True, True, False, False, True]
    assert hook.next_change(60.0) == 120.0 and hook.next_change(120.0) is None
    with pytest.raises(ValueError, match="increasing"):
        Webhook(name="w", kind="rollout", answers=((60.0, False), (30.0, True)))
