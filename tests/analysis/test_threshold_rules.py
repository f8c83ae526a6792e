"""The rollback rules, at and around their limits."""

from __future__ import annotations

import pytest

from simulator.analysis.thresholds import compare_to_baseline
from simulator.scenario import RollbackThresholds
from tests.strategies.observe import window

SEED_RULES = RollbackThresholds.seed_defaults()


def judge(candidate, baseline, rules=SEED_RULES, **options):
    """The seed guide's rules, with a drift monitor reporting a low score unless the test says otherwise."""
    options.setdefault("drift_score", 0.05)
    return compare_to_baseline(candidate, baseline, rules, **options)


@pytest.mark.parametrize(("ratio", "verdict"), [(1.49, "pass"), (1.5, "pass"), (1.51, "fail")])
def test_latency_ratio_limit(ratio: float, verdict: str) -> None:
    result = judge(window("v2", p99=0.25 * ratio), window("v1", p99=0.25))  # 0.25 * 1.5 is exact
    assert result.verdict == verdict


@pytest.mark.parametrize("metric", ["mean", "p50", "p95", "p99"])
def test_latency_metric_is_selectable(metric: str) -> None:
    candidate = window("v2", p99=0.1, mean=0.2)  # mean doubled, p99 equal
    result = judge(candidate, window("v1", p99=0.1, mean=0.05), latency_metric=metric)
    assert result.verdict == ("fail" if metric in ("mean", "p50") else "pass")


def test_error_rate_limit_is_absolute() -> None:
    baseline = window("v1", requests=10000, failed=1000)  # 10 %
    assert judge(window("v2", requests=10000, failed=1099), baseline).verdict == "pass"  # +0.99 points
    assert judge(window("v2", requests=10000, failed=1101), baseline).verdict == "fail"  # +1.01 points


def test_accuracy_drop_is_relative() -> None:
    baseline = window("v1", labelled=10000, correct=6000)  # 0.60: a 5 % relative drop is 0.03
    assert judge(window("v2", labelled=10000, correct=5710), baseline).verdict == "pass"
    assert judge(window("v2", labelled=10000, correct=5690), baseline).verdict == "fail"


def test_left_out_rules_are_not_checked() -> None:
    only_errors = RollbackThresholds(error_rate_increase=0.01)
    result = judge(window("v2", p99=10.0, correct=0), window("v1"), only_errors)
    assert result.verdict == "pass" and [rule.rule for rule in result.rules] == ["errorRateIncrease"]


def test_a_rule_that_cannot_be_evaluated_makes_the_check_inconclusive_never_a_pass() -> None:
    """Mutant killed: a check that counts unevaluated rules as passed (the verdict was 'pass' here)."""
    candidate = window("v2")
    candidate = type(candidate)(**{**{s: getattr(candidate, s) for s in candidate.__slots__}, "latency_p99": None})
    result = judge(candidate, window("v1"), drift_score=None)
    by_rule = {rule.rule: rule.passed for rule in result.rules}
    assert by_rule["latencyIncrease"] is None and by_rule["driftScore"] is None
    assert result.verdict == "inconclusive"
    assert result.summary().startswith("latency p99: no data; drift score not evaluated")


def test_labels_not_yet_arrived_leave_an_accuracy_regression_inconclusive() -> None:
    late = judge(window("v2", labelled=0, correct=0), window("v1"))
    assert late.verdict == "inconclusive"
    assert [rule.rule for rule in late.inconclusive_rules] == ["accuracyDrop"]


def test_a_failed_rule_fails_the_check_even_when_another_is_inconclusive() -> None:
    result = judge(window("v2", p99=1.0, labelled=0, correct=0), window("v1", p99=0.1))
    assert result.verdict == "fail"


def test_too_few_requests_on_either_side_is_inconclusive() -> None:
    assert judge(window("v2", requests=49), window("v1")).verdict == "inconclusive"
    assert judge(window("v2"), window("v1", requests=49)).verdict == "inconclusive"
    assert judge(window("v2", requests=50, failed=0), window("v1")).verdict == "pass"


def test_a_frozen_baseline_is_not_stale_but_a_stale_concurrent_one_is() -> None:
    old = window("v1", staleness=600.0)
    assert judge(window("v2"), old, max_staleness=30.0).verdict == "inconclusive"
    assert judge(window("v2"), old, max_staleness=30.0, frozen_baseline=True).verdict == "pass"
    assert judge(window("v2", staleness=600.0), window("v1"), max_staleness=30.0,
                 frozen_baseline=True).verdict == "inconclusive"


def test_summary_puts_failed_rules_first() -> None:
    result = judge(window("v2", p99=1.0), window("v1", p99=0.1))
    assert result.summary().startswith("latency p99 1000.0ms vs 100.0ms (x10.00 > 1.5)")
