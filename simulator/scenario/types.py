"""Annotated field types for quantities with units (see :mod:`simulator.units`) and plain numbers.

Every type here rejects ``true``/``false`` (YAML would otherwise read
``rate: true`` as 1), NaN and infinities; durations, rates and latencies
also have an upper bound (:mod:`simulator.scenario.limits`).

Units, as written in a file (:func:`written_input`):

* A duration or latency carries its unit (``300s``, ``5m``, ``40ms``): a
  bare number other than 0 is an error that suggests the unit, since
  ``latency: {p50: 28}`` means 28 ms to whoever wrote it and 28 s to a
  reader of seconds. A scenario the package dumps itself (numbers in
  seconds) loads back unchanged: the rule applies to written input only.
* Shares follow one convention: a key named for a percentage
  (``initialPercentage``, ``incrementStep``, ``steps``, ``shiftSteps``,
  ``mirrorPercentage``, judge scores) takes 0-100, every other share
  (``splitRatio``, ``fraction``, accuracies, error rates) a fraction 0-1;
  both take a percent string (``"25%"``), which means the same in either.
  A fraction above 1 is an error with the fraction it may mean; a
  percentage below 1 is allowed but warned about
  (:mod:`simulator.world.scenario_warnings`).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Annotated, Any, get_args

from pydantic import AfterValidator, BeforeValidator, WithJsonSchema
from pydantic.fields import FieldInfo

from simulator.scenario.limits import MAX_DURATION, MAX_LATENCY, MAX_RATE
from simulator.scenario.validation_errors import format_limit
from simulator.units import parse_duration, parse_latency, parse_rate

__all__ = [
    "Duration", "Rate", "Latency", "Fraction", "Percentage", "Number", "Count", "at_most", "written_input",
    "PERCENT_KEY", "TIME_KEY", "field_has",
]

_WRITTEN: ContextVar[bool] = ContextVar("written_input", default=False)


@contextmanager
def written_input() -> Iterator[None]:
    """Validate inside this block as a file a person wrote: durations and latencies need their unit."""
    token = _WRITTEN.set(True)
    try:
        yield
    finally:
        _WRITTEN.reset(token)


def _is_bare_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and value != 0


def _duration_hint(value: float) -> str:
    """Units a bare duration may have meant: ``300`` -> ``300s or 5m``."""
    hints = [f"{value:g}s"]
    if value >= 60 and value % 60 == 0:
        hints.append(f"{value / 60:g}m")
    elif value < 1:
        hints.append(f"{value * 1000:g}ms")
    return " or ".join(hints)


def _latency_hint(value: float) -> str:
    """Units a bare latency may have meant: ``28`` -> ``28ms or 28s``, ``0.04`` -> ``40ms``."""
    if value < 1:
        return f"{value * 1000:g}ms"
    return f"{value:g}ms or {value:g}s"


def _with_unit(parse: Callable[[object], float], what: str, hint: Callable[[float], str]) -> Callable[[object], float]:
    """``parse``, but in written input a bare number other than 0 is an error suggesting the unit."""

    def parse_written(value: object) -> float:
        if _WRITTEN.get() and _is_bare_number(value):
            try:
                number = float(value)  # type: ignore[arg-type]
            except OverflowError:  # an int too large for a float: the parser says what is wrong with it
                number = math.inf
            if math.isfinite(number) and number > 0:
                raise ValueError(f"expected {what} with its unit, such as {hint(number)} (a bare number has none)")
        return parse(value)

    return parse_written


def at_most(parse: Callable[[object], float], limit: float, unit: str) -> Callable[[object], float]:
    """``parse``, then reject a result above ``limit`` (in ``unit``) with a message that says so."""

    def parse_bounded(value: object) -> float:
        result = parse(value)
        if result > limit:
            raise ValueError(f"expected at most {format_limit(limit)} {unit}")
        return result

    return parse_bounded


class _KeyMarker:
    """Metadata that marks the fields of one kind of quantity (found with :func:`field_has`)."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return self.name


PERCENT_KEY = _KeyMarker("PERCENT_KEY")
"""Metadata of :data:`Percentage` fields: a value below 1 is warned about."""

TIME_KEY = _KeyMarker("TIME_KEY")
"""Metadata of :data:`Duration` and :data:`Latency` fields: seconds in the model, a unit when written."""


def _annotation_has(annotation: Any, marker: _KeyMarker) -> bool:
    if marker in getattr(annotation, "__metadata__", ()):
        return True
    return any(_annotation_has(argument, marker) for argument in get_args(annotation))


