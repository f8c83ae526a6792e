"""Seed 003's ``DeploymentValidator``: is a new version fit to take its first user request?

Four checks on synthetic response tests sent to the version before any user
traffic reaches it; every check must pass:

* ``healthCheck``: every desired replica of the version is ready;
* ``responseTests``: at least ``minPassRate`` (0-1) of the tests succeed
  *and* answer correctly;
* ``averageResponseTime``: the mean latency of the answered tests (seconds)
  is at most ``maxAverageResponseTime``; above ``warnAverageResponseTime`` it
  passes with a warning. Failed tests have no response time; they count
  against ``responseTests``. With no test answered the check fails;
* ``compatibility``: the share of the API contract the version keeps (0-1)
  is at least ``minCompatibility``; not measured is a failure.

Unlike the rollback rules, validation has no inconclusive verdict: its
samples are its own, and a check that cannot be made fails, as the seed's
validator fails a rule that raises.
"""

from __future__ import annotations

from dataclasses import dataclass

from simulator.analysis.thresholds import CheckResult, RuleResult
from simulator.observations import SmokeTestResult
from simulator.scenario.validation_config import ValidationConfig

__all__ = ["ValidationResult", "validate_deployment"]


@dataclass(frozen=True, slots=True)
class ValidationResult:
    """The checks of one validation (verdict ``pass`` or ``fail``) and its warnings."""

    check: CheckResult
    warnings: tuple[str, ...] = ()

    @property
    def passed(self) -> bool:
        """Whether every check passed."""
        return self.check.verdict == "pass"

    def failures(self) -> str:
        """The failed checks, each with its value and limit, for a reason."""
        return "; ".join(rule.detail for rule in self.check.failed_rules)

    def to_dict(self) -> dict[str, object]:
        """JSON-ready fields (for event data)."""
        return {**self.check.to_dict(), "warnings": list(self.warnings)}


def _ms(seconds: float) -> str:
    return f"{seconds * 1e3:.0f}ms"


def validate_deployment(result: SmokeTestResult, settings: ValidationConfig, *, ready: int,
                        desired: int) -> ValidationResult:
    """Judge the response tests ``result`` of a version with ``ready`` of ``desired`` replicas ready."""
    healthy = desired > 0 and ready >= desired
    rules = [RuleResult("healthCheck", healthy, f"health check: {ready}/{desired} replicas ready",
                        candidate=float(ready), value=float(ready), limit=float(desired))]

    pass_rate = result.correct / result.samples if result.samples else 0.0
    passed = pass_rate >= settings.min_pass_rate
    rules.append(RuleResult(
        "responseTests", passed,
        f"response tests {result.correct}/{result.samples} passed ({pass_rate:.1%} "
        f"{'>=' if passed else '<'} {settings.min_pass_rate:.0%})",
        candidate=pass_rate, value=pass_rate, limit=settings.min_pass_rate,
    ))

    warnings: list[str] = []
    mean = result.latency_mean
    limit = settings.max_average_response_time
    if mean is None:
        rules.append(RuleResult("averageResponseTime", False,
                                f"average response time: no test answered (limit {_ms(limit)})", limit=limit))
    else:
        passed = mean <= limit
        rules.append(RuleResult(
            "averageResponseTime", passed,
            f"average response time {_ms(mean)} {'<=' if passed else '>'} {_ms(limit)}",
            candidate=mean, value=mean, limit=limit,
        ))
        warn = settings.warn_average_response_time
        if passed and warn is not None and mean > warn:
            warnings.append(f"average response time {_ms(mean)} above {_ms(warn)}")

    compatibility = result.compatibility
    floor = settings.min_compatibility
    if compatibility is None:
        rules.append(RuleResult("compatibility", False, f"compatibility not measured (limit {floor:.0%})",
                                limit=floor))
    else:
        passed = compatibility >= floor
        rules.append(RuleResult(
            "compatibility", passed,
            f"compatibility {compatibility:.1%} {'>=' if passed else '<'} {floor:.0%}",
            candidate=compatibility, value=compatibility, limit=floor,
        ))
    failed = any(rule.passed is False for rule in rules)
    return ValidationResult(CheckResult("fail" if failed else "pass", tuple(rules)), tuple(warnings))
