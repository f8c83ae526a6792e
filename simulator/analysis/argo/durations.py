"""Durations as Argo Rollouts reads them: Go's ``time.ParseDuration`` syntax.

A duration is a sequence of decimal numbers, each with an optional fraction
and a unit: ``500ms``, ``30s``, ``1m``, ``1h30m``, ``1.5h``. Units are
``ns``, ``us`` (or ``µs``), ``ms``, ``s``, ``m`` and ``h``; there are no days.
``0`` needs no unit. Unlike Go, a sign is refused: a negative interval or
delay means nothing in a manifest.
"""

from __future__ import annotations

from simulator.scenario.manifests import quantities

__all__ = ["parse_go_duration", "GO_DURATION_EXPECTED"]

GO_DURATION_EXPECTED = "a duration such as 30s, 5m, 1h30m or 500ms (units ns, us, ms, s, m, h)"

_MAX_TEXT = 64


def parse_go_duration(text: str) -> float:
    """``text`` (``1m30s``) in seconds; :class:`ValueError` saying what was expected otherwise.

    The grammar is :func:`simulator.scenario.manifests.quantities.parse_go_duration`'s;
    an AnalysisTemplate takes it without a sign or surrounding spaces.
    """
    if not isinstance(text, str) or len(text) > _MAX_TEXT or text != text.strip() or text.startswith(("+", "-")):
        raise ValueError(f"expected {GO_DURATION_EXPECTED}")
    try:
        return quantities.parse_go_duration(text)
    except ValueError:
        hint = " (Kubernetes durations have no day unit: write 24h)" if text.endswith("d") else ""
        raise ValueError(f"expected {GO_DURATION_EXPECTED}{hint}") from None
