"""Threshold rules of seed guide 002: the candidate judged against a baseline.

Both sides are measured over the same window by the same monitoring, so a
fault that hits every version (a dependency outage, a traffic spike) moves
both and is not blamed on the candidate.

* ``accuracyDrop`` (relative): fail if ``(baseline - candidate) / baseline``
  accuracy exceeds it. Evaluated only when both sides have at least
  ``minimum_labels`` labels; otherwise reported as not evaluated.
* ``latencyIncrease`` (ratio): fail if ``candidate / baseline`` of the
  chosen latency statistic exceeds it.
* ``errorRateIncrease`` (absolute): fail if ``candidate - baseline`` error
  rate exceeds it.
* ``driftScore``: fail if the candidate's input drift score (``drift_score``:
  the largest feature PSI a drift monitor reported for the requests it
  serves) exceeds it; not evaluated while no drift monitor reports a score.
* ``maxErrorRate`` and ``maxResponseTime`` (absolute, seeds 000 and 003):
  fail if the candidate's error rate, or its mean latency (seconds), exceeds
  the limit, whatever the baseline does (:func:`absolute_limits`).

Every check answers ``pass``, ``fail`` or ``inconclusive``. A failed rule
fails the check. Otherwise a rule that could not be evaluated (too few
labels, no drift score yet) makes the whole check inconclusive: a rule that
cannot be evaluated never passes. A window with fewer than
``minimum_requests`` requests on either side, or whose newest scrape is
older than ``max_staleness``, is inconclusive too: the caller waits for data
instead of guessing, and its reason names the rule that was missing data.

A failed latency rule (``latencyIncrease``, ``maxResponseTime``) whose
candidate was notably busier than the baseline over the window says so in
its detail (:func:`simulator.analysis.load.load_note`); the verdict is the
same either way.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal

from simulator.analysis.load import LATENCY_RULES, load_note
from simulator.observations import WindowStats
from simulator.scenario.strategy_config import RollbackThresholds

__all__ = ["RuleResult", "CheckResult", "compare_to_baseline", "absolute_limits"]

Verdict = Literal["pass", "fail", "inconclusive"]


@dataclass(frozen=True, slots=True)
class RuleResult:
    """One rule's outcome: ``passed`` is ``None`` when the rule could not be evaluated.

    ``candidate`` and ``baseline`` are the measured values (rates 0-1,
    latencies in seconds), ``value`` the compared quantity (difference, ratio
    or relative drop) and ``limit`` the threshold it was held to.
    """

    rule: str
    passed: bool | None
    detail: str
    candidate: float | None = None
    baseline: float | None = None
    value: float | None = None
    limit: float | None = None

    def to_dict(self) -> dict[str, object]:
        """JSON-ready fields (for event data)."""
        return {"rule": self.rule, "passed": self.passed, "candidate": self.candidate, "baseline": self.baseline,
                "value": self.value, "limit": self.limit}


@dataclass(frozen=True, slots=True)
class CheckResult:
    """All rules of one check and the verdict."""

    verdict: Verdict
    rules: tuple[RuleResult, ...]

    @property
    def failed_rules(self) -> list[RuleResult]:
        """The rules that failed."""
        return [rule for rule in self.rules if rule.passed is False]

    @property
    def inconclusive_rules(self) -> list[RuleResult]:
        """The rules that could not be evaluated."""
        return [rule for rule in self.rules if rule.passed is None]

    def summary(self) -> str:
        """One line: failed rules first, then the inconclusive ones, then those that passed."""
        ordered = self.failed_rules + self.inconclusive_rules + [rule for rule in self.rules if rule.passed]
        return "; ".join(rule.detail for rule in ordered)

    def to_dict(self) -> dict[str, object]:
        """JSON-ready fields (for event data): the verdict and every rule's measured values."""
        return {"verdict": self.verdict, "rules": [rule.to_dict() for rule in self.rules]}


def _ms(seconds: float) -> str:
    return f"{seconds * 1e3:.1f}ms"


