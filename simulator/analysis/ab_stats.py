"""Statistics of an A/B test: fixed-horizon tests, an always-valid sequential test, and a ratio check.

* Proportions (accuracy, error rate): Pearson's chi-square test of the 2x2
  table without continuity correction — the same p-value as the two-sided
  two-proportion z-test — with a Wald interval for the difference.
* Means (latency): Welch's t-test from summary statistics, with a
  Welch-Satterthwaite interval for the difference. A request's latency
  depends on the queue it met, so an arm's variance may come from groups
  (scrape intervals) instead of single requests, with the groups' degrees
  of freedom (:class:`ArmSummary`).
* Sequential: the mixture sequential probability ratio test (mSPRT) of
  Johari, Pekelis and Walsh, whose p-value stays valid however often it is
  looked at. The effect estimate is treated as normal with its estimated
  variance; the mixing distribution is N(0, tau^2) with tau given in
  per-observation standard deviations. Its interval is the matching
  always-valid confidence sequence: the effects whose always-valid p-value
  exceeds alpha (closed form below, :func:`msprt_interval`), intersected
  over the looks as the p-value is minimised over them. A fixed-horizon
  interval reported when a sequential test stops early covers the effect
  less often than it says.
* Sample ratio mismatch: chi-square goodness of fit of the users seen in each
  arm against the configured split.

Every p-value comes from :mod:`scipy.stats`, imported by the tests that use it (so that
importing the strategies does not pay for it).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Literal

__all__ = [
    "ArmSummary",
    "Metric",
    "TestOutcome",
    "proportion_test",
    "welch_test",
    "msprt_p_value",
    "msprt_interval",
    "sequential_test",
    "sample_ratio_p_value",
    "HIGHER_IS_BETTER",
]

Metric = Literal["accuracy", "error_rate", "latency"]

HIGHER_IS_BETTER = {"accuracy": True, "error_rate": False, "latency": False}
"""Whether a larger value of the metric is better."""


@dataclass(frozen=True, slots=True)
class ArmSummary:
    """One arm's sample: ``n`` observations with this ``mean`` and per-observation ``variance``.

    ``variance / n`` is the variance of the mean. For independent observations
    ``variance`` is their own and its estimate has ``n - 1`` degrees of freedom
    (``degrees_of_freedom`` left ``None``). Correlated observations (requests
    queued together) carry an effective variance, ``n`` times the mean's
    variance estimated across ``k`` independent groups, with ``k - 1``
    degrees of freedom; below one there is no estimate, and no test.
    """

    n: int
    mean: float
    variance: float
    degrees_of_freedom: float | None = None

    @property
    def testable(self) -> bool:
        """Whether the mean's variance can be estimated: two observations, and a degree of freedom."""
        return self.n >= 2 and (self.degrees_of_freedom is None or self.degrees_of_freedom >= 1)

    @property
    def variance_degrees_of_freedom(self) -> float:
        """Degrees of freedom of the variance estimate."""
        return self.n - 1 if self.degrees_of_freedom is None else self.degrees_of_freedom


@dataclass(frozen=True, slots=True)
class TestOutcome:
    """A test of candidate (B) against stable (A).

    ``effect`` is B - A in the metric's units (fraction or seconds), with a
    ``1 - alpha`` confidence interval (for the sequential test an always-valid
    confidence sequence, see ``interval``); ``relative_effect`` is effect / A;
    ``stable_mean`` and ``candidate_mean`` are A and B.
    """

    metric: str
    test: str
    p_value: float
    effect: float
    ci_low: float
    ci_high: float
    relative_effect: float | None
    n_stable: int
    n_candidate: int
    alpha: float
    interval: Literal["confidence interval", "confidence sequence"] = "confidence interval"
    stable_mean: float | None = None
    candidate_mean: float | None = None

    @property
    def significant(self) -> bool:
        """Whether ``p_value < alpha``."""
        return self.p_value < self.alpha

    @property
    def direction(self) -> Literal[1, -1, 0]:
        """The sign of the effect: the interval's side of zero when it excludes zero, else the estimate's."""
        if self.ci_low > 0:
            return 1
        if self.ci_high < 0:
            return -1
        return 1 if self.effect > 0 else -1 if self.effect < 0 else 0

    @property
    def winner(self) -> Literal["candidate", "stable"] | None:
        """The better arm when the difference is significant, else ``None``."""
        if not self.significant or self.direction == 0:
            return None
        candidate_better = (self.direction > 0) == HIGHER_IS_BETTER[self.metric]
        return "candidate" if candidate_better else "stable"

    @property
    def harmful(self) -> bool:
        """Whether the candidate is significantly worse than stable (a guardrail's failure)."""
        return self.winner == "stable"

    def to_dict(self) -> dict[str, object]:
        """JSON-ready mapping, with ``significant`` and ``winner``."""
        return {**asdict(self), "significant": self.significant, "winner": self.winner}

    def summary(self) -> str:
        """One line for people."""
        unit = "s" if self.metric == "latency" else ""
        relative = f", {self.relative_effect:+.2%}" if self.relative_effect is not None else ""
        level = f"{100 * (1 - self.alpha):.4g}%"
        kind = " confidence sequence" if self.interval == "confidence sequence" else ""
        return (
            f"{self.metric}: effect {self.effect:+.4g}{unit}{relative} "
            f"[{self.ci_low:+.4g}, {self.ci_high:+.4g}] at {level}{kind}, p={self.p_value:.3g} "
            f"({self.test}; n={self.n_stable}/{self.n_candidate})"
        )


