"""A statistical canary judge in the manner of automated canary analysis.

For each metric that has a rule in ``rollbackThresholds``, the candidate's
per-scrape-interval values over the window are compared with the stable
version's, and the metric answers pass, marginal, fail or inconclusive.

**Scales.** Each rule's allowance is turned into a *shift* on a scale where
it is one, so that "worse than the stable version by more than allowed" is a
statement about a location shift Δ (candidate minus stable) that rank
statistics can test:

===============  ========  ================================  ==============================
metric           harmful   scale of Δ                        allowance on that scale
===============  ========  ================================  ==============================
``error_rate``   increase  difference (fraction 0-1)         ``errorRateIncrease``
``latency_p50``  increase  log ratio, ln(candidate/stable)   ln(``latencyIncrease``)
``latency_p99``  increase  log ratio                         ln(``latencyIncrease``)
``accuracy``     decrease  log ratio                         ln(1 - ``accuracyDrop``)
===============  ========  ================================  ==============================

The latency and accuracy rules are relative (candidate / stable latency at
most ``latencyIncrease``; (stable - candidate) / stable accuracy at most
``accuracyDrop``), so on the log scale they are shifts whatever the stable
level is; on the original scale the allowance would depend on the stable
level, itself an estimate. The error-rate rule is absolute, so its scale is
the difference. Before the log, an interval value of exactly 0 (an interval
whose few labels were all wrong) is taken as 1e-9: it keeps the lowest rank.

**The shift.** Δ is estimated by the Hodges-Lehmann estimate, the median of
the n x m pairwise differences (each candidate interval minus each stable
interval, on the metric's scale). Its distribution-free confidence bounds are
order statistics of the same differences (Hollander & Wolfe, *Nonparametric
Statistical Methods*, chapter 4): with c the Mann-Whitney critical count, the
smallest c with P(U >= c) <= alpha when there is no difference, the
one-sided (1 - alpha) lower bound of Δ is the (nm - c + 1)-th smallest
difference and the upper bound the c-th. Together they are the two-sided
(1 - 2 alpha) interval the judgement reports. P(U >= c) is exact (U's
distribution from its generating function, the Gaussian binomial
coefficient) up to n x m = 10,000 pairs, and from the normal approximation
with continuity correction beyond. That distribution assumes no ties; with
tied values (error rates of exactly 0 in many intervals) the test is
conservative, since a pair tied at the allowance does not count as beyond it.

**A metric fails** when its one-sided (1 - alpha) bound lies beyond the
allowance in the harmful direction (the lower bound above it for an
increase, the upper bound below it for a decrease). That is the one-sided
Mann-Whitney test of H0: "the harm is within the allowance" at level alpha:
it rejects when at least c pairwise differences lie beyond the allowance;
its p-value is ``p_value_allowance``. ``p_value`` is the usual one-sided
test of no difference (:func:`scipy.stats.mannwhitneyu`, in the harmful
direction): it tells "worse, but within the allowance" from "no different"
and decides nothing.

**Inconclusive.** A metric needs at least ``minimum_intervals`` (5)
intervals with data on each side: at 3 against 3 the smallest one-sided
p-value is 1/C(6, 3) = 0.05, so such a test can never fail at alpha 0.05
(at 5 against 5 it is 1/252). Accuracy also needs ``minimum_labels``
labels on each side. A metric without a rule is not checked at all (listed
in ``unchecked``).

**Score.** A metric's score places its allowance against its estimate E and
its one-sided bound B, oriented so that a larger shift is worse:
r = (allowance - E) / (E - B), the allowance's distance beyond the estimate
in units of the estimate's one-sided uncertainty. The score is 100 x a
piecewise-linear increasing function of r with knots 100 at r = 1, 90 at
r = 0 (the estimate at the allowance), 70 at r = -1 (the bound at the
allowance) and 0 at r = -2. With seed 003's bands (``marginal_score`` 70,
``pass_score`` 90) this reads:

* pass: the estimate is within the allowance;
* marginal (hold): the estimate is beyond the allowance, the bound is not:
  the data point at a breach but do not yet show one, so another window is
  worth waiting for;
* fail: the bound is beyond the allowance (the test above rejects).

The judge's score is the lowest metric score, and the bands applied to it
give the verdict. Other bands move the cuts: ``marginal_score`` 80 fails a
metric once its allowance is halfway from its estimate to its bound (weaker
evidence than alpha), 60 only once the bound is beyond it by a seventh of
the interval's reach.

Why the lowest score and not the share of passing metrics (seed 003's
success rate, this judge's earlier score): every metric here is a rollback
threshold, and under seed 002's rules, as under the threshold judge, one
breached threshold rolls back. With 3 or 4 metrics a share cannot say
that independently of the count: one failing metric scored 66.7 (roll back)
among 3 and 75 (hold) among 4, so the verdict depended on whether labels had
arrived. The lowest score does not depend on how many metrics were
evaluated; it is continuous in the evidence and monotone (a metric whose
evidence worsens, or one more metric evaluated, never raises it).

**Verdict.** ``fail`` when the score is below ``marginal_score``, whatever
else; otherwise ``inconclusive`` when any checked metric could not be
evaluated (as in :mod:`simulator.analysis.thresholds`, a metric that was
not evaluated never passes), or when none was; otherwise ``marginal`` below
``pass_score`` and ``pass`` at or above it. The score of the evaluated
metrics is reported with an inconclusive verdict too.

:mod:`scipy.stats` is imported where a metric is judged, so that a canary
without a judge (and the command line) does not pay for it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

import numpy as np

from simulator.observations import MetricSeries
from simulator.scenario.strategy_config import RollbackThresholds

__all__ = ["MINIMUM_INTERVALS", "JudgeVerdict", "MetricJudgement", "JudgeResult", "mann_whitney_judge"]

JudgeVerdict = Literal["pass", "marginal", "fail", "inconclusive"]
Scale = Literal["difference", "log_ratio"]
Harmful = Literal["increase", "decrease"]

MINIMUM_INTERVALS = 5
"""Intervals with data needed on each side before a metric is evaluated (5 against 5: smallest p = 1/252)."""

_EXACT_PAIRS = 10_000  # up to this many pairs n x m, U's null distribution is computed exactly
_LOG_FLOOR = 1e-9  # an interval value of 0 is taken as this before the log
_BELOW_70 = math.nextafter(0.7, 0.0)
_BELOW_90 = math.nextafter(0.9, 0.0)


@dataclass(frozen=True, slots=True)
class MetricJudgement:
    """One metric's comparison, candidate against stable, on the metric's scale.

    ``scale`` is ``"difference"`` (error rate, fraction 0-1) or
    ``"log_ratio"`` (ln(candidate / stable) for latency and accuracy).
    ``estimate`` is the Hodges-Lehmann shift (candidate minus stable),
    ``interval`` its two-sided (1 - 2 alpha) interval, whose end on the
    harmful side is the one-sided (1 - alpha) ``bound``; ``allowance`` is the
    rule on the same scale (ln 1.5 for ``latencyIncrease`` 1.5, ln 0.95 for
    ``accuracyDrop`` 0.05). ``p_value`` tests "no difference", ``p_value_allowance``
    "within the allowance", both one-sided in the harmful direction.
    ``score`` is in percent (see the module). The figures are ``None`` when
    the metric was not evaluated; ``reason`` then says why.
    """

    metric: str
    verdict: JudgeVerdict
    reason: str
    scale: Scale
    harmful: Harmful
    allowance: float
    intervals: tuple[int, int]
    estimate: float | None = None
    interval: tuple[float, float] | None = None
    p_value: float | None = None
    p_value_allowance: float | None = None
    score: float | None = None

    @property
    def evaluated(self) -> bool:
        """Whether the metric had the data to be judged."""
        return self.verdict != "inconclusive"

    @property
    def bound(self) -> float | None:
        """The one-sided (1 - alpha) confidence bound of the shift on the harmful side."""
        if self.interval is None:
            return None
        return self.interval[0] if self.harmful == "increase" else self.interval[1]

    @property
    def detail(self) -> str:
        """The judgement in the rule's own units, for people."""
        if self.estimate is None or self.interval is None:
            return f"{self.metric}: inconclusive ({self.reason})"
        low, high = self.interval
        if self.metric == "accuracy":
            # Shown as the rule is written: a relative drop, 1 - candidate / stable.
            shown = (f"drop {_drop(self.estimate):.2%} [{_drop(high):.2%}, {_drop(low):.2%}] "
                     f"(allowed {_drop(self.allowance):.0%})")
        elif self.scale == "log_ratio":
            shown = (f"x{math.exp(self.estimate):.3g} [x{math.exp(low):.3g}, x{math.exp(high):.3g}] "
                     f"(allowed x{math.exp(self.allowance):.3g})")
        else:
            shown = f"{self.estimate:+.4f} [{low:+.4f}, {high:+.4f}] (allowed +{self.allowance:g})"
        verdict = "FAIL" if self.verdict == "fail" else self.verdict
        return f"{self.metric} {shown}, p={self.p_value:.3g}: {verdict}"

    def to_dict(self) -> dict[str, object]:
        """JSON-ready fields (for event data); infinite bounds become ``None``."""
        return {
            "metric": self.metric, "verdict": self.verdict, "reason": self.reason, "score": self.score,
            "scale": self.scale, "harmful": self.harmful, "allowance": _finite(self.allowance),
            "estimate": self.estimate,
            "interval": None if self.interval is None else [_finite(end) for end in self.interval],
            "bound": None if self.bound is None else _finite(self.bound),
            "p_value": self.p_value, "p_value_allowance": self.p_value_allowance,
            "intervals": {"candidate": self.intervals[0], "stable": self.intervals[1]},
        }


