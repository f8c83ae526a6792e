"""Paired comparisons of strategies on the same seeds, with a Holm correction over the whole family.

Every strategy runs on the same seeds (common random numbers), so two
strategies are compared seed by seed. The test depends on the figure:

* **Yes/no outcomes** (:data:`~simulator.experiment.figure_kinds.RATES`):
  McNemar's exact test, the two-sided binomial test (p = 1/2) on the
  discordant seeds (those where one strategy had the outcome and the other
  not); the interval of the difference of the two rates is Newcombe's
  (1998, method 10) hybrid score interval for paired proportions, built from
  the two Wilson intervals, within [-1, 1].
* **Numeric figures**: the paired t-test and t interval of the per-seed
  differences; when the differences do not vary (the t statistic is
  undefined) the exact sign test instead: n seeds all differing by the same
  non-zero amount give p = 2 x 0.5**n, all equal p = 1, and the interval is
  that one difference.

p-values of the whole family (every pair of strategies and every figure in
one call) are adjusted by Holm's step-down method (``p_holm``);
``significant`` is ``p_holm`` below ``1 - confidence``. Beside each paired
interval stands the unpaired one (normal approximation; Newcombe's method
10 without correlation for rates), which the paired one beats whenever the
two strategies' figures are positively correlated.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy import stats

from simulator.experiment.figure_kinds import RATES, difference_support
from simulator.experiment.intervals import wilson

__all__ = ["paired_differences", "holm", "sign_test", "mcnemar_exact", "paired_t", "newcombe_paired",
           "PAIRED_FIGURES", "COLUMNS"]

PAIRED_FIGURES = ("promoted", "rolled_back", "right_decision", "candidate_requests", "failed_requests", "duration_s")
"""Figures compared by default."""

COLUMNS = ["a", "b", "figure", "seeds", "difference", "low", "high", "p_value", "significant", "unpaired_low",
           "unpaired_high", "p_holm", "test"]
"""Columns of :func:`paired_differences`, in order (the last two added after the others, which keep their places)."""


def holm(p_values: np.ndarray | list[float]) -> np.ndarray:
    """Holm's step-down adjusted p-values (as ``statsmodels`` ``multipletests(method="holm")``); NaN stays NaN."""
    p = np.asarray(p_values, dtype=float)
    adjusted = np.full(p.shape, math.nan)
    finite = np.flatnonzero(np.isfinite(p))
    if len(finite) == 0:
        return adjusted
    order = finite[np.argsort(p[finite], kind="stable")]
    m = len(order)
    steps = np.maximum.accumulate((m - np.arange(m)) * p[order])
    adjusted[order] = np.minimum(steps, 1.0)
    return adjusted


def sign_test(differences: np.ndarray) -> float:
    """Two-sided exact sign test of a zero median difference; zero differences are dropped (none left: 1)."""
    positive = int((differences > 0).sum())
    nonzero = int((differences != 0).sum())
    if nonzero == 0:
        return 1.0
    return float(stats.binomtest(positive, nonzero, 0.5).pvalue)


def mcnemar_exact(first: np.ndarray, second: np.ndarray) -> float:
    """McNemar's exact two-sided p-value for paired yes/no outcomes (binomial test on the discordant pairs)."""
    first, second = np.asarray(first, dtype=bool), np.asarray(second, dtype=bool)
    only_first = int((first & ~second).sum())
    only_second = int((~first & second).sum())
    if only_first + only_second == 0:
        return 1.0
    return float(stats.binomtest(only_first, only_first + only_second, 0.5).pvalue)


def paired_t(differences: np.ndarray, confidence: float = 0.95) -> tuple[float, float, float]:
    """Paired t: (p-value, low, high) of the mean difference (at least two differences that vary)."""
    runs = len(differences)
    mean = float(differences.mean())
    se = float(differences.std(ddof=1)) / math.sqrt(runs)
    half = float(stats.t.ppf(0.5 + confidence / 2, runs - 1)) * se
    p_value = float(2 * stats.t.sf(abs(mean / se), runs - 1))
    return (p_value, mean - half, mean + half)