def _relative(effect: float, base: float) -> float | None:
    return effect / base if base else None


def proportion_test(metric: Metric, stable: ArmSummary, candidate: ArmSummary, alpha: float) -> TestOutcome:
    """Chi-square test (no continuity correction) of two proportions, with a Wald interval."""
    from scipy import stats

    successes = (round(stable.mean * stable.n), round(candidate.mean * candidate.n))
    table = [[successes[0], stable.n - successes[0]], [successes[1], candidate.n - successes[1]]]
    if min(stable.n, candidate.n) == 0 or min(sum(column) for column in zip(*table, strict=True)) == 0:
        p_value = 1.0
    else:
        p_value = float(stats.chi2_contingency(table, correction=False).pvalue)
    effect = candidate.mean - stable.mean
    standard_error = math.sqrt(stable.variance / max(stable.n, 1) + candidate.variance / max(candidate.n, 1))
    z = float(stats.norm.ppf(1 - alpha / 2))
    return TestOutcome(
        metric=metric, test="chi-square (two-proportion)", p_value=p_value, effect=effect,
        ci_low=effect - z * standard_error, ci_high=effect + z * standard_error,
        relative_effect=_relative(effect, stable.mean), n_stable=stable.n, n_candidate=candidate.n, alpha=alpha,
        stable_mean=stable.mean, candidate_mean=candidate.mean,
    )


def welch_test(metric: Metric, stable: ArmSummary, candidate: ArmSummary, alpha: float) -> TestOutcome:
    """Welch's t-test of two means from summary statistics, with a Welch-Satterthwaite interval.

    Each arm's variance estimate brings its own degrees of freedom
    (:attr:`ArmSummary.variance_degrees_of_freedom`: ``n - 1``, or groups - 1 for correlated
    observations) into the Welch-Satterthwaite degrees of freedom of ``t``.
    Without an estimate in either arm the test says nothing: p = 1, an
    unbounded interval.
    """
    from scipy import stats

    effect = candidate.mean - stable.mean
    if not (stable.testable and candidate.testable):
        return TestOutcome(metric, "Welch t-test", 1.0, effect, -math.inf, math.inf,
                           _relative(effect, stable.mean), stable.n, candidate.n, alpha,
                           stable_mean=stable.mean, candidate_mean=candidate.mean)
    a, b = stable.variance / stable.n, candidate.variance / candidate.n
    standard_error = math.sqrt(a + b)
    if standard_error == 0:
        # No spread in either arm (a constant latency): the means differ or they do not, where a difference
        # within floating-point rounding of sums over many requests is none.
        same = math.isclose(candidate.mean, stable.mean, rel_tol=1e-9, abs_tol=1e-15)
        return TestOutcome(metric, "Welch t-test", 1.0 if same else 0.0, effect, effect, effect,
                           _relative(effect, stable.mean), stable.n, candidate.n, alpha,
                           stable_mean=stable.mean, candidate_mean=candidate.mean)
    degrees = (a + b) ** 2 / (a**2 / stable.variance_degrees_of_freedom
                              + b**2 / candidate.variance_degrees_of_freedom)
    p_value = float(2 * stats.t.sf(abs(effect) / standard_error, degrees))
    t = float(stats.t.ppf(1 - alpha / 2, degrees))
    return TestOutcome(
        metric=metric, test="Welch t-test", p_value=p_value, effect=effect,
        ci_low=effect - t * standard_error, ci_high=effect + t * standard_error,
        relative_effect=_relative(effect, stable.mean), n_stable=stable.n, n_candidate=candidate.n, alpha=alpha,
        stable_mean=stable.mean, candidate_mean=candidate.mean,
    )


