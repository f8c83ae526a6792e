"""Parsing a PromQL query and checking that the evaluator implements every part of it.

The query is parsed by the ``promql-parser`` package (a PromQL parser that
follows Prometheus's grammar and type rules) and the whole tree is checked
before anything is evaluated, so an unsupported function is reported even
where evaluation would never reach it (a branch with no series).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Literal

from simulator.prometheus.arithmetic import ARITHMETIC, COMPARISONS
from simulator.prometheus.errors import PromQLSyntaxError, UnsupportedPromQLError

__all__ = ["ParsedQuery", "parse_query", "FUNCTIONS", "AGGREGATIONS", "RANGE_FUNCTIONS"]

RANGE_FUNCTIONS = ("rate", "irate", "increase")
"""Functions of a range vector."""

FUNCTIONS = (*RANGE_FUNCTIONS, "histogram_quantile", "scalar", "vector", "clamp_min", "clamp_max")
"""Every function the evaluator implements."""

AGGREGATIONS = ("sum", "avg", "min", "max", "count")
"""Aggregation operators the evaluator implements."""

ValueKind = Literal["scalar", "vector", "matrix"]


@dataclass(frozen=True, slots=True)
class ParsedQuery:
    """A parsed query that uses only what the evaluator implements.

    ``kind`` is the type of its result: ``"vector"`` or ``"scalar"``.
    """

    text: str
    expr: Any
    kind: Literal["vector", "scalar"]


def parse_query(text: str) -> ParsedQuery:
    """Parse ``text`` and check it; raises :class:`PromQLSyntaxError` or :class:`UnsupportedPromQLError`."""
    return _parse(text)


@lru_cache(maxsize=512)
def _parse(text: str) -> ParsedQuery:
    import promql_parser

    try:
        expr = promql_parser.parse(text)
    except ValueError as error:
        raise PromQLSyntaxError(text, str(error)) from None
    kind = _Checker(text).kind(expr)
    if kind == "matrix":
        raise UnsupportedPromQLError(text, "a range vector as the query's result (give it to rate, irate or "
                                           "increase)")
    return ParsedQuery(text, expr, kind)


def unwrap(expr: Any) -> Any:
    """``expr`` without enclosing parentheses."""
    import promql_parser

    while isinstance(expr, promql_parser.ParenExpr):
        expr = expr.expr
    return expr


class _Checker:
    """Walks a parsed query; returns each node's value type, raises on what is not implemented."""

    def __init__(self, text: str) -> None:
        self.text = text

    def unsupported(self, construct: str) -> UnsupportedPromQLError:
        return UnsupportedPromQLError(self.text, construct)

    def kind(self, expr: Any) -> ValueKind:
        import promql_parser as p

        if isinstance(expr, p.NumberLiteral):
            return "scalar"
        if isinstance(expr, p.StringLiteral):
            raise self.unsupported(f"the string literal {expr.val!r}")
        if isinstance(expr, p.ParenExpr):
            return self.kind(expr.expr)
        if isinstance(expr, p.UnaryExpr):
            inner = self.kind(expr.expr)
            if inner == "matrix":
                raise self.unsupported("unary minus on a range vector")
            return inner
        if isinstance(expr, p.VectorSelector):
            self.selector(expr)
            return "vector"
        if isinstance(expr, p.MatrixSelector):
            self.selector(expr.vector_selector)
            return "matrix"
        if isinstance(expr, p.SubqueryExpr):
            raise self.unsupported("a subquery ([range:step])")
        if isinstance(expr, p.AggregateExpr):
            return self.aggregate(expr)
        if isinstance(expr, p.BinaryExpr):
            return self.binary(expr)
        if isinstance(expr, p.Call):
            return self.call(expr)
        raise self.unsupported(f"the expression {type(expr).__name__}")

    def selector(self, selector: Any) -> None:
        if selector.at is not None:
            raise self.unsupported("the @ modifier")
        if selector.matchers.or_matchers:
            raise self.unsupported("'or' between label matchers")
        import promql_parser as p

        for matcher in selector.matchers.matchers:
            if matcher.op in (p.MatchOp.Re, p.MatchOp.NotRe):
                try:
                    re.compile(matcher.value)
                except re.error as error:
                    raise self.unsupported(f"the regular expression {matcher.value!r} ({error})") from None

    def aggregate(self, expr: Any) -> ValueKind:
        op = str(expr.op)
        if op not in AGGREGATIONS:
            raise self.unsupported(f"the aggregation {op}()")
        self.kind(expr.expr)
        return "vector"

    def binary(self, expr: Any) -> ValueKind:
        import promql_parser as p

        op = str(expr.op)
        if op in ("and", "or", "unless"):
            raise self.unsupported(f"the set operator '{op}'")
        if op not in ARITHMETIC and op not in COMPARISONS:
            raise self.unsupported(f"the binary operator '{op}'")
        modifier = expr.modifier
        if modifier is not None:
            if modifier.card in (p.VectorMatchCardinality.ManyToOne, p.VectorMatchCardinality.OneToMany):
                raise self.unsupported("group_left/group_right (many-to-one matching)")
            fill = modifier.fill_values
            if fill is not None and (fill.lhs is not None or fill.rhs is not None):
                raise self.unsupported("fill modifiers of vector matching")
        left, right = self.kind(expr.lhs), self.kind(expr.rhs)
        if "matrix" in (left, right):
            raise self.unsupported(f"a range vector as an operand of '{op}'")
        return "scalar" if left == right == "scalar" else "vector"

    def call(self, expr: Any) -> ValueKind:
        import promql_parser as p

        name = expr.func.name
        if name not in FUNCTIONS:
            raise self.unsupported(f"the function {name}()")
        args = list(expr.args)
        if name in RANGE_FUNCTIONS:
            inner = unwrap(args[0])
            if isinstance(inner, p.SubqueryExpr):
                raise self.unsupported(f"a subquery ([range:step]) as the argument of {name}()")
            if not isinstance(inner, p.MatrixSelector):
                raise self.unsupported(f"{name}() of anything but a range selector")
            self.kind(inner)
            return "vector"
        kinds = [self.kind(arg) for arg in args]
        if "matrix" in kinds:
            raise self.unsupported(f"a range vector as an argument of {name}()")
        return "scalar" if name == "scalar" else "vector"
