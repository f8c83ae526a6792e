"""Annotated field types for quantities with units (see :mod:`simulator.units`)."""

from __future__ import annotations

from typing import Annotated

from pydantic import BeforeValidator, WithJsonSchema

from simulator.units import parse_duration, parse_latency, parse_rate

__all__ = ["Duration", "Rate", "Latency", "Fraction", "Percentage"]

_NUMBER_OR_STRING = {"anyOf": [{"type": "number", "minimum": 0}, {"type": "string"}]}

Duration = Annotated[
    float,
    BeforeValidator(parse_duration),
    WithJsonSchema({**_NUMBER_OR_STRING, "description": "duration: 45s, 5m, 2h, 10d, PT5M or seconds"}),
]
"""A duration in seconds, written ``45s``, ``5m``, ``2h``, ``10d``, ``PT5M`` or a number."""

Rate = Annotated[
    float,
    BeforeValidator(parse_rate),
    WithJsonSchema({**_NUMBER_OR_STRING, "description": "rate: 200/s, 12000/min or requests per second"}),
]
"""A rate in requests per second, written ``200/s``, ``12000/min`` or a number."""

Latency = Annotated[
    float,
    BeforeValidator(parse_latency),
    WithJsonSchema({**_NUMBER_OR_STRING, "description": "latency: 40ms, 1.5s or seconds"}),
]
"""A latency in seconds, written ``40ms``, ``1.5s`` or a number."""

Fraction = Annotated[float, WithJsonSchema({"type": "number", "minimum": 0, "maximum": 1})]
"""A fraction between 0 and 1 (range checked by the model field)."""

Percentage = Annotated[float, WithJsonSchema({"type": "number", "minimum": 0, "maximum": 100})]
"""A percentage between 0 and 100 (range checked by the model field)."""
