"""Pydantic's validation errors as one-line :class:`ScenarioError` messages.

Used by the loader (for a whole scenario) and by the scenario model (for the
parts it validates itself: strategy configs chosen by kind). The message
names the key path, the bad value and what was expected, on one line: any
line break or other control character a user wrote into a key or a value is
shown escaped.
"""

from __future__ import annotations

import unicodedata
from typing import Any

from pydantic import ValidationError

from simulator.errors import ScenarioError

__all__ = ["validation_to_scenario_error", "one_line", "describe_value", "format_limit", "UNION_TAGS"]

UNION_TAGS = frozenset({
    "CanaryConfig", "BlueGreenConfig", "RollingConfig", "ImmediateConfig", "ABTestConfig", "ShadowConfig",
    "constant", "diurnal", "spike", "crash", "latency", "error_rate",
    "dependency_outage", "metrics_outage", "traffic_spike",
    "quantiles", "lognormal", "exponential", "gamma",
    "RollbackOperation", "PromoteOperation",
    "WavesConfig", "region_outage",
})
"""Names pydantic puts in an error's location for the member of a union; not keys a user wrote."""

_LINE_BREAKING = {"Cc", "Zl", "Zp"}  # control characters, line and paragraph separators


def one_line(text: str) -> str:
    """``text`` with every control character and line separator escaped (``\\n``, ``\\x85``, ``\\u2028``)."""
    if text.isprintable():
        return text
    return "".join(
        char.encode("unicode_escape").decode("ascii") if unicodedata.category(char) in _LINE_BREAKING else char
        for char in text
    )


def describe_value(value: Any, limit: int = 60) -> str:
    """A short one-line ``repr`` of a bad value (at most ``limit`` characters; huge integers as ``1e+30``)."""
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 10**16:
        try:
            return f"{value:.3g}"
        except OverflowError:  # too large for a float
            return f"an integer of {value.bit_length()} bits"
    try:
        text = repr(value)
    except (RecursionError, ValueError):  # a structure nested too deeply, an int too long to print
        text = f"<{type(value).__name__}>"
    text = one_line(text[: limit * 4])
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _location(loc: tuple[Any, ...], data: Any, missing: bool) -> str:
    """The key path of an error location, without the names pydantic gives union members.

    A name that is also a key of the data at that point (a version called
    ``latency``) is a key; so is the last name of a missing key.
    """
    parts: list[str] = []
    current = data
    for index, item in enumerate(loc):
        is_key = isinstance(current, dict) and item in current
        if is_key and item in UNION_TAGS and index < len(loc) - 1 and not isinstance(current[item], (dict, list)):
            is_key = False  # a fault's kind named like one of its keys (error_rate), with more path to come
        is_last_missing = missing and index == len(loc) - 1
        if isinstance(current, list) and isinstance(item, int) and 0 <= item < len(current):
            current = current[item]
        elif is_key:
            current = current[item]
        elif not is_last_missing and isinstance(item, str) and (item in UNION_TAGS or item.startswith("function-")):
            continue
        else:
            current = None
        if isinstance(item, int):
            if parts:
                parts[-1] += f"[{item}]"
            else:
                parts.append(f"[{item}]")
        else:
            parts.append(one_line(str(item)))
    return ".".join(parts)


def format_limit(limit: object) -> str:
    """A bound as people write it: ``100``, ``0.5``, ``10,000,000``."""
    if isinstance(limit, float) and limit.is_integer():
        limit = int(limit)
    if isinstance(limit, int) and not isinstance(limit, bool):
        return f"{limit:,}"
    return str(limit)


_BOUNDS = {"less_than_equal": ("at most", "le"), "greater_than_equal": ("at least", "ge"),
           "greater_than": ("more than", "gt"), "less_than": ("less than", "lt")}


def _expected(message: str, kind: str, context: dict[str, Any]) -> str:
    """What was expected, in the words of a scenario file."""
    if kind in _BOUNDS and _BOUNDS[kind][1] in context:
        words, key = _BOUNDS[kind]
        return f"{words} {format_limit(context[key])}"
    for prefix in ("Input should be ", "expected "):
        if message.startswith(prefix):
            return message[len(prefix):]
    return message


def validation_to_scenario_error(error: ValidationError, file: str | None, data: Any = None) -> ScenarioError:
    """Turn pydantic's first error into a one-line :class:`ScenarioError`.

    ``data`` is what was validated (it tells keys from the names of union
    members in the error's location). A validator's own message is kept as
    it is when it already says what was given (it starts with ``got``), or
    names an unknown key or strategy.
    """
    first = error.errors()[0]
    path = _location(tuple(first["loc"]), data, first["type"] == "missing")
    message = one_line(first["msg"])
    if message.startswith("Value error, "):
        message = message[len("Value error, "):]
    kind = first["type"]
    value = first.get("input")
    if kind == "missing":
        text = "missing required key"
        expected = message
    elif kind in ("value_error", "assertion_error") and message.startswith(("unknown key", "strategy '", "got ")):
        text = expected = message
    else:
        expected = _expected(message, kind, first.get("ctx") or {})
        text = f"got {describe_value(value)}; expected {expected}"
    more = len(error.errors()) - 1
    if more:
        text += f" (and {more} more problem{'s' if more > 1 else ''})"
    return ScenarioError(text, file=file, path=path or None, value=value, expected=expected)
