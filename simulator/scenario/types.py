"""Annotated field types for quantities with units (see :mod:`simulator.units`) and plain numbers.

Every type here rejects ``true``/``false`` (YAML would otherwise read
``rate: true`` as 1), NaN and infinities; durations, rates and latencies
also have an upper bound (:mod:`simulator.scenario.limits`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, WithJsonSchema

from simulator.scenario.limits import MAX_DURATION, MAX_LATENCY, MAX_RATE
from simulator.scenario.validation_errors import format_limit
from simulator.units import parse_duration, parse_latency, parse_rate

__all__ = ["Duration", "Rate", "Latency", "Fraction", "Percentage", "Number", "Count", "at_most"]


def at_most(parse: Callable[[object], float], limit: float, unit: str) -> Callable[[object], float]:
    """``parse``, then reject a result above ``limit`` (in ``unit``) with a message that says so."""

    def parse_bounded(value: object) -> float:
        result = parse(value)
        if result > limit:
            raise ValueError(f"expected at most {format_limit(limit)} {unit}")
        return result

    return parse_bounded


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


def _schema(maximum: float, description: str) -> WithJsonSchema:
    number = {"type": "number", "minimum": 0, "maximum": maximum}
    return WithJsonSchema({"anyOf": [number, {"type": "string"}], "description": description})


Number = Annotated[float, BeforeValidator(_not_a_bool), AfterValidator(_positive_zero)]
"""A finite number; ``true``/``false`` are not numbers."""

Count = Annotated[int, BeforeValidator(_whole)]
"""A whole number; ``true``/``false`` are not numbers."""

Duration = Annotated[
    float,
    BeforeValidator(at_most(parse_duration, MAX_DURATION, "seconds (10 years)")),
    _schema(MAX_DURATION, "duration: 45s, 5m, 2h, 10d, PT5M or seconds"),
]
"""A duration in seconds, written ``45s``, ``5m``, ``2h``, ``10d``, ``PT5M`` or a number; at most 10 years."""

Rate = Annotated[
    float,
    BeforeValidator(at_most(parse_rate, MAX_RATE, "requests/s")),
    _schema(MAX_RATE, "rate: 200/s, 12000/min or requests per second"),
]
"""A rate in requests per second, written ``200/s``, ``12000/min`` or a number; at most 1e7/s."""

Latency = Annotated[
    float,
    BeforeValidator(at_most(parse_latency, MAX_LATENCY, "seconds (1 day)")),
    _schema(MAX_LATENCY, "latency: 40ms, 1.5s or seconds"),
]
"""A latency in seconds, written ``40ms``, ``1.5s`` or a number; at most 1 day."""

Fraction = Annotated[Number, WithJsonSchema({"type": "number", "minimum": 0, "maximum": 1})]
"""A fraction between 0 and 1 (range checked by the model field)."""

Percentage = Annotated[Number, WithJsonSchema({"type": "number", "minimum": 0, "maximum": 100})]
"""A percentage between 0 and 100 (range checked by the model field)."""