@dataclass(frozen=True, slots=True)
class JudgeResult:
    """Per-metric judgements, the score (the lowest metric score, %) and the verdict.

    ``score`` is ``None`` when no metric was evaluated. ``unchecked`` names
    the metrics that have no rule in ``rollbackThresholds``. ``alpha`` is the
    one-sided level of each metric's test; the reported intervals are
    two-sided at 1 - 2 alpha.
    """

    verdict: JudgeVerdict
    score: float | None
    metrics: tuple[MetricJudgement, ...]
    alpha: float = 0.05
    minimum_intervals: int = MINIMUM_INTERVALS
    unchecked: tuple[str, ...] = ()

    @property
    def inconclusive(self) -> tuple[str, ...]:
        """The checked metrics that could not be evaluated."""
        return tuple(m.metric for m in self.metrics if not m.evaluated)

    @property
    def failed(self) -> tuple[str, ...]:
        """The metrics whose verdict is fail."""
        return tuple(m.metric for m in self.metrics if m.verdict == "fail")

    def summary(self) -> str:
        """One line for people: failed metrics first, then inconclusive, marginal and passed ones."""
        score = "no score" if self.score is None else f"score {self.score:.0f}"
        order = {"fail": 0, "inconclusive": 1, "marginal": 2, "pass": 3}
        details = [m.detail for m in sorted(self.metrics, key=lambda m: order[m.verdict])]
        if self.unchecked:
            details.append("not checked (no threshold): " + ", ".join(self.unchecked))
        return f"{score} ({self.verdict}): " + "; ".join(details)

    def to_dict(self) -> dict[str, object]:
        """JSON-ready fields (for event data): the verdict, score, levels and every metric's figures."""
        return {
            "verdict": self.verdict, "score": self.score, "alpha": self.alpha, "confidence": 1.0 - 2.0 * self.alpha,
            "minimum_intervals": self.minimum_intervals, "metrics": [m.to_dict() for m in self.metrics],
            "inconclusive": list(self.inconclusive), "unchecked": list(self.unchecked),
        }


