"""Errors of the simulated Prometheus.

A query that cannot be parsed or asks for something the evaluator does not
implement is bad input, like a bad scenario value: :class:`PromQLError`, a
:class:`~simulator.errors.ScenarioError`, so the CLI exits 2 on it. A valid
query that fails on the data it meets (two series left with one label set,
ambiguous vector matching) is what a real Prometheus answers with an
execution error; :class:`QueryExecutionError` stands for that, and a caller
treats it as the tool it imitates treats a failed query.
"""

from __future__ import annotations

from simulator.errors import ScenarioError, SimulatorError

__all__ = ["PromQLError", "PromQLSyntaxError", "UnsupportedPromQLError", "QueryExecutionError", "SUPPORTED"]

SUPPORTED = (
    "instant selectors with =, !=, =~, !~ matchers and offset; range selectors [d] as the argument of rate, irate "
    "or increase; sum, avg, min, max, count with by/without; histogram_quantile, scalar, vector, clamp_min, "
    "clamp_max; + - * / % ^ and == != > < >= <= (with bool) between vectors (on/ignoring, one-to-one) and scalars; "
    "unary minus, number literals, parentheses"
)
"""What the evaluator implements, for error messages and documentation."""


class PromQLError(ScenarioError):
    """A query that cannot be evaluated here: it does not parse, or uses something unsupported."""

    def __init__(self, message: str, *, query: str) -> None:
        self.query = query
        super().__init__(message, value=query)


class PromQLSyntaxError(PromQLError):
    """The PromQL parser rejected the query."""

    def __init__(self, query: str, reason: str) -> None:
        super().__init__(f"PromQL query {query!r} does not parse: {reason}", query=query)


class UnsupportedPromQLError(PromQLError):
    """The query parses but uses a function or construct the evaluator does not implement."""

    def __init__(self, query: str, construct: str) -> None:
        self.construct = construct
        super().__init__(f"PromQL query {query!r} uses {construct}, which the simulated Prometheus does not "
                         f"support; supported: {SUPPORTED}", query=query)


class QueryExecutionError(SimulatorError):
    """A valid query failed on the series it met, as Prometheus fails it (an execution error, HTTP 422)."""

    def __init__(self, query: str, reason: str) -> None:
        self.query = query
        self.reason = reason
        super().__init__(f"PromQL query {query!r} failed: {reason}")
