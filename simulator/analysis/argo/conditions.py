"""A measured value judged by a metric's ``successCondition`` and ``failureCondition``, as Argo does.

Both conditions are evaluated (the success condition first); either one
failing to evaluate, or giving something other than a bool, makes the
measurement an Error. Then:

============================  =====================================================
conditions given              measurement
============================  =====================================================
neither                       Successful (Argo's code; its docs call this Inconclusive)
success only                  Successful if it holds, else Failed
failure only                  Failed if it holds, else Successful
both                          Failed if the failure condition holds (whatever the
                              success condition says), else Successful if the success
                              condition holds, else Inconclusive
============================  =====================================================
"""

from __future__ import annotations

from dataclasses import dataclass

from simulator.analysis.argo.expr_ast import Node
from simulator.analysis.argo.expr_eval import ExpressionEvalError, evaluate, type_name
from simulator.analysis.argo.expr_parser import parse_expression
from simulator.analysis.argo.phases import AnalysisPhase, describe_result

__all__ = ["Condition", "judge_value"]


@dataclass(frozen=True, slots=True)
class Condition:
    """A parsed condition and the text it was written as."""

    source: str
    tree: Node

    @classmethod
    def parse(cls, source: str) -> Condition:
        """Parse ``source``; raises :class:`~simulator.analysis.argo.expr_lexer.ExpressionSyntaxError`."""
        return cls(source, parse_expression(source))

    def holds(self, result: None | float | list[float]) -> bool:
        """Whether the condition is true for ``result``; :class:`ExpressionEvalError` if it cannot say."""
        value = evaluate(self.tree, result)
        if not isinstance(value, bool):
            raise ExpressionEvalError(f"expected bool, but the expression gives {type_name(value)}")
        return value


def _evaluate(condition: Condition, kind: str, result: None | float | list[float]) -> bool | str:
    """The condition's verdict, or the reason it has none."""
    try:
        return condition.holds(result)
    except ExpressionEvalError as error:
        empty = result is None or (isinstance(result, list) and not result)
        why = " (the query returned no data)" if empty else ""
        return f"{kind} '{condition.source}' could not be evaluated for {describe_result(result)}: {error}{why}"


def judge_value(result: None | float | list[float], success: Condition | None,
                failure: Condition | None) -> tuple[AnalysisPhase, str]:
    """The phase of one measurement of ``result`` and a sentence saying why."""
    shown = describe_result(result)
    if success is None and failure is None:
        return AnalysisPhase.SUCCESSFUL, f"{shown} (no condition: every measurement succeeds)"
    succeeded = _evaluate(success, "successCondition", result) if success is not None else None
    if isinstance(succeeded, str):
        return AnalysisPhase.ERROR, succeeded
    failed = _evaluate(failure, "failureCondition", result) if failure is not None else None
    if isinstance(failed, str):
        return AnalysisPhase.ERROR, failed
    if failure is None:
        assert success is not None
        if succeeded:
            return AnalysisPhase.SUCCESSFUL, f"{shown} meets '{success.source}'"
        return AnalysisPhase.FAILED, f"{shown} fails '{success.source}'"
    if failed:
        return AnalysisPhase.FAILED, f"{shown} meets failureCondition '{failure.source}'"
    if success is None:
        return AnalysisPhase.SUCCESSFUL, f"{shown} does not meet failureCondition '{failure.source}'"
    if succeeded:
        return AnalysisPhase.SUCCESSFUL, f"{shown} meets successCondition '{success.source}'"
    return (AnalysisPhase.INCONCLUSIVE,
            f"{shown} meets neither successCondition '{success.source}' nor failureCondition '{failure.source}'")