def _finite(value: float) -> float | None:
    return value if math.isfinite(value) else None


def _drop(log_ratio: float) -> float:
    """A log ratio as a relative drop, 1 - candidate / stable."""
    return 1.0 - math.exp(log_ratio)


@lru_cache(maxsize=256)
def _exact_upper_tail(n: int, m: int) -> np.ndarray:
    """P(U >= k) for k = 0 .. n m + 1 under no difference and no ties, exactly.

    The number of rank arrangements with U = u is the coefficient of q^u in
    the Gaussian binomial coefficient [n + m choose n]_q, the product over
    i = 1 .. n of (1 - q^(m + i)) / (1 - q^i), taken as power series truncated
    at degree n m (each coefficient depends only on lower ones, so the
    truncation is exact).
    """
    size = n * m + 1
    counts = np.zeros(size)
    counts[0] = 1.0
    for i in range(1, n + 1):
        lag = m + i
        if lag < size:
            counts[lag:] = counts[lag:] - counts[:-lag].copy()
        # Dividing by (1 - q^i): b[k] = a[k] + b[k - i], a running sum along each residue class mod i.
        padded = np.concatenate([counts, np.zeros((-size) % i)]).reshape(-1, i)
        counts = np.cumsum(padded, axis=0).ravel()[:size]
    tail = np.concatenate([np.cumsum(counts[::-1])[::-1], [0.0]])
    return np.clip(tail / tail[0], 0.0, 1.0)


