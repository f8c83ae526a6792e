"""The language of an ``expect`` block: figure names, aggregates, conditions and their units.

Parsing needs no simulation, so ``rollout-sim validate`` uses this module
without loading the experiment layer (pandas, scipy): the names of the
figures are repeated here, and ``tests/check/test_expectation_syntax.py``
checks that they are the experiment layer's.

Each expectation keeps the unit its bound was written in (``20m``, ``90%``),
so that a measured value is shown in the same unit: ``decision_time.p95 <=
20m — measured 22m``, not ``1320``.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

from simulator.errors import ScenarioError
from simulator.scenario.base import suggest
from simulator.scenario.expect_block import check_confidence
from simulator.scenario.validation_errors import one_line
from simulator.units import parse_duration

__all__ = [
    "AGGREGATES", "OPERATORS", "RATE_NAMES", "FIGURE_NAMES", "FIGURE_ALIASES", "REGION_FIGURE_NAMES", "Expectation",
    "parse_expectations", "expectation_problems", "expectation_key_names",
]

AGGREGATES = ("mean", "p50", "p95", "max")
"""How a per-run figure is summarised over the runs."""

OPERATORS = (">=", "<=", ">", "<", "==")

RATE_NAMES = ("promoted", "rolled_back", "incomplete", "right_decision", "false_rollback", "missed_regression",
              "drift_detected")
"""Yes/no outcomes of a run, judged as rates over the runs (fraction 0-1); ``simulator.experiment`` ``RATES``."""

FIGURE_NAMES = (
    "decision_time_s", "duration_s", "window_s", "requests", "failed_requests", "candidate_requests",
    "candidate_share", "candidate_failed_requests", "excess_failed_requests", "wrong_predictions",
    "excess_wrong_predictions", "slow_requests", "replica_seconds", "extra_replica_seconds", "slo_violation_minutes",
    "blast_radius_users", "blast_radius_requests",
)
"""Numeric per-run figures (``simulator.experiment`` ``FIGURES``); those ending in ``_s`` are seconds."""

REGION_FIGURE_NAMES = (
    "requests", "failed_requests", "candidate_requests", "candidate_failed_requests", "excess_failed_requests",
    "wrong_predictions", "excess_wrong_predictions", "replica_seconds", "blast_radius_users", "blast_radius_requests",
)
"""Figures each region has (``simulator.experiment`` ``REGION_FIGURES``), named ``regions.NAME.FIGURE``."""

_REGION_KEY = re.compile(r"regions\.([A-Za-z][A-Za-z0-9_-]*)\.([A-Za-z_]+)(?:\.(.*))?", re.DOTALL)

FIGURE_ALIASES = {figure.removesuffix("_s"): figure for figure in FIGURE_NAMES if figure.endswith("_s")}
"""``decision_time`` for ``decision_time_s``: a duration figure may be named without its unit."""

_SECONDS_PER_UNIT = {"us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "sec": 1.0, "m": 60.0, "min": 60.0,
                     "h": 3600.0, "d": 86400.0, "w": 604800.0}
_UNIT_RE = re.compile(r"^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?\s*(us|µs|ms|sec|min|s|m|h|d|w)$")
_BETWEEN_RE = re.compile(r"between\s*\[?\s*([^\s,\]]+)\s*(?:,|and)\s*([^\s\]]+)\s*\]?")


@dataclass(frozen=True)
class Expectation:
    """One expectation: ``metric`` (with ``aggregate`` for figures) compared to ``bounds``.

    ``bounds`` are in the figure's own unit (seconds for ``*_s`` figures, a
    fraction 0-1 for rates); ``unit`` is the unit the bound was written in
    (``m``, ``h``, ``%``; empty for a bare number), used to show values.
    """

    label: str
    key: str
    metric: str
    aggregate: str | None
    operator: str
    bounds: tuple[float, ...]
    text: str
    confidence: float | None
    unit: str = ""

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

    def format_value(self, value: float) -> str:
        """``value`` (in the figure's own unit) in the unit of the bound: ``22m`` for 1320 s under ``<= 20m``."""
        if math.isnan(value):
            return "-"
        if self.unit == "%":
            return f"{value * 100:.4g}%"
        if self.unit in _SECONDS_PER_UNIT:
            return f"{value / _SECONDS_PER_UNIT[self.unit]:.4g}{self.unit}"
        if self.metric.endswith("_s"):
            return f"{value:.4g}s"
        return f"{value:.4g}"


def expectation_key_names() -> list[str]:
    """Every name an expectation may have before an aggregate: rates, figures and their unit-less aliases.

    A region's figure is ``regions.*.FIGURE``, ``*`` standing for the region's name.
    """
    return (list(RATE_NAMES) + list(FIGURE_NAMES) + list(FIGURE_ALIASES)
            + [f"regions.*.{figure}" for figure in REGION_FIGURE_NAMES])


def _unit_of(text: str, metric: str) -> str:
    text = text.strip()
    if text.endswith("%"):
        return "%"
    match = _UNIT_RE.match(text)
    return match.group(1) if match and metric.endswith("_s") else ""


def _number(text: str, metric: str, where: str) -> float:
    text = text.strip()
    expected = f"a number{' or a duration (20m, 1h, or seconds)' if metric.endswith('_s') else ''}"
    try:
        if metric.endswith("_s"):
            value = parse_duration(text)
        elif text.endswith("%"):
            value = float(text[:-1]) / 100
        else:
            value = float(text)
    except ValueError:
        raise ScenarioError(f"got '{one_line(text[:60])}'; expected {expected}", path=where) from None
    if not math.isfinite(value):
        raise ScenarioError(f"got '{one_line(text[:60])}'; expected {expected} that is finite", path=where)
    return value


def _finite(value: int | float, where: str) -> float:
    """A number written as the bound itself (``promoted: 1``), as a finite float."""
    try:
        number = float(value)
    except OverflowError:
        number = math.inf
    if not math.isfinite(number):
        raise ScenarioError("got a number too large or not finite; expected a finite number", path=where)
    return number


def _parse_condition(value: Any, metric: str, where: str) -> tuple[str, tuple[float, ...], str]:
    """Operator, bounds (the figure's own unit) and the unit the bound was written in."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return "==", (_finite(value, where),), ""
    text = str(value).strip()
    match = _BETWEEN_RE.fullmatch(text)
    if match:
        low, high = (_number(part, metric, where) for part in match.groups())
        if low > high:
            raise ScenarioError(f"got '{one_line(text)}'; expected the lower bound first", path=where)
        return "between", (low, high), _unit_of(match.group(2), metric)
    for operator in OPERATORS:
        if text.startswith(operator):
            bound = text[len(operator):]
            return operator, (_number(bound, metric, where),), _unit_of(bound, metric)
    raise ScenarioError(f"got '{one_line(text)}'; expected '>= X', '<= X', '> X', '< X', '== X' or "
                        "'between X and Y'", path=where)


def _parse_one(label: str, key: Any, value: Any, confidence: float | None) -> Expectation:
    where = f"expect.{one_line(label)}.{one_line(str(key))}"
    key = str(key)
    metric, _, aggregate = key.partition(".")
    metric = FIGURE_ALIASES.get(metric, metric)
    known = expectation_key_names()
    region = _REGION_KEY.fullmatch(key) if metric == "regions" else None
    if metric == "regions":
        figure = region.group(2) if region else ""
        if region is None or figure not in REGION_FIGURE_NAMES:
            raise ScenarioError(
                f"unknown expectation '{one_line(key)}'{suggest(figure, list(REGION_FIGURE_NAMES))}; expected "
                f"regions.REGION.FIGURE with a figure of: {', '.join(REGION_FIGURE_NAMES)}, then .mean/.p50/.p95/.max",
                path=where)
        metric, aggregate = f"regions.{region.group(1)}.{figure}", region.group(3) or ""
    elif metric not in known:
        raise ScenarioError(
            f"unknown expectation '{one_line(key)}'{suggest(key.partition('.')[0], known)}; expected an "
            f"outcome rate ({', '.join(RATE_NAMES)}) or a run figure with .mean/.p50/.p95/.max", path=where)
    aggregate_name: str | None
    if metric in RATE_NAMES:
        if aggregate:
            raise ScenarioError(f"got '{one_line(key)}'; expected a rate without an aggregate", path=where)
        aggregate_name = None
    else:
        aggregate_name = aggregate or "mean"
        if aggregate_name not in AGGREGATES:
            raise ScenarioError(f"got aggregate '{one_line(aggregate)}'{suggest(aggregate, list(AGGREGATES))}; "
                                f"expected one of: {', '.join(AGGREGATES)}", path=where)
    operator, bounds, unit = _parse_condition(value, metric, where)
    return Expectation(label, key, metric, aggregate_name, operator, bounds, str(value), confidence, unit)


def _parse(expect: Any, labels: list[str]) -> tuple[list[Expectation], list[ScenarioError]]:
    """Every expectation that parses, and a problem for every one that does not (in file order)."""
    expectations: list[Expectation] = []
    problems: list[ScenarioError] = []
    if expect is None:
        return expectations, problems
    if not isinstance(expect, dict):
        return expectations, [ScenarioError("expected a map from a strategy label to its expectations",
                                            path="expect")]
    confidence_default: float | None = None
    if "confidence" in expect:
        try:
            confidence_default = check_confidence(expect["confidence"], "expect.confidence")
        except ScenarioError as error:
            problems.append(error)
    for label, block in expect.items():
        if label == "confidence":
            continue
        label = str(label)
        path = f"expect.{one_line(label)}"
        if label not in labels:
            problems.append(ScenarioError(f"got '{one_line(label)}'{suggest(label, labels)}; expected a strategy "
                                          f"label of this scenario: {', '.join(labels)}", path=path))
        if not isinstance(block, dict):
            problems.append(ScenarioError("expected a map of expectations", path=path))
            continue
        confidence = confidence_default
        if "confidence" in block:
            try:
                confidence = check_confidence(block["confidence"], f"{path}.confidence")
            except ScenarioError as error:
                problems.append(error)
        for key, value in block.items():
            if key == "confidence":
                continue
            try:
                expectation = _parse_one(label, key, value, confidence)
            except ScenarioError as error:
                problems.append(error)
                continue
            if label in labels:
                expectations.append(expectation)
    return expectations, problems


def _located(problem: ScenarioError, file: str | None) -> ScenarioError:
    """``problem`` in ``file``, on one line whatever names it quotes (a label may hold a line break)."""
    return ScenarioError(one_line(problem.reason), file=file or problem.file,
                         path=one_line(problem.path) if problem.path else None, value=problem.value,
                         expected=problem.expected)


def expectation_problems(expect: Any, labels: list[str], *, file: str | None = None) -> list[ScenarioError]:
    """Every problem of an ``expect`` block, one :class:`ScenarioError` each (empty when it is sound)."""
    return [_located(problem, file) for problem in _parse(expect, labels)[1]]


def parse_expectations(expect: dict[str, Any], labels: list[str], *, file: str | None = None) -> list[Expectation]:
    """Parse an ``expect`` block; the first problem is raised as a one-line error with a "did you mean"."""
    expectations, problems = _parse(expect, labels)
    if problems:
        raise _located(problems[0], file)
    return expectations
