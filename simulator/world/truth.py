"""The ground truth decisions are scored against: declared, or derived from the versions' true properties."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from simulator.scenario.model import Scenario
from simulator.scenario.rollback_thresholds import RollbackThresholds
from simulator.world.latency import LatencyDistribution

__all__ = ["Truth", "explain_truth", "candidate_truth", "DERIVED"]

DERIVED = "derived with the seed guide's thresholds: "
"""How the detail of a derived truth begins."""


@dataclass(frozen=True)
class Truth:
    """The ground truth decisions are scored against, and how it came about.

    ``verdict``: ``good``, ``bad`` or ``None`` (no candidate). ``detail``:
    "declared in the scenario" or the derivation. ``warnings``: strategies
    whose own thresholds judge the candidate otherwise.
    """

    verdict: str | None
    detail: str
    warnings: tuple[str, ...] = ()

    def sentence(self) -> str:
        """One line for reports: ``truth: good, derived: accuracy drop 1.6 % <= 5 %, ...``."""
        return f"truth: {self.verdict or 'none'}, {self.detail}"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready fields (for summary.json)."""
        return {"verdict": self.verdict, "detail": self.detail, "warnings": list(self.warnings)}


def explain_truth(scenario: Scenario) -> Truth:
    """The truth, declared (``truth``) or derived from the versions' true properties, and why.

    Derived with the seed guide's default thresholds: the candidate is bad when
    its accuracy is more than 5 % (relative) below the stable version's, its
    p99 service time more than 1.5 times the stable's, or its error rate more
    than 1 point higher. A strategy whose own ``rollbackThresholds`` would
    judge the true properties otherwise gets a warning: its rollbacks (or
    promotions) are then scored against a truth it does not share.
    """
    if scenario.candidate is None:
        return Truth(None, "no candidate to judge")
    stable, candidate = scenario.versions[scenario.stable], scenario.versions[scenario.candidate]
    drop = (stable.accuracy - candidate.accuracy) / stable.accuracy if stable.accuracy else 0.0
    ratio = (LatencyDistribution.from_spec(candidate.latency).quantile(0.99)
             / LatencyDistribution.from_spec(stable.latency).quantile(0.99))
    increase = candidate.error_rate - stable.error_rate

    def breaches(rules: RollbackThresholds) -> list[str]:
        found = []
        if rules.accuracy_drop is not None and drop > rules.accuracy_drop:
            found.append(f"accuracy drop {drop:.1%} > {rules.accuracy_drop:.0%}")
        if rules.latency_increase is not None and ratio > rules.latency_increase:
            found.append(f"p99 x{ratio:.2f} > {rules.latency_increase:g}")
        if rules.error_rate_increase is not None and increase > rules.error_rate_increase:
            found.append(f"error rate +{increase * 100:.2g} points > {rules.error_rate_increase * 100:g}")
        return found

    seed_rules = RollbackThresholds.seed_defaults()
    if scenario.truth is not None:
        verdict, detail = scenario.truth, "declared in the scenario"
    else:
        bad = breaches(seed_rules)
        verdict = "bad" if bad else "good"
        shown = bad or [f"accuracy drop {drop:.1%} <= 5%", f"p99 x{ratio:.2f} <= 1.5",
                        f"error rate {increase * 100:+.2g} points <= 1"]
        detail = DERIVED + ", ".join(shown)
    warnings = []
    for label, config in scenario.strategies.items():
        rules = getattr(config, "rollback_thresholds", None)
        if rules is None:
            continue
        own = breaches(rules)
        if verdict == "good" and own:
            warnings.append(f"{label}'s own rollbackThresholds call this candidate bad ({', '.join(own)}): its "
                            "rollbacks count as false; set truth: bad if that is what you mean")
        elif verdict == "bad" and not own and any(v is not None for v in (rules.accuracy_drop, rules.latency_increase,
                                                                          rules.error_rate_increase)):
            warnings.append(f"{label}'s own rollbackThresholds pass this candidate: its promotions count as missed "
                            "regressions; set truth: good if that is what you mean")
    return Truth(verdict, detail, tuple(warnings))


def candidate_truth(scenario: Scenario) -> str | None:
    """``good`` or ``bad`` (``None`` without a candidate): see :func:`explain_truth`."""
    return explain_truth(scenario).verdict
