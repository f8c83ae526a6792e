"""Quantities as the Kubernetes API writes them: Go durations, int-or-string, strict numbers.

* A Go duration (``time.ParseDuration``) is a sequence of decimal numbers,
  each with a unit: ``300ms``, ``30s``, ``1m``, ``1h30m``, ``1.5h``; units
  ``ns``, ``us`` (``µs``), ``ms``, ``s``, ``m``, ``h``; ``0`` needs none.
  Negative durations are refused here (no rollout field means anything by
  them). Read as seconds (float).
* An Argo pause ``duration`` is an int-or-string: an integer (or a string of
  digits) is seconds, any other string a Go duration; Argo keeps whole
  seconds (``1500ms`` pauses 1 s), and so does :data:`PauseSeconds`.
* A Flagger interval or webhook timeout is a Go duration that also matches
  the CRD's pattern ``^[0-9]+(m|s)``: ``1m``, ``30s``, ``1m30s``, but not
  ``1h``, which the API server refuses.
* ``maxSurge``/``maxUnavailable`` are an integer or a percentage string
  (``"25%"``); :func:`scaled_value` resolves one against a replica count.

Every other value is read strictly (see :mod:`.base`).
"""

from __future__ import annotations

import math
import re
from typing import Annotated, Any, TypeVar

from pydantic import BeforeValidator

from simulator.scenario.limits import MAX_DURATION
from simulator.scenario.validation_errors import format_limit

__all__ = [
    "parse_go_duration", "go_duration_seconds", "pause_seconds", "flagger_interval_seconds", "scaled_value",
    "GoDuration", "PauseSeconds", "FlaggerInterval", "IntOrPercent", "Items",
    "GO_DURATION_EXPECTED", "format_go_duration",
]

GO_DURATION_EXPECTED = "a Go duration such as 30s, 1m, 1h30m or 500ms"

_GO_UNITS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "μs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}
_GO_PART = re.compile(r"(\d+\.?\d*|\.\d+)(ns|us|µs|μs|ms|s|m|h)")
_GO_WHOLE = re.compile(r"^\+?(?:(?:\d+\.?\d*|\.\d+)(?:ns|us|µs|μs|ms|s|m|h))+$")
_FLAGGER_PATTERN = re.compile(r"^[0-9]+(m|s)")
_PERCENT = re.compile(r"^(\d+)%$")
_DIGITS = re.compile(r"^[+-]?\d+$")
_MAX_TEXT = 64  # longer text is no duration; keeps the regular expressions cheap


def _bounded(seconds: float) -> float:
    if not math.isfinite(seconds) or seconds > MAX_DURATION:
        raise ValueError(f"expected at most {format_limit(MAX_DURATION)} seconds (10 years)")
    return seconds


def parse_go_duration(text: str) -> float:
    """``text`` (a Go duration) in seconds; ``ValueError`` naming the form expected."""
    text = text.strip()
    if text.startswith("-") and len(text) > 1:
        raise ValueError(f"expected a duration of 0 or more, not a negative one: {GO_DURATION_EXPECTED}")
    if text in ("0", "+0"):
        return 0.0
    if len(text) > _MAX_TEXT or not _GO_WHOLE.match(text):
        if _DIGITS.match(text):
            raise ValueError(f"expected {GO_DURATION_EXPECTED} (a number needs its unit, such as {text}s)")
        raise ValueError(f"expected {GO_DURATION_EXPECTED}")
    seconds = sum(float(number) * _GO_UNITS[unit] for number, unit in _GO_PART.findall(text))
    return _bounded(seconds)


def go_duration_seconds(value: object) -> float:
    """A Go duration string in seconds; anything but a string is refused (the API types it ``string``)."""
    if not isinstance(value, str):
        raise ValueError(f"expected {GO_DURATION_EXPECTED} (a string)")
    return parse_go_duration(value)


def pause_seconds(value: object) -> int:
    """An Argo pause duration (integer seconds, or a string: digits or a Go duration) in whole seconds."""
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise ValueError(f"expected a number of seconds or {GO_DURATION_EXPECTED}")
    if isinstance(value, str) and _DIGITS.match(value.strip()):
        value = int(value.strip())
    if isinstance(value, int):
        if value < 0:
            raise ValueError("expected a duration of 0 or more seconds")
        return int(_bounded(float(value)))
    return int(parse_go_duration(value))  # Argo truncates to whole seconds


def flagger_interval_seconds(value: object) -> float:
    """A Flagger interval or timeout in seconds: a Go duration matching ``^[0-9]+(m|s)``."""
    if not isinstance(value, str):
        raise ValueError("expected a duration such as 1m or 30s (a string)")
    if not _FLAGGER_PATTERN.match(value.strip()):
        raise ValueError("expected a duration such as 1m, 30s or 1m30s (Flagger's CRD takes minutes or seconds)")
    return parse_go_duration(value)


def format_go_duration(seconds: float) -> str:
    """``seconds`` as Go writes a duration: ``30s``, ``1m``, ``1h30m``, ``500ms``."""
    if seconds == 0:
        return "0s"
    if seconds < 1:
        return f"{seconds * 1000:g}ms"
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    parts = [f"{hours:g}h" if hours else "", f"{minutes:g}m" if minutes else "", f"{secs:g}s" if secs else ""]
    return "".join(parts)


def _int_or_percent(value: Any) -> Any:
    if isinstance(value, int) and not isinstance(value, bool):
        if value < 0:
            raise ValueError("expected a number of pods (0 or more) or a percentage such as '25%'")
        return value
    if isinstance(value, str) and _PERCENT.match(value.strip()):
        return value.strip()
    raise ValueError("expected a number of pods (0 or more) or a percentage such as '25%'")


def scaled_value(value: int | str, total: int, *, round_up: bool) -> int:
    """``value`` (pods, or ``"N%"`` of ``total``) as a number of pods, rounded as Kubernetes does.

    ``maxSurge`` rounds up and ``maxUnavailable`` rounds down.
    """
    if isinstance(value, int):
        return value
    percent = int(value.rstrip("%"))
    scaled = percent * total / 100
    return math.ceil(scaled) if round_up else math.floor(scaled)


def _as_tuple(value: Any) -> Any:
    if isinstance(value, list):
        return tuple(value)
    if isinstance(value, tuple):
        return value
    raise ValueError("expected a list")


GoDuration = Annotated[float, BeforeValidator(go_duration_seconds)]
"""A Go duration string, in seconds."""

PauseSeconds = Annotated[int, BeforeValidator(pause_seconds)]
"""An Argo pause duration, in whole seconds."""

FlaggerInterval = Annotated[float, BeforeValidator(flagger_interval_seconds)]
"""A Flagger interval or timeout (``1m``, ``30s``), in seconds."""

IntOrPercent = Annotated[int | str, BeforeValidator(_int_or_percent)]
"""A number of pods, or a percentage string such as ``"25%"``."""

T = TypeVar("T")

Items = Annotated[tuple[T, ...], BeforeValidator(_as_tuple)]
"""A list, kept as a tuple."""