def _upper_tail(n: int, m: int, count: int) -> float:
    """P(U >= count) for U of n against m values under no difference (no ties)."""
    from scipy import stats

    if count <= 0:
        return 1.0
    if count > n * m:
        return 0.0
    if n * m <= _EXACT_PAIRS:
        return float(_exact_upper_tail(min(n, m), max(n, m))[count])
    sd = math.sqrt(n * m * (n + m + 1) / 12.0)
    return float(stats.norm.sf((count - 0.5 - n * m / 2.0) / sd))


def _critical_count(n: int, m: int, alpha: float) -> int:
    """The smallest c with P(U >= c) <= alpha; n m + 1 when no count is that rare."""
    from scipy import stats

    if n * m <= _EXACT_PAIRS:
        tail = _exact_upper_tail(min(n, m), max(n, m))
        return int(np.argmax(tail <= alpha))  # tail[n m + 1] = 0, so some entry qualifies
    sd = math.sqrt(n * m * (n + m + 1) / 12.0)
    count = math.ceil(n * m / 2.0 + 0.5 + float(stats.norm.isf(alpha)) * sd)
    while count > 1 and _upper_tail(n, m, count - 1) <= alpha:
        count -= 1
    while _upper_tail(n, m, count) > alpha:
        count += 1
    return min(count, n * m + 1)


def _credit(zone: Literal["pass", "marginal", "fail"], margin: float) -> float:
    """A metric's score / 100 from its zone and r = (allowance - E) / (E - B), harmful side up."""
    if zone == "pass":
        return 0.9 + 0.1 * min(margin, 1.0)
    if zone == "marginal":
        return min(max(0.9 + 0.2 * margin, 0.7), _BELOW_90)
    return min(max(0.7 + 0.7 * (margin + 1.0), 0.0), _BELOW_70)


def _margin(allowance: float, estimate: float, bound: float) -> float:
    """r = (allowance - E) / (E - B): 0 when there is no bound (E - B infinite), +-inf for a zero-width one."""
    if math.isinf(allowance):
        return allowance
    reach = estimate - bound
    if math.isinf(reach):
        return 0.0
    if reach > 0:
        return (allowance - estimate) / reach
    return math.inf if allowance > estimate else -math.inf if allowance < estimate else 0.0


@dataclass(frozen=True, slots=True)
class _Levels:
    alpha: float
    minimum_intervals: int
    pass_score: float
    marginal_score: float


def _judge(metric: str, candidate: np.ndarray, stable: np.ndarray, levels: _Levels, *, harmful: Harmful,
           scale: Scale, allowance: float, missing: str | None = None) -> MetricJudgement:
    from scipy import stats

    alpha, minimum_intervals = levels.alpha, levels.minimum_intervals
    candidate = np.asarray(candidate, dtype=float)
    stable = np.asarray(stable, dtype=float)
    candidate, stable = candidate[np.isfinite(candidate)], stable[np.isfinite(stable)]
    n, m = len(candidate), len(stable)
    if missing is None and (n < minimum_intervals or m < minimum_intervals):
        missing = f"{n} candidate / {m} stable intervals with data, fewer than {minimum_intervals}"
    if missing is not None:
        return MetricJudgement(metric, "inconclusive", missing, scale, harmful, allowance, (n, m))

    def on_scale(values: np.ndarray) -> np.ndarray:
        return np.log(np.maximum(values, _LOG_FLOOR)) if scale == "log_ratio" else values

    # Oriented so that a larger value is worse: the harm done by the candidate.
    sign = 1.0 if harmful == "increase" else -1.0
    differences = np.sort((sign * (on_scale(candidate)[:, None] - on_scale(stable)[None, :])).ravel())
    harm_allowance = sign * allowance
    estimate = float(np.median(differences))
    critical = _critical_count(n, m, alpha)
    pairs = n * m
    lower = float(differences[pairs - critical]) if critical <= pairs else -math.inf
    upper = float(differences[critical - 1]) if critical <= pairs else math.inf
    beyond = int(np.count_nonzero(differences > harm_allowance))
    p_value_allowance = _upper_tail(n, m, beyond)
    p_value = float(stats.mannwhitneyu(candidate, stable, alternative="greater" if harmful == "increase" else "less")
                    .pvalue)

    zone: Literal["pass", "marginal", "fail"] = (
        "fail" if lower > harm_allowance else "marginal" if estimate > harm_allowance else "pass")
    score = 100.0 * _credit(zone, _margin(harm_allowance, estimate, lower))
    verdict: JudgeVerdict = _band(score, levels.pass_score, levels.marginal_score)
    reasons = {"pass": "estimate within the allowance",
               "marginal": "estimate beyond the allowance, bound within",
               "fail": f"one-sided {1 - alpha:.0%} bound beyond the allowance"}
    interval = (lower, upper) if sign > 0 else (-upper, -lower)
    return MetricJudgement(metric, verdict, reasons[zone], scale, harmful, allowance, (n, m),
                           estimate=sign * estimate, interval=interval, p_value=p_value,
                           p_value_allowance=p_value_allowance, score=score)


