"""Expectations of a scenario file (its ``expect`` block), judged on the runs.

::

    expect:
      confidence: 0.95                 # optional: the whole interval must hold
      canary:
        rolled_back: ">= 0.9"          # outcome rates
        decision_time.p95: "<= 20m"    # a per-run figure with an aggregate (mean, p50, p95, max); units allowed
        candidate_requests: "between 1000 and 20000"

Without ``confidence`` an expectation is judged on its point estimate, and
where its 95 % interval reaches across the bound the verdict's message says
so (the same interval ``confidence: 0.95`` would judge by). With
it, it passes only if the whole interval (Wilson for rates, Hall-corrected t
within the figure's support for means, order statistics for quantiles: see
:mod:`simulator.experiment.intervals`) satisfies it, fails if the whole
interval violates it, and is otherwise inconclusive, with an estimate of the
runs that would settle it. An interval that does not exist is inconclusive
too, and its message says why: a distribution-free 95 % interval of a p95
needs 59 runs ("too few runs for a 95 % interval of a p95: 59 needed, 20
run"), one of a median 6, one of a mean 2.

The block is parsed by :mod:`simulator.check.expectation_syntax`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from simulator.check.expectation_syntax import Expectation, parse_expectations
from simulator.experiment.stats import RATES, mean_interval, quantile_interval, support_of, too_few_runs, wilson

__all__ = ["Expectation", "Judgement", "POINT_ESTIMATE_ONLY", "parse_expectations", "judge"]

Verdict = Literal["pass", "fail", "inconclusive"]

POINT_ESTIMATE_ONLY = "point estimate only"
"""How the message of a verdict without ``confidence`` whose interval crosses the bound begins."""


@dataclass(frozen=True)
class Judgement:
    """An expectation's measured value, interval and verdict."""

    scenario: str
    expectation: Expectation
    measured: float
    low: float
    high: float
    runs: int
    verdict: Verdict
    runs_to_settle: int | None = None
    message: str = ""

    @property
    def point_estimate_only(self) -> bool:
        """Judged without ``confidence`` on a point estimate whose interval crosses the bound."""
        return self.message.startswith(POINT_ESTIMATE_ONLY)


def _measure(expectation: Expectation, rows: pd.DataFrame, confidence: float) -> tuple[float, float, float, int]:
    if expectation.metric not in rows:  # a figure no run had (a region's, where every run raised)
        return (math.nan, math.nan, math.nan, 0)
    mine = rows[(rows["strategy"] == expectation.label) & rows["error"].isna()]
    if expectation.metric in RATES:
        values = mine[expectation.metric].dropna().astype(bool)
        low, high = wilson(int(values.sum()), len(values), confidence)
        return (float(values.mean()) if len(values) else math.nan, low, high, len(values))
    values = pd.to_numeric(mine[expectation.metric], errors="coerce").to_numpy(dtype=float)
    values = values[np.isfinite(values)]
    if expectation.aggregate == "mean":
        mean, low, high = mean_interval(values, confidence, support=support_of(expectation.metric))
        return (mean, low, high, len(values))
    if expectation.aggregate == "max":
        value = float(values.max()) if len(values) else math.nan
        return (value, value, value, len(values))
    q = 0.5 if expectation.aggregate == "p50" else 0.95
    value, low, high = quantile_interval(values, q, confidence)
    return (value, low, high, len(values))


def judge(scenario: str, expectation: Expectation, rows: pd.DataFrame) -> Judgement:
    """Measure ``expectation`` on the runs' ``rows`` and give its verdict."""
    confidence = expectation.confidence or 0.95
    measured, low, high, runs = _measure(expectation, rows, confidence)
    if runs == 0 or math.isnan(measured):
        return Judgement(scenario, expectation, measured, low, high, runs, "fail",
                         message="no run produced this figure")
    interval_missing = math.isnan(low) or math.isnan(high)
    if expectation.confidence is None:
        verdict: Verdict = "pass" if expectation.holds(measured) else "fail"
        if interval_missing or _interval_verdict(expectation, low, high) != "inconclusive":
            return Judgement(scenario, expectation, measured, low, high, runs, verdict)
        return Judgement(scenario, expectation, measured, low, high, runs, verdict,
                         message=f"{POINT_ESTIMATE_ONLY}: the {confidence * 100:g} % interval crosses the bound")
    if interval_missing:
        reason = too_few_runs(expectation.aggregate or "mean", runs, confidence)
        return Judgement(scenario, expectation, measured, low, high, runs, "inconclusive",
                         message=reason or f"no {confidence * 100:g} % interval")
    verdict = _interval_verdict(expectation, low, high)
    settle = None
    if verdict == "inconclusive":
        margin = min(abs(measured - bound) for bound in expectation.bounds)
        half = max(measured - low, high - measured)
        if margin > 0 and math.isfinite(half):
            settle = math.ceil(runs * (half / margin) ** 2)
    return Judgement(scenario, expectation, measured, low, high, runs, verdict, settle)


def _interval_verdict(expectation: Expectation, low: float, high: float) -> Verdict:
    """Pass if the whole interval satisfies ``expectation``, fail if the whole of it violates it."""
    if expectation.holds(low) and expectation.holds(high):
        return "pass"
    if not expectation.holds(low) and not expectation.holds(high) and not (
        expectation.operator == "between" and low < expectation.bounds[0] and high > expectation.bounds[-1]
    ):
        return "fail"
    return "inconclusive"