def newcombe_paired(first: np.ndarray, second: np.ndarray, confidence: float = 0.95,
                    paired: bool = True) -> tuple[float, float]:
    """Newcombe's (1998, method 10) interval of ``mean(first) - mean(second)`` for yes/no outcomes, within [-1, 1].

    The square-and-add of the two Wilson intervals, with the correlation phi
    of the paired outcomes (continuity-corrected, as Newcombe recommends)
    when ``paired``; with ``paired=False`` the two samples are taken as
    independent (phi = 0).
    """
    first, second = np.asarray(first, dtype=bool), np.asarray(second, dtype=bool)
    rate_first, rate_second = float(first.mean()), float(second.mean())
    low_first, high_first = wilson(int(first.sum()), len(first), confidence)
    low_second, high_second = wilson(int(second.sum()), len(second), confidence)
    phi = 0.0
    if paired:
        both = float((first & second).sum())
        only_first, only_second = float((first & ~second).sum()), float((~first & second).sum())
        neither = float((~first & ~second).sum())
        denominator = math.sqrt((both + only_first) * (only_second + neither) * (both + only_second)
                                * (only_first + neither))
        cross = both * neither - only_first * only_second
        # Newcombe's continuity correction of the correlation: shrunk by n / 2 when positive, 0 in between
        corrected = cross - len(first) / 2 if cross > len(first) / 2 else min(cross, 0.0)
        phi = corrected / denominator if denominator > 0 else 0.0
    difference = rate_first - rate_second
    below = math.sqrt(max(0.0, (rate_first - low_first) ** 2 - 2 * phi * (rate_first - low_first)
                          * (high_second - rate_second) + (high_second - rate_second) ** 2))
    above = math.sqrt(max(0.0, (high_first - rate_first) ** 2 - 2 * phi * (high_first - rate_first)
                          * (rate_second - low_second) + (rate_second - low_second) ** 2))
    return (max(-1.0, difference - below), min(1.0, difference + above))


def _compare(x: np.ndarray, y: np.ndarray, figure: str, binary: bool, confidence: float) -> dict[str, object]:
    """Difference, interval, p-value, test and unpaired interval of one figure of two strategies on shared seeds."""
    differences = x - y
    mean = float(differences.mean())
    if binary:
        low, high = newcombe_paired(x, y, confidence)
        unpaired_low, unpaired_high = newcombe_paired(x, y, confidence, paired=False)
        return {"difference": mean, "low": low, "high": high, "p_value": mcnemar_exact(x, y),
                "test": "McNemar exact", "unpaired_low": unpaired_low, "unpaired_high": unpaired_high}
    spread = float(differences.std(ddof=1))
    if spread == 0 or not math.isfinite(spread):
        p_value, low, high, test = sign_test(differences), mean, mean, "sign test"
    else:
        p_value, low, high = paired_t(differences, confidence)
        test = "paired t"
    support_low, support_high = difference_support(figure)
    se_unpaired = math.sqrt(x.var(ddof=1) / len(x) + y.var(ddof=1) / len(y))
    half = float(stats.norm.ppf(0.5 + confidence / 2)) * se_unpaired
    return {"difference": mean, "low": max(low, support_low), "high": min(high, support_high), "p_value": p_value,
            "test": test, "unpaired_low": max(mean - half, support_low),
            "unpaired_high": min(mean + half, support_high)}


def paired_differences(rows: pd.DataFrame, figures: tuple[str, ...] = PAIRED_FIGURES,
                       confidence: float = 0.95) -> pd.DataFrame:
    """For each pair of strategies (A before B in run order) and each figure: the mean per-seed difference A - B.

    Columns (:data:`COLUMNS`): ``seeds`` (seeds where both have a value),
    ``difference`` (in the figure's unit, or a difference of rates 0-1),
    ``low``/``high`` (paired interval), ``p_value`` (of ``test``: "paired t",
    "sign test" or "McNemar exact"), ``p_holm`` (Holm-adjusted over every row
    returned), ``significant`` (``p_holm < 1 - confidence``) and
    ``unpaired_low``/``unpaired_high``. Pairs with fewer than two shared
    seeds are left out.
    """
    ok = rows[rows["error"].isna()]
    labels = list(dict.fromkeys(ok["strategy"]))
    records = []
    for i, first in enumerate(labels):
        for second in labels[i + 1:]:
            a = ok[ok["strategy"] == first].set_index("seed")
            b = ok[ok["strategy"] == second].set_index("seed")
            seeds = a.index.intersection(b.index)
            for figure in figures:
                if figure not in ok:
                    continue
                x = pd.to_numeric(a.loc[seeds, figure], errors="coerce").astype(float).to_numpy()
                y = pd.to_numeric(b.loc[seeds, figure], errors="coerce").astype(float).to_numpy()
                keep = np.isfinite(x) & np.isfinite(y)
                x, y = x[keep], y[keep]
                if len(x) < 2:
                    continue
                binary = figure in RATES or ok[figure].dtype == bool
                records.append({"a": first, "b": second, "figure": figure, "seeds": len(x),
                                **_compare(x, y, figure, binary, confidence)})
    frame = pd.DataFrame(records, columns=[c for c in COLUMNS if c not in ("p_holm", "significant")])
    frame["p_holm"] = holm(frame["p_value"].to_numpy(dtype=float))
    frame["significant"] = (frame["p_holm"] < 1 - confidence).astype(bool)
    return frame[COLUMNS]
