"""Durations as Argo Rollouts reads them: Go's ``time.ParseDuration`` syntax.

A duration is a sequence of decimal numbers, each with an optional fraction
and a unit: ``500ms``, ``30s``, ``1m``, ``1h30m``, ``1.5h``. Units are
``ns``, ``us`` (or ``µs``), ``ms``, ``s``, ``m`` and ``h``; there are no days.
``0`` needs no unit. Unlike Go, a sign is refused: a negative interval or
delay means nothing in a manifest.
"""

from __future__ import annotations

import re

__all__ = ["parse_go_duration", "GO_DURATION_EXPECTED"]

GO_DURATION_EXPECTED = "a duration such as 30s, 5m, 1h30m or 500ms (units ns, us, ms, s, m, h)"

_SECONDS_PER_UNIT = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "μs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}
_PART = re.compile(r"(\d+\.?\d*|\.\d+)(ns|us|µs|μs|ms|s|m|h)")
_MAX_TEXT = 64


def parse_go_duration(text: str) -> float:
    """``text`` (``1m30s``) in seconds; :class:`ValueError` saying what was expected otherwise."""
    if not isinstance(text, str) or len(text) > _MAX_TEXT:
        raise ValueError(f"expected {GO_DURATION_EXPECTED}")
    if text == "0":
        return 0.0
    seconds = 0.0
    position = 0
    while position < len(text):
        part = _PART.match(text, position)
        if part is None:
            hint = " (Kubernetes durations have no day unit: write 24h)" if text.endswith("d") else ""
            raise ValueError(f"expected {GO_DURATION_EXPECTED}{hint}")
        number, unit = part.groups()
        seconds += float(number) * _SECONDS_PER_UNIT[unit]
        position = part.end()
    if position == 0:
        raise ValueError(f"expected {GO_DURATION_EXPECTED}")
    return seconds
