"""Evaluating a checked PromQL query at one instant, with Prometheus's semantics.

Values are a scalar (a float) or an instant vector (a list of
``(labels, value)``). Rules followed, as Prometheus has them:

* an instant selector takes each series' latest sample at or before the
  evaluation time minus its offset, if no older than the lookback (5 minutes
  by default); a range selector ``[d]`` the samples in ``[t - d, t]`` (2.x)
  or ``(t - d, t]`` (3.x); the lookback window is closed or left-open alike;
* functions, arithmetic, unary minus and ``bool`` comparisons drop the
  metric name; a filtering comparison keeps the left-hand side's labels and
  value (the vector's, when the scalar is on the left);
* vector-vector operations match one to one on all labels but the name, or
  on ``on(...)`` only, or on all but ``ignoring(...)``; the result keeps the
  left-hand labels (only the ``on`` ones, or without the ``ignoring`` ones);
  a duplicate on either side is an execution error, as is a result with two
  equal label sets;
* aggregations group by the ``by`` labels, or all but the ``without`` ones
  and the name.
"""

from __future__ import annotations

import math
from datetime import timedelta
from typing import Any

import numpy as np

from simulator.prometheus.arithmetic import ARITHMETIC, apply, go_max, go_min
from simulator.prometheus.errors import QueryExecutionError
from simulator.prometheus.functions import bucket_quantile, extrapolated_rate, instant_rate
from simulator.prometheus.labels import (
    METRIC_NAME,
    LabelMatcher,
    Labels,
    format_labels,
    get,
    keep_only,
    without,
    without_name,
)
from simulator.prometheus.promql import ParsedQuery, unwrap
from simulator.prometheus.series import Series, SeriesSource

__all__ = ["evaluate", "Vector", "Value"]

Vector = list[tuple[Labels, float]]
"""An instant vector: ``(labels, value)`` per element."""

Value = Vector | float
"""What an expression evaluates to: an instant vector or a scalar."""


def _milliseconds(duration: timedelta | None) -> int:
    return 0 if duration is None else duration // timedelta(milliseconds=1)


def evaluate(query: ParsedQuery, source: SeriesSource, at: int, *, lookback: int = 300_000,
             dialect: int = 2) -> Value:
    """Value of ``query`` at ``at`` (milliseconds), reading series from ``source``.

    ``lookback`` is how old (milliseconds) an instant selector's sample may
    be; ``dialect`` is the Prometheus release line (2 or 3) whose window
    bounds and rate rules apply.
    """
    if dialect not in (2, 3):
        raise ValueError(f"dialect {dialect!r}; expected 2 or 3")
    return _Evaluation(query.text, source, at, lookback, dialect).eval(query.expr)


