"""Confidence intervals of one strategy's figures over its runs, each kept within the figure's support.

* **Rates** (fraction 0-1 of runs): Wilson score interval
  (:meth:`scipy.stats.binomtest`), always within [0, 1].
* **Means** of counts, times and shares: Student t with Hall's (1992)
  skewness-removing transformation, clipped to the figure's support (a count
  or a time never below 0, a share within [0, 1]). The t statistic
  ``T = (mean - mu) / se`` of right-skewed data (most per-run counts: many
  small values, a few large ones) has a long left tail, so the plain t
  interval is too short on the right and, for a zero-inflated count, reaches
  below 0 (blue-green's candidate requests: [-2,411, 7,187]). Hall's
  transformation ``g(T) = T + a T**2 + a**2 T**3 / 3 + gamma / (6 sqrt(n))``,
  with ``a = gamma / (3 sqrt(n))`` and ``gamma`` the adjusted sample skewness
  (:func:`scipy.stats.skew` with ``bias=False``), is monotone and close to
  Student's t; the interval is ``mean - g^-1(t) se`` at the two t quantiles.
  It is closed form (no resampling, so the same runs always give the same
  interval) and equals the t interval for symmetric data. Chosen over the
  percentile and BCa bootstrap, which cover less than t itself at 10-30
  runs. Measured coverage of a nominal 95 % interval (4,000 data sets each,
  Hall / plain t): exponential 94.7 / 90.6 % at 10 runs, 94.0 / 91.0 % at
  20, 94.9 / 92.1 % at 30; zero-inflated negative binomial count (30 %
  zeros) 96.8 / 92.6, 95.4 / 93.3, 95.4 / 93.9 %; lognormal (sigma 0.5)
  93.8 / 92.3, 94.1 / 92.7, 95.1 / 93.8 %. With heavy skew it still falls
  short, though less than t: lognormal (sigma 1) 91.7 / 84.2, 92.0 / 86.4,
  92.2 / 88.2 %. With two runs it is the t interval, with one none (NaN).
* **Quantiles** (p50, p95): the distribution-free order-statistic interval
  ``[X_(l), X_(u)]``: the number of runs below the true q-quantile is
  binomial (n, q), so ``P(X_(l) <= x_q <= X_(u)) = P(l <= B <= u - 1)``
  whatever the figure's distribution. Of the rank pairs whose coverage is at
  least the confidence, the one with the fewest ranks between them is taken
  (ties: the more balanced tails, then the lower ranks). Such a pair exists
  only from ``n`` runs with ``1 - q**n - (1 - q)**n >= confidence``: 59 for
  a p95 at 95 %, 6 for a median. With fewer runs the interval is undefined
  (NaN bounds) and :func:`too_few_runs` says so; a percentile bootstrap
  would give an interval there, but one that covers a p95 in 35 % of data
  sets at 10 runs.
"""

from __future__ import annotations

import functools
import math

import numpy as np
from scipy import stats

from simulator.experiment.figure_kinds import UNBOUNDED

__all__ = ["wilson", "mean_interval", "quantile_interval", "quantile_ranks", "runs_needed", "too_few_runs",
           "interval_note"]