def compare_to_baseline(
    candidate: WindowStats,
    baseline: WindowStats,
    thresholds: RollbackThresholds,
    *,
    latency_metric: str = "p99",
    minimum_requests: int = 50,
    minimum_labels: int = 100,
    max_staleness: float = float("inf"),
    drift_score: float | None = None,
    frozen_baseline: bool = False,
) -> CheckResult:
    """Judge ``candidate`` against ``baseline`` by ``thresholds``.

    ``drift_score`` is the candidate's latest input drift score, ``None``
    while no drift monitor has reported one. ``frozen_baseline`` says the
    baseline is a window from before a change (the stable version serves
    nothing now), so its age is not held against it.
    """
    for side in (candidate, baseline):
        stale = side.staleness > max_staleness and not (frozen_baseline and side is baseline)
        if side.requests < minimum_requests or stale:
            why = (f"newest scrape {side.staleness:.0f}s old" if stale
                   else f"{side.requests} requests < {minimum_requests}")
            return CheckResult("inconclusive", (RuleResult("data", None, f"no data for {side.version}: {why}"),))

    rules: list[RuleResult] = []
    if thresholds.error_rate_increase is not None:
        cand_rate, base_rate = candidate.error_rate or 0.0, baseline.error_rate or 0.0
        increase = cand_rate - base_rate
        passed = increase <= thresholds.error_rate_increase
        rules.append(RuleResult(
            "errorRateIncrease", passed,
            f"error rate {cand_rate:.4f} vs {base_rate:.4f} ({increase:+.4f} {'<=' if passed else '>'} "
            f"{thresholds.error_rate_increase:g})",
            candidate=cand_rate, baseline=base_rate, value=increase, limit=thresholds.error_rate_increase,
        ))
    if thresholds.latency_increase is not None:
        cand_latency, base_latency = candidate.latency(latency_metric), baseline.latency(latency_metric)
        if cand_latency is None or base_latency is None or base_latency <= 0:
            rules.append(RuleResult("latencyIncrease", None, f"latency {latency_metric}: no data"))
        else:
            ratio = cand_latency / base_latency
            passed = ratio <= thresholds.latency_increase
            rules.append(RuleResult(
                "latencyIncrease", passed,
                f"latency {latency_metric} {_ms(cand_latency)} vs {_ms(base_latency)} "
                f"(x{ratio:.2f} {'<=' if passed else '>'} {thresholds.latency_increase:g})",
                candidate=cand_latency, baseline=base_latency, value=ratio, limit=thresholds.latency_increase,
            ))
    if thresholds.accuracy_drop is not None:
        if candidate.labelled < minimum_labels or baseline.labelled < minimum_labels:
            rules.append(RuleResult(
                "accuracyDrop", None,
                f"accuracy not evaluated: {candidate.labelled} / {baseline.labelled} labels < {minimum_labels}",
            ))
        else:
            cand_acc, base_acc = candidate.accuracy or 0.0, baseline.accuracy or 0.0
            drop = (base_acc - cand_acc) / base_acc if base_acc > 0 else 0.0
            passed = drop <= thresholds.accuracy_drop
            rules.append(RuleResult(
                "accuracyDrop", passed,
                f"accuracy {cand_acc:.4f} vs {base_acc:.4f} (drop {drop:.2%} {'<=' if passed else '>'} "
                f"{thresholds.accuracy_drop:.0%})",
                candidate=cand_acc, baseline=base_acc, value=drop, limit=thresholds.accuracy_drop,
            ))
    if thresholds.drift_score is not None:
        if drift_score is None:
            rules.append(RuleResult("driftScore", None, "drift score not evaluated: no score reported (fewer than "
                                    "40 requests served in the window, or the reference window not over yet)",
                                    limit=thresholds.drift_score))
        else:
            passed = drift_score <= thresholds.drift_score
            rules.append(RuleResult(
                "driftScore", passed,
                f"drift score {drift_score:.3f} {'<=' if passed else '>'} {thresholds.drift_score:g}",
                candidate=drift_score, value=drift_score, limit=thresholds.drift_score,
            ))
    rules.extend(_absolute_rules(candidate, thresholds.max_error_rate, thresholds.max_response_time))
    if any(rule.rule in LATENCY_RULES and rule.passed is False for rule in rules):
        note = load_note(candidate, baseline)
        rules = [replace(rule, detail=rule.detail + note) if rule.rule in LATENCY_RULES and rule.passed is False
                 else rule for rule in rules]
    return CheckResult(_verdict(rules), tuple(rules))


def _verdict(rules: list[RuleResult]) -> Verdict:
    if any(rule.passed is False for rule in rules):
        return "fail"
    if any(rule.passed is None for rule in rules):
        return "inconclusive"
    return "pass"


def _absolute_rules(candidate: WindowStats, max_error_rate: float | None,
                    max_response_time: float | None) -> list[RuleResult]:
    rules: list[RuleResult] = []
    if max_error_rate is not None:
        rate = candidate.error_rate or 0.0
        passed = rate <= max_error_rate
        rules.append(RuleResult(
            "maxErrorRate", passed,
            f"error rate {rate:.4f} {'<=' if passed else '>'} {max_error_rate:g} (absolute)",
            candidate=rate, value=rate, limit=max_error_rate,
        ))
    if max_response_time is not None:
        mean = candidate.latency_mean
        if mean is None:
            rules.append(RuleResult("maxResponseTime", None, "mean latency: no data", limit=max_response_time))
        else:
            passed = mean <= max_response_time
            rules.append(RuleResult(
                "maxResponseTime", passed,
                f"mean latency {_ms(mean)} {'<=' if passed else '>'} {_ms(max_response_time)} (absolute)",
                candidate=mean, value=mean, limit=max_response_time,
            ))
    return rules


def absolute_limits(candidate: WindowStats, *, max_error_rate: float | None, max_response_time: float | None,
                    minimum_requests: int = 50, max_staleness: float = float("inf")) -> CheckResult:
    """Judge ``candidate`` alone by absolute limits (error rate 0-1, mean latency in seconds).

    Inconclusive when the window holds fewer than ``minimum_requests``
    requests or its newest scrape is older than ``max_staleness`` seconds.
    """
    stale = candidate.staleness > max_staleness
    if candidate.requests < minimum_requests or stale:
        why = (f"newest scrape {candidate.staleness:.0f}s old" if stale
               else f"{candidate.requests} requests < {minimum_requests}")
        return CheckResult("inconclusive", (RuleResult("data", None, f"no data for {candidate.version}: {why}"),))
    rules = _absolute_rules(candidate, max_error_rate, max_response_time)
    return CheckResult(_verdict(rules), tuple(rules))
