"""Statistics of an A/B test: fixed-horizon tests, an always-valid sequential test, and a ratio check.

* Proportions (accuracy, error rate): Pearson's chi-square test of the 2x2
  table without continuity correction — the same p-value as the two-sided
  two-proportion z-test — with a Wald interval for the difference.
* Means (latency): Welch's t-test from summary statistics, with a
  Welch-Satterthwaite interval for the difference.
* Sequential: the mixture sequential probability ratio test (mSPRT) of
  Johari, Pekelis and Walsh, whose p-value stays valid however often it is
  looked at. The effect estimate is treated as normal with its estimated
  variance; the mixing distribution is N(0, tau^2) with tau given in
  per-observation standard deviations.
* Sample ratio mismatch: chi-square goodness of fit of the users seen in each
  arm against the configured split.

Every p-value comes from :mod:`scipy.stats`.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Literal

from scipy import stats

__all__ = [
    "ArmSummary",
    "TestOutcome",
    "proportion_test",
    "welch_test",
    "msprt_p_value",
    "sample_ratio_p_value",
    "HIGHER_IS_BETTER",
]

Metric = Literal["accuracy", "error_rate", "latency"]

HIGHER_IS_BETTER = {"accuracy": True, "error_rate": False, "latency": False}
"""Whether a larger value of the metric is better."""


@dataclass(frozen=True, slots=True)
class ArmSummary:
    """One arm's sample: ``n`` observations with this ``mean`` and per-observation ``variance``."""

    n: int
    mean: float
    variance: float


@dataclass(frozen=True, slots=True)
class TestOutcome:
    """A test of candidate (B) against stable (A).

    ``effect`` is B - A in the metric's units (fraction or seconds), with a
    ``1 - alpha`` confidence interval; ``relative_effect`` is effect / A.
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

    @property
    def significant(self) -> bool:
        """Whether ``p_value < alpha``."""
        return self.p_value < self.alpha

    @property
    def winner(self) -> Literal["candidate", "stable"] | None:
        """The better arm when the difference is significant, else ``None``."""
        if not self.significant or self.effect == 0:
            return None
        candidate_better = (self.effect > 0) == HIGHER_IS_BETTER[self.metric]
        return "candidate" if candidate_better else "stable"

    def to_dict(self) -> dict[str, object]:
        """JSON-ready mapping, with ``significant`` and ``winner``."""
        return {**asdict(self), "significant": self.significant, "winner": self.winner}

    def summary(self) -> str:
        """One line for people."""
        unit = "s" if self.metric == "latency" else ""
        relative = f", {self.relative_effect:+.2%}" if self.relative_effect is not None else ""
        return (
            f"{self.metric}: effect {self.effect:+.4g}{unit}{relative} "
            f"[{self.ci_low:+.4g}, {self.ci_high:+.4g}] at {1 - self.alpha:.0%}, p={self.p_value:.3g} "
            f"({self.test}; n={self.n_stable}/{self.n_candidate})"
        )


def _relative(effect: float, base: float) -> float | None:
    return effect / base if base else None


def proportion_test(metric: Metric, stable: ArmSummary, candidate: ArmSummary, alpha: float) -> TestOutcome:
    """Chi-square test (no continuity correction) of two proportions, with a Wald interval."""
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
    )


def welch_test(metric: Metric, stable: ArmSummary, candidate: ArmSummary, alpha: float) -> TestOutcome:
    """Welch's t-test of two means from summary statistics, with a Welch-Satterthwaite interval."""
    effect = candidate.mean - stable.mean
    if min(stable.n, candidate.n) < 2:
        return TestOutcome(metric, "Welch t-test", 1.0, effect, -math.inf, math.inf,
                           _relative(effect, stable.mean), stable.n, candidate.n, alpha)
    result = stats.ttest_ind_from_stats(
        candidate.mean, math.sqrt(candidate.variance), candidate.n,
        stable.mean, math.sqrt(stable.variance), stable.n, equal_var=False,
    )
    a, b = stable.variance / stable.n, candidate.variance / candidate.n
    standard_error = math.sqrt(a + b)
    if standard_error == 0:
        return TestOutcome(metric, "Welch t-test", 1.0 if effect == 0 else 0.0, effect, effect, effect,
                           _relative(effect, stable.mean), stable.n, candidate.n, alpha)
    degrees = (a + b) ** 2 / (a**2 / (stable.n - 1) + b**2 / (candidate.n - 1))
    t = float(stats.t.ppf(1 - alpha / 2, degrees))
    return TestOutcome(
        metric=metric, test="Welch t-test", p_value=float(result.pvalue), effect=effect,
        ci_low=effect - t * standard_error, ci_high=effect + t * standard_error,
        relative_effect=_relative(effect, stable.mean), n_stable=stable.n, n_candidate=candidate.n, alpha=alpha,
    )


def msprt_p_value(stable: ArmSummary, candidate: ArmSummary, tau: float) -> float:
    """One look's mSPRT p-value, ``min(1, 1 / Lambda)``; the caller keeps the running minimum.

    ``Lambda = sqrt(V / (V + t^2)) exp(t^2 d^2 / (2 V (V + t^2)))`` with ``d``
    the estimated difference, ``V`` its variance, and ``t = tau x`` the pooled
    per-observation standard deviation.
    """
    if min(stable.n, candidate.n) == 0:
        return 1.0
    variance = stable.variance / stable.n + candidate.variance / candidate.n
    if variance <= 0:
        return 1.0
    mixing = (tau * math.sqrt((stable.variance + candidate.variance) / 2)) ** 2
    effect = candidate.mean - stable.mean
    log_ratio = 0.5 * math.log(variance / (variance + mixing)) + (
        mixing * effect**2 / (2 * variance * (variance + mixing))
    )
    return float(min(1.0, math.exp(-log_ratio)))


def sample_ratio_p_value(users_stable: int, users_candidate: int, candidate_share: float) -> float:
    """Chi-square goodness of fit of the users per arm to the configured split (SRM check)."""
    total = users_stable + users_candidate
    if total == 0:
        return 1.0
    expected = [total * (1 - candidate_share), total * candidate_share]
    return float(stats.chisquare([users_stable, users_candidate], expected).pvalue)