def wilson(successes: int, trials: int, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson score interval (low, high) of a proportion (fraction 0-1); NaN without trials."""
    if trials == 0:
        return (math.nan, math.nan)
    interval = stats.binomtest(successes, trials).proportion_ci(confidence_level=confidence, method="wilson")
    return (float(interval.low), float(interval.high))


def _hall_inverse(y: float, skewness: float, runs: int) -> float:
    """The T with ``g(T) = y`` for Hall's transformation ``g`` (see the module docstring)."""
    a = skewness / (3 * math.sqrt(runs))
    shifted = y - skewness / (6 * math.sqrt(runs))
    if abs(a) < 1e-12:
        return shifted
    return float((np.cbrt(1 + 3 * a * shifted) - 1) / a)


def mean_interval(values: np.ndarray, confidence: float = 0.95,
                  support: tuple[float, float] = UNBOUNDED) -> tuple[float, float, float]:
    """Mean of the finite ``values`` and its interval (low, high), in the values' unit, within ``support``.

    Student t with Hall's skewness correction from three values on, plain t
    with two, NaN bounds with fewer (see the module docstring). Values that
    do not vary give the interval [mean, mean].
    """
    values = np.asarray(values, dtype=float)
    values = values[np.isfinite(values)]
    runs = len(values)
    if runs == 0:
        return (math.nan, math.nan, math.nan)
    mean = float(values.mean())
    if runs < 2:
        return (mean, math.nan, math.nan)
    spread = float(values.std(ddof=1))
    if np.ptp(values) == 0 or not math.isfinite(spread):
        return (mean, mean, mean)
    t = float(stats.t.ppf(0.5 + confidence / 2, runs - 1))
    se = spread / math.sqrt(runs)
    if runs < 3:
        low, high = mean - t * se, mean + t * se
    else:
        skewness = float(stats.skew(values, bias=False))
        if not math.isfinite(skewness):  # spread lost to rounding: no skewness to correct
            skewness = 0.0
        low, high = mean - _hall_inverse(t, skewness, runs) * se, mean - _hall_inverse(-t, skewness, runs) * se
    return (mean, max(low, support[0]), min(high, support[1]))


@functools.lru_cache(maxsize=1024)
def quantile_ranks(runs: int, q: float, confidence: float = 0.95) -> tuple[int, int] | None:
    """Ranks (l, u), 1-based, of the order-statistic interval of the ``q``-quantile of ``runs`` values.

    ``P(l <= B <= u - 1) >= confidence`` for ``B ~ binomial(runs, q)``, with
    ``u - l`` as small as possible; ``None`` when no pair reaches the
    confidence (fewer than :func:`runs_needed` runs).
    """
    if runs < 2:
        return None
    cdf = np.concatenate([[0.0], stats.binom.cdf(np.arange(runs + 1), runs, q)])  # cdf[k + 1] = P(B <= k)
    lows = np.arange(1, runs)
    # smallest u > l with P(B <= u - 1) >= confidence + P(B <= l - 1); cdf index u holds P(B <= u - 1)
    needed = cdf[lows] + confidence - 1e-12
    ups = np.maximum(np.searchsorted(cdf, needed, side="left"), lows + 1)
    valid = ups <= runs
    if not valid.any():
        return None
    lows, ups = lows[valid], ups[valid]
    below = cdf[lows]  # P(B <= l - 1): the q-quantile lies below X_(l)
    above = 1 - cdf[ups]  # P(B >= u): it lies above X_(u)
    order = np.lexsort((lows, np.abs(below - above), ups - lows))
    best = order[0]
    return (int(lows[best]), int(ups[best]))


@functools.lru_cache(maxsize=256)
def runs_needed(q: float, confidence: float = 0.95) -> int:
    """Fewest runs with an order-statistic interval of the ``q``-quantile (59 for a p95 at 95 %)."""
    runs = 2
    while 1 - q ** runs - (1 - q) ** runs < confidence - 1e-12:
        runs += 1
    return runs


def quantile_interval(values: np.ndarray, q: float, confidence: float = 0.95) -> tuple[float, float, float]:
    """The ``q``-quantile of the finite ``values`` (linear interpolation) and its order-statistic interval.

    NaN bounds with fewer than :func:`runs_needed` values: no distribution-free
    interval exists there (see :func:`too_few_runs` for the reason in words).
    """
    values = np.asarray(values, dtype=float)
    values = np.sort(values[np.isfinite(values)])
    if len(values) == 0:
        return (math.nan, math.nan, math.nan)
    value = float(np.quantile(values, q))
    ranks = quantile_ranks(len(values), q, confidence)
    if ranks is None:
        return (value, math.nan, math.nan)
    return (value, float(values[ranks[0] - 1]), float(values[ranks[1] - 1]))


def _percent(confidence: float) -> str:
    return f"{confidence * 100:g} %"


def too_few_runs(aggregate: str, runs: int, confidence: float = 0.95) -> str:
    """Why an interval of ``aggregate`` (``mean``, ``p50``, ``p95``) over ``runs`` runs is undefined; ``""`` if not.

    For example ``"too few runs for a 95 % interval of a p95: 59 needed, 20 run"``.
    """
    if aggregate == "mean":
        needed = 2
    elif aggregate.startswith("p") and aggregate[1:].isdigit():
        needed = runs_needed(int(aggregate[1:]) / 100, confidence)
    else:
        return ""
    if runs >= needed:
        return ""
    return f"too few runs for a {_percent(confidence)} interval of a {aggregate}: {needed} needed, {runs} run"


def interval_note(aggregate: str, runs: int, low: float, high: float, confidence: float = 0.95) -> str:
    """Why the interval (``low``, ``high``) of ``aggregate`` over ``runs`` runs is undefined; ``""`` when defined."""
    if not (math.isnan(low) or math.isnan(high)):
        return ""
    if runs == 0:
        return "no run produced this figure"
    return too_few_runs(aggregate, runs, confidence) or f"no {_percent(confidence)} interval"