def field_has(field: FieldInfo, marker: _KeyMarker) -> bool:
    """Whether a model field is of the kind ``marker`` marks (also ``X | None`` and ``list[X]``)."""
    return marker in field.metadata or _annotation_has(field.annotation, marker)


def _not_a_bool(value: Any) -> Any:
    if isinstance(value, bool):
        raise ValueError("expected a number, not true/false")
    return value


def _whole(value: Any) -> Any:
    """Booleans rejected; a float with no fraction (``1e30``) as the int it is, so bounds can name it."""
    _not_a_bool(value)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _positive_zero(value: float) -> float:
    return value + 0.0  # -0.0 becomes 0.0


def _schema(maximum: float, description: str, *, unit_required: bool = False) -> WithJsonSchema:
    """A quantity as written: text with a unit, or a number (only 0 where the unit is required)."""
    number = {"type": "number", "minimum": 0, "maximum": 0 if unit_required else maximum}
    return WithJsonSchema({"anyOf": [number, {"type": "string"}], "description": description})


Number = Annotated[float, BeforeValidator(_not_a_bool), AfterValidator(_positive_zero)]
"""A finite number; ``true``/``false`` are not numbers."""

Count = Annotated[int, BeforeValidator(_whole)]
"""A whole number; ``true``/``false`` are not numbers."""

Duration = Annotated[
    float,
    BeforeValidator(_with_unit(at_most(parse_duration, MAX_DURATION, "seconds (10 years)"), "a duration",
                               _duration_hint)),
    TIME_KEY,
    _schema(MAX_DURATION, "duration with its unit: 45s, 5m, 2h, 10d, PT5M (0 needs none)", unit_required=True),
]
"""A duration in seconds, written ``45s``, ``5m``, ``2h``, ``10d`` or ``PT5M``; at most 10 years."""

Rate = Annotated[
    float,
    BeforeValidator(at_most(parse_rate, MAX_RATE, "requests/s")),
    _schema(MAX_RATE, "rate: 200/s, 12000/min or requests per second"),
]
"""A rate in requests per second, written ``200/s``, ``12000/min`` or a number; at most 1e7/s."""

Latency = Annotated[
    float,
    BeforeValidator(_with_unit(at_most(parse_latency, MAX_LATENCY, "seconds (1 day)"), "a latency",
                               _latency_hint)),
    TIME_KEY,
    _schema(MAX_LATENCY, "latency with its unit: 40ms, 1.5s (0 needs none)", unit_required=True),
]
"""A latency in seconds, written ``40ms`` or ``1.5s``; at most 1 day."""

_PERCENT_TEXT = re.compile(r"^\s*([+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?)\s*%\s*$")


def _percent_text(value: object) -> float | None:
    """``"25%"`` as 25.0; ``None`` for anything else."""
    if isinstance(value, str) and len(value) <= 64:
        match = _PERCENT_TEXT.match(value)
        if match:
            return float(match.group(1))
    return None


def _fraction(value: Any) -> Any:
    """A fraction: ``"25%"`` is 0.25; a bare number from 2 to 100 is an error naming the fraction it may mean."""
    percent = _percent_text(value)
    if percent is not None:
        return percent / 100
    _not_a_bool(value)
    if isinstance(value, (int, float)) and 2 <= value <= 100:  # 1.4 is more likely a slip than 1.4 %
        raise ValueError(f"expected a fraction from 0 to 1 (this key is a share, not a percentage): did you mean "
                         f"{value / 100:g} or '{value:g}%'?")
    return value


def _percentage(value: Any) -> Any:
    """A percentage: ``"25%"`` is 25; a number as it is (below 1 is warned about, not refused)."""
    percent = _percent_text(value)
    return percent if percent is not None else value



_SHARE_TEXT = {"type": "string", "pattern": r"^\s*[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?\s*%\s*$"}

Fraction = Annotated[
    Number,
    BeforeValidator(_fraction),
    WithJsonSchema({"anyOf": [{"type": "number", "minimum": 0, "maximum": 1}, _SHARE_TEXT],
                    "description": "fraction 0-1, or a percent such as '25%'"}),
]
"""A fraction between 0 and 1, written ``0.25`` or ``"25%"`` (range checked by the model field)."""

Percentage = Annotated[
    Number,
    BeforeValidator(_percentage),
    PERCENT_KEY,
    WithJsonSchema({"anyOf": [{"type": "number", "minimum": 0, "maximum": 100}, _SHARE_TEXT],
                    "description": "percentage 0-100, or '25%'"}),
]
"""A percentage between 0 and 100, written ``25`` or ``"25%"`` (range checked by the model field)."""
