"""Phases of a measurement, a metric and an analysis run, and the records of one measurement."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

__all__ = ["AnalysisPhase", "Measurement", "MeasurementError", "MeasuredValue", "normalize_value", "describe_result"]


class AnalysisPhase(StrEnum):
    """Argo's ``AnalysisPhase``: the same six words, comparable to the strings."""

    PENDING = "Pending"
    RUNNING = "Running"
    SUCCESSFUL = "Successful"
    FAILED = "Failed"
    ERROR = "Error"
    INCONCLUSIVE = "Inconclusive"

    @property
    def completed(self) -> bool:
        """Whether the phase is final (Successful, Failed, Error or Inconclusive)."""
        return self in (AnalysisPhase.SUCCESSFUL, AnalysisPhase.FAILED, AnalysisPhase.ERROR,
                        AnalysisPhase.INCONCLUSIVE)

    @property
    def severity(self) -> int:
        """Rank from best to worst, as Argo orders them: Successful, Running, Pending, Inconclusive, Error, Failed."""
        return _SEVERITY[self]


_SEVERITY = {AnalysisPhase.SUCCESSFUL: 0, AnalysisPhase.RUNNING: 1, AnalysisPhase.PENDING: 2,
             AnalysisPhase.INCONCLUSIVE: 3, AnalysisPhase.ERROR: 4, AnalysisPhase.FAILED: 5}


@dataclass(frozen=True, slots=True)
class MeasurementError:
    """A measurement that could not be taken (the query failed, the provider did not answer).

    Hand one to :meth:`AnalysisRunState.record` in place of a value; the
    measurement is then in Error with ``message`` as its reason.
    """

    message: str


MeasuredValue = float | Sequence[float] | None
"""What a provider returns: a number (a PromQL scalar), the values of a vector (possibly empty) or nothing."""


def normalize_value(value: object) -> None | float | list[float]:
    """``value`` as a condition sees it: ``None``, a float, or a list of floats (``TypeError`` otherwise)."""
    if value is None:
        return None
    if isinstance(value, bool) or isinstance(value, (str, bytes)):
        raise TypeError(f"a measured value is a number or a sequence of numbers, got {value!r}")
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, Sequence):
        items = list(value)
        if not all(isinstance(item, (int, float)) and not isinstance(item, bool) for item in items):
            raise TypeError(f"a measured vector holds numbers only, got {value!r}")
        return [float(item) for item in items]
    try:  # numpy arrays and scalars
        return normalize_value(value.tolist())  # type: ignore[attr-defined]
    except AttributeError:
        raise TypeError(f"a measured value is a number or a sequence of numbers, got {value!r}") from None


def _number(value: float) -> str:
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    return f"{value:.6g}"


def describe_result(value: None | float | Sequence[float]) -> str:
    """``result = 0.31``, ``result[0] = 0.31`` (a one-element vector), ``result = [0.1, 0.2]``, ``result = []``."""
    if value is None:
        return "result = nil"
    if isinstance(value, float):
        return f"result = {_number(value)}"
    if len(value) == 1:
        return f"result[0] = {_number(value[0])}"
    shown = ", ".join(_number(item) for item in value[:5])
    return f"result = [{shown}{', ...' if len(value) > 5 else ''}]"


@dataclass(frozen=True, slots=True)
class Measurement:
    """One measurement of a metric, taken at ``time`` (seconds of simulated time).

    ``value`` is what the provider returned (``None`` for an error or a
    job); ``message`` says why the phase is what it is, naming the value
    and the condition.
    """

    metric: str
    time: float
    phase: AnalysisPhase
    value: None | float | tuple[float, ...]
    message: str
