"""Checks of a scenario's raw data before validation: nesting, size, finite numbers.

A file parsed by YAML, JSON or TOML is a tree of maps, lists and scalars
(a YAML alias repeats a subtree; a recursive alias makes a cycle). Before
pydantic walks it, :func:`check_raw_data` makes sure the walk is short: no
deeper than :data:`~simulator.scenario.limits.MAX_NESTING`, no more than
:data:`~simulator.scenario.limits.MAX_VALUES` values, and no NaN or
infinity anywhere (not even under keys that are kept as they are, such as
``expect``).
"""

from __future__ import annotations

import math
from typing import Any

from simulator.errors import ScenarioError
from simulator.scenario.limits import MAX_NESTING, MAX_VALUES
from simulator.scenario.validation_errors import one_line

__all__ = ["check_raw_data"]


def _key_path(path: tuple[Any, ...]) -> str | None:
    text = ""
    for item in path:
        if isinstance(item, int) and not isinstance(item, bool):
            text += f"[{item}]"
        else:
            text += ("." if text else "") + one_line(str(item))[:60]
    return text or None


def check_raw_data(data: Any, *, file: str | None = None) -> None:
    """Raise a one-line :class:`ScenarioError` if ``data`` is nested too deeply, too large or not finite.

    The walk is iterative (no recursion), so it is safe on any input.
    """
    stack: list[tuple[Any, tuple[Any, ...]]] = [(data, ())]
    seen = 0
    while stack:
        value, path = stack.pop()
        seen += 1
        if seen > MAX_VALUES:
            raise ScenarioError(
                f"more than {MAX_VALUES:,} values (YAML aliases count each time they are used); "
                "expected a smaller scenario",
                file=file,
            )
        if isinstance(value, float) and not math.isfinite(value):
            raise ScenarioError(f"got {value}; expected a finite number", file=file, path=_key_path(path), value=value)
        if isinstance(value, (dict, list)):
            if len(path) >= MAX_NESTING:
                raise ScenarioError(
                    f"maps and lists nested more than {MAX_NESTING} deep; expected a flatter scenario",
                    file=file,
                    path=f"{_key_path(path[:3])} ..." if path else None,
                )
            items = value.items() if isinstance(value, dict) else enumerate(value)
            stack.extend((item, (*path, key)) for key, item in items)