def _msprt_terms(stable: ArmSummary, candidate: ArmSummary, tau: float) -> tuple[float, float, float] | None:
    """``(d, V, m)``: the estimated difference, its variance, the mixing variance; ``None`` without spread."""
    if not (stable.testable and candidate.testable):
        return None
    variance = stable.variance / stable.n + candidate.variance / candidate.n
    mixing = tau**2 * (stable.variance + candidate.variance) / 2
    if variance <= 0 or mixing <= 0:
        return None
    return candidate.mean - stable.mean, variance, mixing


def msprt_p_value(stable: ArmSummary, candidate: ArmSummary, tau: float, null_effect: float = 0.0) -> float:
    """One look's mSPRT p-value of ``effect = null_effect``, ``min(1, 1 / Lambda)``; keep the running minimum.

    ``Lambda = sqrt(V / (V + m)) exp(m (d - d0)^2 / (2 V (V + m)))`` with ``d``
    the estimated difference, ``d0`` the effect under test, ``V`` the
    estimate's variance and ``m = (tau s)^2`` the mixing variance, ``s`` the
    pooled per-observation standard deviation (:attr:`ArmSummary.variance`:
    for correlated observations the effective one, so ``tau`` scales with it).
    """
    terms = _msprt_terms(stable, candidate, tau)
    if terms is None:
        return 1.0
    effect, variance, mixing = terms
    log_ratio = 0.5 * math.log(variance / (variance + mixing)) + (
        mixing * (effect - null_effect) ** 2 / (2 * variance * (variance + mixing))
    )
    return float(min(1.0, math.exp(-log_ratio)))


def msprt_interval(stable: ArmSummary, candidate: ArmSummary, tau: float, alpha: float) -> tuple[float, float]:
    """One look's always-valid ``1 - alpha`` confidence sequence for the effect (candidate - stable).

    The effects ``d0`` whose :func:`msprt_p_value` exceeds ``alpha``, that is
    ``Lambda(d0) < 1 / alpha``, which solves to ``d +- r`` with::

        r = sqrt( V (V + m) / m x (2 ln(1 / alpha) + ln((V + m) / V)) )

    (``d``, ``V``, ``m`` as in :func:`msprt_p_value`). Over all looks at once
    it holds the true effect with probability at least ``1 - alpha``, so it may
    be read wherever the test stops. ``(-inf, inf)`` without spread.
    """
    terms = _msprt_terms(stable, candidate, tau)
    if terms is None:
        return -math.inf, math.inf
    effect, variance, mixing = terms
    radius = math.sqrt(
        variance * (variance + mixing) / mixing * (2 * math.log(1 / alpha) + math.log((variance + mixing) / variance))
    )
    return effect - radius, effect + radius


def sequential_test(metric: Metric, stable: ArmSummary, candidate: ArmSummary, alpha: float, tau: float,
                    previous: TestOutcome | None = None) -> TestOutcome:
    """The mSPRT at one look, carrying ``previous`` (this metric's outcome at the last look) forward.

    The p-value is the running minimum of the looks' always-valid p-values;
    the interval the running intersection of their confidence sequences,
    which is exactly the set of effects whose running-minimum p-value exceeds
    alpha. Should the intersection come out empty (the variance is
    estimated, so the looks' sequences may drift apart), this look's sequence
    is reported alone.
    """
    p_value = msprt_p_value(stable, candidate, tau)
    low, high = msprt_interval(stable, candidate, tau, alpha)
    if previous is not None:
        p_value = min(p_value, previous.p_value)
        joined = max(low, previous.ci_low), min(high, previous.ci_high)
        if joined[0] <= joined[1]:
            low, high = joined
    effect = candidate.mean - stable.mean
    return TestOutcome(
        metric=metric, test=f"mSPRT (always valid, tau={tau:g})", p_value=p_value, effect=effect,
        ci_low=low, ci_high=high, relative_effect=_relative(effect, stable.mean), n_stable=stable.n,
        n_candidate=candidate.n, alpha=alpha, interval="confidence sequence", stable_mean=stable.mean,
        candidate_mean=candidate.mean,
    )


def sample_ratio_p_value(users_stable: int, users_candidate: int, candidate_share: float) -> float:
    """Chi-square goodness of fit of the users per arm to the configured split (SRM check)."""
    from scipy import stats

    total = users_stable + users_candidate
    if total == 0:
        return 1.0
    expected = [total * (1 - candidate_share), total * candidate_share]
    return float(stats.chisquare([users_stable, users_candidate], expected).pvalue)