def _band(score: float, pass_score: float, marginal_score: float) -> JudgeVerdict:
    return "pass" if score >= pass_score else "marginal" if score >= marginal_score else "fail"


def mann_whitney_judge(
    candidate: MetricSeries,
    stable: MetricSeries,
    thresholds: RollbackThresholds,
    *,
    alpha: float = 0.05,
    pass_score: float = 90.0,
    marginal_score: float = 70.0,
    minimum_labels: int = 100,
    minimum_intervals: int = MINIMUM_INTERVALS,
) -> JudgeResult:
    """Judge the candidate's interval series against the stable version's (see the module for the rules).

    ``alpha`` is the one-sided level of each metric's test (0 < alpha < 0.5),
    ``pass_score`` and ``marginal_score`` the bands, % (seed 003: 90, 70),
    ``minimum_labels`` the labels each side needs in the window before
    accuracy is judged and ``minimum_intervals`` the intervals with data each
    side needs before any metric is.
    """
    if not 0.0 < alpha < 0.5:
        raise ValueError(f"alpha must be between 0 and 0.5 (one-sided level); got {alpha!r}")
    if not 0.0 <= marginal_score <= pass_score <= 100.0:
        raise ValueError(f"expected 0 <= marginal_score <= pass_score <= 100; got marginal_score {marginal_score!r}, "
                         f"pass_score {pass_score!r}")
    if minimum_intervals < 2:
        raise ValueError(f"minimum_intervals must be at least 2; got {minimum_intervals!r}")
    levels = _Levels(alpha, minimum_intervals, pass_score, marginal_score)
    judgements: list[MetricJudgement] = []
    unchecked: list[str] = []
    if thresholds.error_rate_increase is not None:
        judgements.append(_judge("error_rate", candidate.error_rate, stable.error_rate, levels, harmful="increase",
                                 scale="difference", allowance=float(thresholds.error_rate_increase)))
    else:
        unchecked.append("error_rate")
    for metric in ("latency_p50", "latency_p99"):
        if thresholds.latency_increase is not None:
            judgements.append(_judge(metric, getattr(candidate, metric), getattr(stable, metric), levels,
                                     harmful="increase", scale="log_ratio",
                                     allowance=math.log(thresholds.latency_increase)))
        else:
            unchecked.append(metric)
    if thresholds.accuracy_drop is not None:
        labels = (int(np.nansum(candidate.labelled)), int(np.nansum(stable.labelled)))
        missing = None
        if min(labels) < minimum_labels:
            missing = f"{labels[0]} candidate / {labels[1]} stable labels, fewer than {minimum_labels}"
        drop = float(thresholds.accuracy_drop)
        judgements.append(_judge("accuracy", candidate.accuracy, stable.accuracy, levels, harmful="decrease",
                                 scale="log_ratio", allowance=math.log(1.0 - drop) if drop < 1 else -math.inf,
                                 missing=missing))
    else:
        unchecked.append("accuracy")

    scores = [j.score for j in judgements if j.score is not None]
    score = min(scores) if scores else None
    verdict: JudgeVerdict
    if score is not None and score < marginal_score:
        verdict = "fail"
    elif score is None or any(not j.evaluated for j in judgements):
        verdict = "inconclusive"
    else:
        verdict = _band(score, pass_score, marginal_score)
    return JudgeResult(verdict, score, tuple(judgements), alpha=alpha, minimum_intervals=minimum_intervals,
                       unchecked=tuple(unchecked))
