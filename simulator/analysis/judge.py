"""A statistical canary judge in the manner of automated canary analysis.

For each metric, the candidate's per-interval values over the window are
compared with the stable version's by a one-sided Mann-Whitney U test
(:func:`scipy.stats.mannwhitneyu`) in the harmful direction. A metric fails
only when the difference is both significant (``p < alpha``) and larger than
the allowed effect, taken from the rollback thresholds:

* ``error_rate`` (harmful: increase) — median difference above ``errorRateIncrease``;
* ``latency_p50``, ``latency_p99`` (increase) — ratio of medians above ``latencyIncrease``;
* ``accuracy`` (decrease) — relative drop of medians above ``accuracyDrop``
  (only with at least ``minimum_labels`` labels on both sides).

The score is the share of evaluated metrics that pass, in percent. As in
seed 003's canary release controller: below ``marginal`` (70) the canary
fails, at or above ``pass_score`` (90) it proceeds, and in between it holds.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np
from scipy import stats

from simulator.observations import MetricSeries
from simulator.scenario.strategy_config import RollbackThresholds

__all__ = ["MetricJudgement", "JudgeResult", "mann_whitney_judge"]

JudgeVerdict = Literal["pass", "marginal", "fail", "no_data"]


@dataclass(frozen=True, slots=True)
class MetricJudgement:
    """One metric's comparison: ``passed`` is ``None`` when it could not be evaluated."""

    metric: str
    passed: bool | None
    p_value: float | None
    effect: float | None
    allowed: float | None
    detail: str


@dataclass(frozen=True, slots=True)
class JudgeResult:
    """Per-metric judgements, the score (percent of evaluated metrics passed) and the verdict."""

    verdict: JudgeVerdict
    score: float | None
    metrics: tuple[MetricJudgement, ...]

    def summary(self) -> str:
        """One line for people."""
        score = "no score" if self.score is None else f"score {self.score:.0f}"
        return f"{score} ({self.verdict}): " + "; ".join(m.detail for m in self.metrics)


def _judge(metric: str, candidate: np.ndarray, stable: np.ndarray, harmful: str, allowed: float | None,
           alpha: float, effect_kind: str) -> MetricJudgement:
    candidate, stable = candidate[np.isfinite(candidate)], stable[np.isfinite(stable)]
    if allowed is None:
        return MetricJudgement(metric, None, None, None, None, f"{metric}: no threshold")
    if len(candidate) < 3 or len(stable) < 3:
        return MetricJudgement(metric, None, None, None, allowed, f"{metric}: too few intervals")
    alternative = "greater" if harmful == "increase" else "less"
    p_value = float(stats.mannwhitneyu(candidate, stable, alternative=alternative).pvalue)
    candidate_median, stable_median = float(np.median(candidate)), float(np.median(stable))
    if effect_kind == "difference":
        effect = candidate_median - stable_median
        too_big = effect > allowed
        shown = f"{effect:+.4f} (allowed {allowed:g})"
    elif effect_kind == "ratio":
        effect = candidate_median / stable_median if stable_median > 0 else math.inf
        too_big = effect > allowed
        shown = f"x{effect:.2f} (allowed x{allowed:g})"
    else:  # relative drop
        effect = (stable_median - candidate_median) / stable_median if stable_median > 0 else 0.0
        too_big = effect > allowed
        shown = f"drop {effect:.2%} (allowed {allowed:.0%})"
    passed = not (p_value < alpha and too_big)
    return MetricJudgement(metric, passed, p_value, effect, allowed,
                           f"{metric} {shown}, p={p_value:.3g}: {'pass' if passed else 'FAIL'}")


def mann_whitney_judge(
    candidate: MetricSeries,
    stable: MetricSeries,
    thresholds: RollbackThresholds,
    *,
    alpha: float = 0.05,
    pass_score: float = 90.0,
    marginal_score: float = 70.0,
    minimum_labels: int = 100,
) -> JudgeResult:
    """Judge the candidate's interval series against the stable version's."""
    judgements = [
        _judge("error_rate", candidate.error_rate, stable.error_rate, "increase",
               thresholds.error_rate_increase, alpha, "difference"),
        _judge("latency_p50", candidate.latency_p50, stable.latency_p50, "increase",
               thresholds.latency_increase, alpha, "ratio"),
        _judge("latency_p99", candidate.latency_p99, stable.latency_p99, "increase",
               thresholds.latency_increase, alpha, "ratio"),
    ]
    if candidate.labelled.sum() >= minimum_labels and stable.labelled.sum() >= minimum_labels:
        judgements.append(_judge("accuracy", candidate.accuracy, stable.accuracy, "decrease",
                                 thresholds.accuracy_drop, alpha, "relative_drop"))
    evaluated = [j for j in judgements if j.passed is not None]
    if not evaluated:
        return JudgeResult("no_data", None, tuple(judgements))
    score = 100.0 * sum(1 for j in evaluated if j.passed) / len(evaluated)
    verdict: JudgeVerdict = "pass" if score >= pass_score else "marginal" if score >= marginal_score else "fail"
    return JudgeResult(verdict, score, tuple(judgements))