class _Evaluation:
    def __init__(self, text: str, source: SeriesSource, at: int, lookback: int, dialect: int) -> None:
        self.text = text
        self.source = source
        self.at = at
        self.lookback = lookback
        self.dialect = dialect
        self._selected: dict[tuple[tuple[tuple[str, str, str], ...], int], list[Series]] = {}

    def fail(self, reason: str) -> QueryExecutionError:
        return QueryExecutionError(self.text, reason)

    # -- dispatch ---------------------------------------------------------------

    def eval(self, expr: Any) -> Value:
        import promql_parser as p

        if isinstance(expr, p.NumberLiteral):
            return float(expr.val)
        if isinstance(expr, p.ParenExpr):
            return self.eval(expr.expr)
        if isinstance(expr, p.UnaryExpr):
            return self.negate(self.eval(expr.expr))
        if isinstance(expr, p.VectorSelector):
            return self.instant(expr)
        if isinstance(expr, p.AggregateExpr):
            return self.aggregate(expr)
        if isinstance(expr, p.BinaryExpr):
            return self.binary(expr)
        if isinstance(expr, p.Call):
            return self.call(expr)
        raise self.fail(f"cannot evaluate {type(expr).__name__}")  # the checker lets nothing else through

    def unique(self, vector: Vector) -> Vector:
        """``vector``, checked for two elements with one label set (after the name was dropped)."""
        seen: set[Labels] = set()
        for labels, _ in vector:
            if labels in seen:
                raise self.fail(f"vector cannot contain metrics with the same labelset {format_labels(labels)}")
            seen.add(labels)
        return vector

    # -- selectors ----------------------------------------------------------------

    def select(self, selector: Any, until: int) -> list[Series]:
        import promql_parser as p

        operators = ((p.MatchOp.Equal, "="), (p.MatchOp.NotEqual, "!="), (p.MatchOp.Re, "=~"), (p.MatchOp.NotRe, "!~"))
        spec = [(m.name, next(text for op, text in operators if m.op == op), m.value)
                for m in selector.matchers.matchers]
        if selector.name:
            spec.insert(0, (METRIC_NAME, "=", selector.name))
        key = (tuple(spec), until)  # a source may leave out samples after ``until``
        if key not in self._selected:
            matchers = [LabelMatcher(name, op, value) for name, op, value in spec]  # type: ignore[arg-type]
            self._selected[key] = self.source.select(matchers, until)
        return self._selected[key]

    def instant(self, selector: Any) -> Vector:
        reference = self.at - _milliseconds(selector.offset)
        oldest = reference - self.lookback
        out: Vector = []
        for series in self.select(selector, reference):
            index = int(np.searchsorted(series.timestamps, reference, side="right")) - 1
            if index < 0:
                continue
            stamp = int(series.timestamps[index])
            if stamp > oldest or (self.dialect == 2 and stamp == oldest):
                out.append((series.labels, float(series.values[index])))
        return out

    def window(self, matrix: Any) -> tuple[int, int, list[tuple[Labels, np.ndarray, np.ndarray]]]:
        """Range selection: window start and end (ms), and each series' samples inside it."""
        selector = matrix.vector_selector
        end = self.at - _milliseconds(selector.offset)
        start = end - _milliseconds(matrix.range)
        found = []
        for series in self.select(selector, end):
            low = int(np.searchsorted(series.timestamps, start, side="left" if self.dialect == 2 else "right"))
            high = int(np.searchsorted(series.timestamps, end, side="right"))
            if high > low:
                found.append((series.labels, series.timestamps[low:high], series.values[low:high]))
        return start, end, found

    # -- operators ------------------------------------------------------------------

    def negate(self, value: Value) -> Value:
        if isinstance(value, float):
            return -value
        return self.unique([(without_name(labels), -number) for labels, number in value])

    def aggregate(self, expr: Any) -> Vector:
        import promql_parser as p

        op = str(expr.op)
        vector = self.eval(expr.expr)
        assert isinstance(vector, list)
        modifier = expr.modifier
        groups: dict[Labels, list[float]] = {}
        for labels, value in vector:
            if modifier is None:
                key: Labels = ()
            elif modifier.type == p.AggModifierType.By:
                key = keep_only(labels, modifier.labels)
            else:
                key = without(without_name(labels), modifier.labels)
            groups.setdefault(key, []).append(value)
        return [(key, _aggregate(op, values)) for key, values in groups.items()]

    def binary(self, expr: Any) -> Value:
        import promql_parser as p

        op = str(expr.op)
        modifier = expr.modifier
        return_bool = bool(modifier is not None and modifier.return_bool)
        left, right = self.eval(expr.lhs), self.eval(expr.rhs)
        if isinstance(left, float) and isinstance(right, float):
            value, keep = apply(op, left, right)
            return float(keep) if op not in ARITHMETIC else value
        if isinstance(left, list) and isinstance(right, float):
            return self.vector_scalar(op, left, right, swapped=False, return_bool=return_bool)
        if isinstance(left, float) and isinstance(right, list):
            return self.vector_scalar(op, right, left, swapped=True, return_bool=return_bool)
        assert isinstance(left, list) and isinstance(right, list)
        on: list[str] | None = None
        ignoring: list[str] = []
        if modifier is not None and modifier.matching is not None:
            if modifier.matching.type == p.LabelModifierType.Include:
                on = list(modifier.matching.labels)
            else:
                ignoring = list(modifier.matching.labels)
        return self.vector_vector(op, left, right, on, ignoring, return_bool)

    def vector_scalar(self, op: str, vector: Vector, scalar: float, *, swapped: bool, return_bool: bool) -> Vector:
        out: Vector = []
        for labels, sample in vector:
            left, right = (scalar, sample) if swapped else (sample, scalar)
            value, keep = apply(op, left, right)
            if op not in ARITHMETIC and swapped:
                value = sample  # a filtering comparison keeps the vector's value, whichever side it is on
            if return_bool:
                value = float(keep)
            elif not keep:
                continue
            out.append((without_name(labels) if op in ARITHMETIC or return_bool else labels, value))
        return self.unique(out)

    def vector_vector(self, op: str, left: Vector, right: Vector, on: list[str] | None, ignoring: list[str],
                      return_bool: bool) -> Vector:
        if not left or not right:
            return []

        def signature(labels: Labels) -> Labels:
            if on is not None:
                return keep_only(labels, on)
            return without(without_name(labels), ignoring)

        by_signature: dict[Labels, tuple[Labels, float]] = {}
        for labels, value in right:
            key = signature(labels)
            if key in by_signature:
                raise self.fail(
                    f"found duplicate series for the match group {format_labels(key)} on the right hand-side of the "
                    f"operation: [{format_labels(labels)}, {format_labels(by_signature[key][0])}]; many-to-many "
                    "matching not allowed: matching labels must be unique on one side")
            by_signature[key] = (labels, value)
        matched: set[Labels] = set()
        out: Vector = []
        for labels, value in left:
            key = signature(labels)
            if key not in by_signature:
                continue
            result, keep = apply(op, value, by_signature[key][1])
            if return_bool:
                result = float(keep)
            elif not keep:
                continue
            metric = without_name(labels) if op in ARITHMETIC else labels
            metric = keep_only(metric, on) if on is not None else without(metric, ignoring)
            if return_bool:
                metric = without_name(metric)
            if key in matched:
                raise self.fail("multiple matches for labels: many-to-one matching must be explicit "
                                "(group_left/group_right)")
            matched.add(key)
            out.append((metric, result))
        return self.unique(out)

    # -- functions ----------------------------------------------------------------------

    def scalar_argument(self, expr: Any) -> float:
        value = self.eval(expr)
        assert isinstance(value, float)
        return value

    def vector_argument(self, expr: Any) -> Vector:
        value = self.eval(expr)
        assert isinstance(value, list)
        return value

    def call(self, expr: Any) -> Value:
        name = expr.func.name
        args = list(expr.args)
        if name in ("rate", "increase", "irate"):
            matrix = unwrap(args[0])
            start, end, found = self.window(matrix)
            range_seconds = _milliseconds(matrix.range) / 1000
            out: Vector = []
            for labels, stamps, values in found:
                if name == "irate":
                    value = instant_rate(stamps, values)
                else:
                    value = extrapolated_rate(stamps, values, start, end, range_seconds, is_rate=name == "rate",
                                              dialect=self.dialect)
                if value is not None:
                    out.append((without_name(labels), value))
            return self.unique(out)
        if name == "scalar":
            vector = self.vector_argument(args[0])
            return vector[0][1] if len(vector) == 1 else math.nan
        if name == "vector":
            return [((), self.scalar_argument(args[0]))]
        if name in ("clamp_min", "clamp_max"):
            vector = self.vector_argument(args[0])
            bound = self.scalar_argument(args[1])
            clamp = go_max if name == "clamp_min" else go_min
            return self.unique([(without_name(labels), clamp(bound, value)) for labels, value in vector])
        if name == "histogram_quantile":
            return self.histogram_quantile(self.scalar_argument(args[0]), self.vector_argument(args[1]))
        raise self.fail(f"cannot evaluate {name}()")  # the checker lets nothing else through

    def histogram_quantile(self, q: float, vector: Vector) -> Vector:
        groups: dict[Labels, list[tuple[float, float]]] = {}
        for labels, value in vector:
            bound = _parse_bound(get(labels, "le"))
            if bound is None:
                continue  # no le label, or not a number: not a bucket
            groups.setdefault(without(labels, (METRIC_NAME, "le")), []).append((bound, value))
        return [(labels, bucket_quantile(q, buckets, self.dialect)) for labels, buckets in groups.items()]


def _parse_bound(text: str) -> float | None:
    """An ``le`` value as Go's ``strconv.ParseFloat`` reads it; ``None`` where that fails."""
    if not text or text.strip() != text or "_" in text:
        return None
    try:
        return float(text)
    except ValueError:
        return None


def _aggregate(op: str, values: list[float]) -> float:
    if op == "count":
        return float(len(values))
    if op == "sum":
        total = values[0]
        for value in values[1:]:
            total += value
        return total
    if op == "avg":
        # Prometheus's running mean (divides before subtracting so that large values do not overflow).
        mean = values[0]
        for count, value in enumerate(values[1:], start=2):
            if math.isinf(mean):
                if math.isinf(value) and (mean > 0) == (value > 0):
                    continue
                if not math.isinf(value) and not math.isnan(value):
                    continue
            mean += value / count - mean / count
        return mean
    best = values[0]
    for value in values[1:]:
        if math.isnan(best) or (value > best if op == "max" else value < best):
            best = value
    return best
