"""Parsing of quantities with units, as written in scenario files.

* durations: ``45s``, ``5m``, ``2h``, ``10d``, ``250ms``, ISO 8601 (``PT5M``,
  ``P7D``, ``P1DT2H``) or a bare number of seconds; returned in seconds. (A
  scenario file must write the unit: :mod:`simulator.scenario.types` refuses
  a bare number there; these parsers also read the package's own dumps.)
* rates: ``200/s``, ``12000/min``, ``3/h`` or a bare number (requests per
  second); returned in requests per second.
* latencies: ``40ms``, ``1.5s``, ``250us`` or a bare number of seconds;
  returned in seconds.

Every parser raises :class:`ValueError` with a message saying what was
expected; the scenario loader turns it into a located ``ScenarioError``.
Quantities are finite and >= 0 (``-0`` is read as 0); ``true``/``false``,
NaN, infinities, numbers too large for a float and text longer than
:data:`MAX_TEXT_LENGTH` characters are rejected.
"""

from __future__ import annotations

import math
import re

__all__ = ["parse_duration", "parse_rate", "parse_latency", "format_duration"]

_SECONDS_PER_UNIT = {
    "us": 1e-6,
    "µs": 1e-6,
    "ms": 1e-3,
    "s": 1.0,
    "sec": 1.0,
    "m": 60.0,
    "min": 60.0,
    "h": 3600.0,
    "d": 86400.0,
    "w": 604800.0,
}

_NUMBER = r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?"
# Patterns are matched against stripped text: a whitespace run at both ends of
# an optional unit would make a long run of spaces take quadratic time.
_DURATION_RE = re.compile(rf"^({_NUMBER})\s*(us|µs|ms|sec|min|s|m|h|d|w)?$")
_ISO_RE = re.compile(
    r"^P(?:(?P<w>\d+(?:\.\d+)?)W)?(?:(?P<d>\d+(?:\.\d+)?)D)?"
    r"(?:T(?:(?P<h>\d+(?:\.\d+)?)H)?(?:(?P<m>\d+(?:\.\d+)?)M)?(?:(?P<s>\d+(?:\.\d+)?)S)?)?$",
    re.IGNORECASE,
)
_RATE_RE = re.compile(rf"^({_NUMBER})\s*(?:/\s*(s|sec|second|m|min|minute|h|hour|d|day))?$")
_RATE_UNIT = {
    "s": 1.0, "sec": 1.0, "second": 1.0,
    "m": 60.0, "min": 60.0, "minute": 60.0,
    "h": 3600.0, "hour": 3600.0,
    "d": 86400.0, "day": 86400.0,
}

DURATION_EXPECTED = "a duration with its unit, such as 45s, 5m, 2h, 10d or PT5M"
RATE_EXPECTED = "a rate such as 200/s, 12000/min or a number of requests per second"
LATENCY_EXPECTED = "a latency with its unit, such as 40ms or 1.5s"


MAX_TEXT_LENGTH = 64
"""Longest text accepted as a quantity, characters (anything longer is no quantity)."""


def _finite_non_negative(value: float, expected: str) -> float:
    if not math.isfinite(value) or value < 0:
        raise ValueError(f"expected {expected} (finite, >= 0)")
    return value + 0.0  # -0.0 becomes 0.0


def _number(value: int | float, expected: str) -> float:
    """A YAML/JSON number as a finite float >= 0; ``true``/``false`` are not numbers."""
    try:
        return _finite_non_negative(float(value), expected)
    except OverflowError:  # an int too large for a float
        raise ValueError(f"expected {expected} (finite, >= 0)") from None


def _text(value: object, expected: str) -> str:
    """``value`` as stripped text, or ``ValueError`` if it is no string or too long to be a quantity."""
    if not isinstance(value, str) or len(value) > MAX_TEXT_LENGTH:
        raise ValueError(f"expected {expected}")
    return value.strip()


def parse_duration(value: object) -> float:
    """Return ``value`` as a duration in seconds (finite, >= 0)."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return _number(value, DURATION_EXPECTED)
    text = _text(value, DURATION_EXPECTED)
    iso = _ISO_RE.match(text)
    if iso and text.upper() not in ("P", "PT") and not text.upper().endswith("T"):
        parts = iso.groupdict()
        if any(parts.values()):
            seconds = (
                float(parts["w"] or 0) * 604800.0
                + float(parts["d"] or 0) * 86400.0
                + float(parts["h"] or 0) * 3600.0
                + float(parts["m"] or 0) * 60.0
                + float(parts["s"] or 0)
            )
            return _finite_non_negative(seconds, DURATION_EXPECTED)
    match = _DURATION_RE.match(text)
    if not match:
        raise ValueError(f"expected {DURATION_EXPECTED}")
    number, unit = match.groups()
    return _finite_non_negative(float(number) * _SECONDS_PER_UNIT[unit or "s"], DURATION_EXPECTED)


def parse_latency(value: object) -> float:
    """Return ``value`` as a latency in seconds (finite, >= 0)."""
    try:
        return parse_duration(value)
    except ValueError:
        raise ValueError(f"expected {LATENCY_EXPECTED}") from None


def parse_rate(value: object) -> float:
    """Return ``value`` as a rate in requests per second (finite, >= 0)."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return _number(value, RATE_EXPECTED)
    match = _RATE_RE.match(_text(value, RATE_EXPECTED))
    if not match:
        raise ValueError(f"expected {RATE_EXPECTED}")
    number, unit = match.groups()
    return _finite_non_negative(float(number) / _RATE_UNIT[unit or "s"], RATE_EXPECTED)


def format_duration(seconds: float) -> str:
    """Format ``seconds`` for people: ``42.0s``, ``5m 30s``, ``2h 05m``."""
    if seconds < 60:
        return f"{seconds:.1f}s"
    if seconds < 3600:
        minutes, secs = divmod(int(round(seconds)), 60)
        return f"{minutes}m {secs:02d}s"
    hours, rest = divmod(int(round(seconds)), 3600)
    if hours < 48:
        return f"{hours}h {rest // 60:02d}m"
    days, hours = divmod(hours, 24)
    return f"{days}d {hours:02d}h"
