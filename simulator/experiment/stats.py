"""Summaries with confidence intervals, and paired comparisons between strategies.

Rates get Wilson score intervals (:meth:`scipy.stats.binomtest`), means
Student t intervals, medians and 95th percentiles percentile-bootstrap
intervals (:func:`scipy.stats.bootstrap`). Because every strategy runs on the same seeds (common
random numbers), strategies are compared pair by pair on the per-seed
differences (paired t); the paired interval is narrower than the unpaired
one whenever the two strategies' figures are positively correlated.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy import stats

from simulator.experiment.figures import FIGURES

__all__ = ["RATES", "summarise", "paired_differences", "wilson", "mean_interval", "quantile_interval"]

RATES = ("promoted", "rolled_back", "incomplete", "right_decision", "false_rollback", "missed_regression",
         "drift_detected")


def wilson(successes: int, trials: int, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson score interval of a proportion."""
    if trials == 0:
        return (math.nan, math.nan)
    interval = stats.binomtest(successes, trials).proportion_ci(confidence_level=confidence, method="wilson")
    return (float(interval.low), float(interval.high))


def mean_interval(values: np.ndarray, confidence: float = 0.95) -> tuple[float, float, float]:
    """Mean and its Student t interval (NaN interval with fewer than two values)."""
    values = values[np.isfinite(values)]
    if len(values) == 0:
        return (math.nan, math.nan, math.nan)
    mean = float(values.mean())
    if len(values) < 2:
        return (mean, math.nan, math.nan)
    half = float(stats.t.ppf(0.5 + confidence / 2, len(values) - 1) * values.std(ddof=1) / math.sqrt(len(values)))
    return (mean, mean - half, mean + half)


def quantile_interval(values: np.ndarray, q: float, confidence: float = 0.95) -> tuple[float, float, float]:
    """The ``q``-quantile and its percentile-bootstrap interval (999 resamples, fixed seed: reproducible)."""
    if len(values) == 0:
        return (math.nan, math.nan, math.nan)
    value = float(np.quantile(values, q))
    if len(values) < 5 or np.all(values == values[0]):
        return (value, value if len(values) >= 5 else math.nan, value if len(values) >= 5 else math.nan)
    result = stats.bootstrap((values,), lambda sample, axis: np.quantile(sample, q, axis=axis),
                             confidence_level=confidence, n_resamples=999, method="percentile",
                             random_state=np.random.default_rng(0), vectorized=True)
    return (value, float(result.confidence_interval.low), float(result.confidence_interval.high))


def summarise(rows: pd.DataFrame, by: list[str], confidence: float = 0.95) -> pd.DataFrame:
    """One row per group: runs, errors, rates with Wilson intervals, figure means with t intervals, p50/p95."""
    records = []
    for key, group in rows.groupby(by, sort=False, dropna=False):
        key = key if isinstance(key, tuple) else (key,)
        ok = group[group["error"].isna()]
        record: dict[str, object] = dict(zip(by, key, strict=True))
        record["runs"] = len(group)
        record["errors"] = int(group["error"].notna().sum())
        for rate in RATES:
            if rate not in ok:
                continue
            values = ok[rate].dropna().astype(bool)
            low, high = wilson(int(values.sum()), len(values), confidence)
            record[rate] = values.mean() if len(values) else math.nan
            record[f"{rate}_low"], record[f"{rate}_high"] = low, high
        for figure in FIGURES:
            if figure not in ok:
                continue
            values = pd.to_numeric(ok[figure], errors="coerce").to_numpy(dtype=float)
            mean, low, high = mean_interval(values, confidence)
            record[f"{figure}_mean"], record[f"{figure}_low"], record[f"{figure}_high"] = mean, low, high
            finite = values[np.isfinite(values)]
            for q in (50, 95):
                value, low, high = quantile_interval(finite, q / 100, confidence)
                record[f"{figure}_p{q}"] = value
                record[f"{figure}_p{q}_low"], record[f"{figure}_p{q}_high"] = low, high
        records.append(record)
    return pd.DataFrame(records)


def _paired_p_value(differences: np.ndarray) -> float:
    """Two-sided paired t-test p-value; exact 0 or 1 when the differences do not vary."""
    spread = differences.std(ddof=1)
    mean = differences.mean()
    if spread == 0 or not np.isfinite(spread):
        return 1.0 if mean == 0 else 0.0
    t = mean / (spread / math.sqrt(len(differences)))
    return float(2 * stats.t.sf(abs(t), len(differences) - 1))


def paired_differences(rows: pd.DataFrame, figures: tuple[str, ...] = ("promoted", "rolled_back",
                       "right_decision", "candidate_requests", "failed_requests", "duration_s"),
                       confidence: float = 0.95) -> pd.DataFrame:
    """For each pair of strategies: mean per-seed difference (A - B), paired interval, p-value, and the
    unpaired interval for comparison."""
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
                differences = x - y
                mean, low, high = mean_interval(differences, confidence)
                p_value = _paired_p_value(differences)
                se_unpaired = math.sqrt(x.var(ddof=1) / len(x) + y.var(ddof=1) / len(y))
                half = float(stats.norm.ppf(0.5 + confidence / 2)) * se_unpaired
                records.append({
                    "a": first, "b": second, "figure": figure, "seeds": len(x), "difference": mean,
                    "low": low, "high": high, "p_value": p_value,
                    "significant": bool(p_value < 1 - confidence),
                    "unpaired_low": mean - half, "unpaired_high": mean + half,
                })
    return pd.DataFrame(records)
