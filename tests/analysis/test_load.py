"""The load note of a latency failure, and where the threshold rules put it."""

from __future__ import annotations

from dataclasses import replace

import pytest

from simulator.analysis.load import load_note
from simulator.analysis.thresholds import compare_to_baseline
from simulator.observations import WindowStats
from simulator.scenario import RollbackThresholds
from tests.strategies.observe import window

RULES = RollbackThresholds(latency_increase=1.5, error_rate_increase=0.01)


def loaded(version: str, busy: float | None, wait: float | None = 0.004, **figures) -> WindowStats:
    return replace(window(version, **figures), utilisation=busy, queue_wait_mean=wait)


def test_the_note_names_both_sides_busy_share_and_queue_wait() -> None:
    note = load_note(loaded("v2", 0.92, 0.180), loaded("v1", 0.61, 0.004))
    assert note == " (under load: candidate 92 % busy vs stable 61 %, queue wait 180 ms vs 4.0 ms)"


@pytest.mark.parametrize(("candidate", "baseline", "under_load"), [
    (0.85, 0.84, True),   # above 0.8 whatever the baseline
    (0.62, 0.50, True),   # 1.24 x the baseline's
    (0.58, 0.50, False),  # 1.16 x: not notably busier
    (0.30, 0.10, False),  # 3 x, but a third busy: nothing queues
    (0.75, 0.80, False),  # less busy than the baseline
])
def test_the_note_is_there_only_when_the_candidate_was_notably_busier(candidate, baseline, under_load) -> None:
    assert bool(load_note(loaded("v2", candidate), loaded("v1", baseline))) is under_load


def test_no_note_without_load_figures() -> None:
    assert load_note(loaded("v2", None), loaded("v1", 0.2)) == ""
    assert load_note(loaded("v2", 0.95), loaded("v1", None)) == ""
    assert load_note(loaded("v2", 0.95, None), loaded("v1", 0.3, None)) == " (under load: candidate 95 % busy vs " \
                                                                            "stable 30 %)"


def test_a_failed_latency_rule_under_load_says_so_and_nothing_else_changes() -> None:
    candidate = loaded("v2", 0.92, 0.18, p99=0.4, failed=300)  # its error rule fails too, with no note
    baseline = loaded("v1", 0.61, 0.004, p99=0.2)
    result = compare_to_baseline(candidate, baseline, RULES)
    without = compare_to_baseline(replace(candidate, utilisation=None), replace(baseline, utilisation=None), RULES)
    (latency,) = [rule for rule in result.rules if rule.rule == "latencyIncrease"]
    assert latency.passed is False
    assert latency.detail.endswith("(x2.00 > 1.5) (under load: candidate 92 % busy vs stable 61 %, "
                                   "queue wait 180 ms vs 4.0 ms)")
    assert "under load" in result.summary()
    assert result.verdict == without.verdict == "fail"
    assert [rule.to_dict() for rule in result.rules] == [rule.to_dict() for rule in without.rules]
    (error_rule,) = [rule for rule in result.rules if rule.rule == "errorRateIncrease"]
    assert error_rule.passed is False and "under load" not in error_rule.detail


def test_a_failed_latency_rule_without_load_says_nothing_of_load() -> None:
    result = compare_to_baseline(loaded("v2", 0.30, p99=0.4), loaded("v1", 0.29, p99=0.2), RULES)
    assert result.verdict == "fail" and "under load" not in result.summary()


def test_a_busy_candidate_that_passes_its_latency_rule_has_no_note() -> None:
    result = compare_to_baseline(loaded("v2", 0.95, p99=0.25), loaded("v1", 0.5, p99=0.2), RULES)
    assert result.verdict == "pass" and "under load" not in result.summary()


def test_the_absolute_response_time_limit_gets_the_note_too() -> None:
    rules = RollbackThresholds(max_response_time=0.1)
    result = compare_to_baseline(loaded("v2", 0.9, mean=0.2), loaded("v1", 0.5, mean=0.05), rules)
    assert result.verdict == "fail" and "(absolute) (under load: candidate 90 % busy" in result.summary()
