"""Expectations of a scenario file (its ``expect`` block), parsed and judged.

::

    expect:
      confidence: 0.95                 # optional: the whole interval must hold
      canary:
        rolled_back: ">= 0.9"          # outcome rates
        decision_time.p95: "<= 20m"    # a per-run figure with an aggregate (mean, p50, p95, max); units allowed
        candidate_requests: "between 1000 and 20000"

Without ``confidence`` an expectation is judged on its point estimate. With
it, it passes only if the whole interval (Wilson for rates, Hall-corrected t
within the figure's support for means, order statistics for quantiles: see
:mod:`simulator.experiment.intervals`) satisfies it, fails if the whole
interval violates it, and is otherwise inconclusive, with an estimate of the
runs that would settle it. An interval that does not exist is inconclusive
too, and its message says why: a distribution-free 95 % interval of a p95
needs 59 runs ("too few runs for a 95 % interval of a p95: 59 needed, 20
run"), one of a median 6, one of a mean 2.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from simulator.errors import ScenarioError
from simulator.experiment.figures import FIGURES
from simulator.experiment.stats import RATES, mean_interval, quantile_interval, support_of, too_few_runs, wilson
from simulator.scenario.base import suggest
from simulator.units import parse_duration

__all__ = ["Expectation", "Judgement", "parse_expectations", "judge"]

AGGREGATES = ("mean", "p50", "p95", "max")
OPERATORS = (">=", "<=", ">", "<", "==")
Verdict = Literal["pass", "fail", "inconclusive"]
_ALIASES = {figure.removesuffix("_s"): figure for figure in FIGURES if figure.endswith("_s")}


@dataclass(frozen=True)
class Expectation:
    """One expectation: ``metric`` (with ``aggregate`` for figures) compared to ``bounds``."""

    label: str
    key: str
    metric: str
    aggregate: str | None
    operator: str
    bounds: tuple[float, ...]
    text: str
    confidence: float | None

    def holds(self, value: float) -> bool:
        """Whether ``value`` satisfies the expectation."""
        low = self.bounds[0]
        return {
            ">=": value >= low, "<=": value <= low, ">": value > low, "<": value < low,
            "==": math.isclose(value, low, rel_tol=1e-9, abs_tol=1e-12),
            "between": self.bounds[0] <= value <= self.bounds[-1],
        }[self.operator]

    @property
    def worse_is_higher(self) -> bool:
        """Whether a higher value goes against the expectation (for baselines)."""
        return self.operator in ("<=", "<")


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


def _number(text: str, metric: str, where: str) -> float:
    text = text.strip()
    try:
        if metric.endswith("_s"):
            return parse_duration(text)
        if text.endswith("%"):
            return float(text[:-1]) / 100
        return float(text)
    except ValueError:
        raise ScenarioError(f"got '{text}'; expected a number{' or a duration' if metric.endswith('_s') else ''}",
                            path=where) from None


def _parse_condition(value: Any, metric: str, where: str) -> tuple[str, tuple[float, ...]]:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return "==", (float(value),)
    text = str(value).strip()
    match = re.fullmatch(r"between\s*\[?\s*([^\s,\]]+)\s*(?:,|and)\s*([^\s\]]+)\s*\]?", text)
    if match:
        low, high = (_number(part, metric, where) for part in match.groups())
        if low > high:
            raise ScenarioError(f"got '{text}'; expected the lower bound first", path=where)
        return "between", (low, high)
    for operator in OPERATORS:
        if text.startswith(operator):
            return operator, (_number(text[len(operator):], metric, where),)
    raise ScenarioError(f"got '{text}'; expected '>= X', '<= X', '> X', '< X', '== X' or 'between X and Y'",
                        path=where)


def parse_expectations(expect: dict[str, Any], labels: list[str], *, file: str | None = None) -> list[Expectation]:
    """Parse an ``expect`` block; typos get a one-line error with a "did you mean"."""
    confidence_default = expect.get("confidence")
    known_metrics = list(RATES) + list(FIGURES) + list(_ALIASES)
    expectations = []
    for label, block in expect.items():
        if label == "confidence":
            continue
        if label not in labels:
            raise ScenarioError(f"got '{label}'; expected a strategy label{suggest(label, labels)}",
                                file=file, path=f"expect.{label}")
        if not isinstance(block, dict):
            raise ScenarioError("expected a map of expectations", file=file, path=f"expect.{label}")
        confidence = block.get("confidence", confidence_default)
        if confidence is not None and not 0 < float(confidence) < 1:
            raise ScenarioError(f"got {confidence}; expected a confidence between 0 and 1", file=file,
                                path=f"expect.{label}.confidence")
        for key, value in block.items():
            if key == "confidence":
                continue
            where = f"expect.{label}.{key}"
            metric, _, aggregate = key.partition(".")
            metric = _ALIASES.get(metric, metric)
            if metric not in known_metrics:
                raise ScenarioError(
                    f"unknown expectation '{key}'{suggest(key.partition('.')[0], known_metrics)}; expected an "
                    f"outcome rate ({', '.join(RATES)}) or a run figure with .mean/.p50/.p95/.max",
                    file=file, path=where)
            if metric in RATES:
                if aggregate:
                    raise ScenarioError(f"got '{key}'; expected a rate without an aggregate", file=file, path=where)
                aggregate_name = None
            else:
                aggregate_name = aggregate or "mean"
                if aggregate_name not in AGGREGATES:
                    raise ScenarioError(f"got aggregate '{aggregate}'{suggest(aggregate, list(AGGREGATES))}; "
                                        f"expected one of: {', '.join(AGGREGATES)}", file=file, path=where)
            try:
                operator, bounds = _parse_condition(value, metric, where)
            except ScenarioError as error:
                raise error.located(file=file) from None
            expectations.append(Expectation(label, key, metric, aggregate_name, operator, bounds, str(value),
                                            None if confidence is None else float(confidence)))
    return expectations


def _measure(expectation: Expectation, rows: pd.DataFrame, confidence: float) -> tuple[float, float, float, int]:
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
    verdict: Verdict
    settle = None
    if expectation.confidence is None:
        verdict = "pass" if expectation.holds(measured) else "fail"
    elif math.isnan(low) or math.isnan(high):
        reason = too_few_runs(expectation.aggregate or "mean", runs, confidence)
        return Judgement(scenario, expectation, measured, low, high, runs, "inconclusive",
                         message=reason or f"no {confidence * 100:g} % interval")
    elif expectation.holds(low) and expectation.holds(high):
        verdict = "pass"
    elif not expectation.holds(low) and not expectation.holds(high) and not (
        expectation.operator == "between" and low < expectation.bounds[0] and high > expectation.bounds[-1]
    ):
        verdict = "fail"
    else:
        verdict = "inconclusive"
        margin = min(abs(measured - bound) for bound in expectation.bounds)
        half = max(measured - low, high - measured)
        if margin > 0 and math.isfinite(half):
            settle = math.ceil(runs * (half / margin) ** 2)
    return Judgement(scenario, expectation, measured, low, high, runs, verdict, settle)
