"""Sweep points: dotted key paths set on a scenario's dump, validated once per point.

A parameter is a dotted key path into the scenario as written in a file
(``strategies.canary.incrementStep``); camelCase and snake_case spellings of
a key are the same key. Each point of the grid is applied to the scenario's
dump as written (:func:`~simulator.scenario.written_dump.written_dump`:
durations with their unit) and validated as written input once, into its own
:class:`~simulator.scenario.Scenario`; a bad point (a duration
without its unit included) is a :class:`~simulator.errors.ScenarioError`
that names the parameter.
"""

from __future__ import annotations

import copy
import itertools
from collections.abc import Mapping, Sequence
from typing import Any

from simulator.errors import ScenarioError
from simulator.scenario.loader import parse_scenario
from simulator.scenario.model import Scenario
from simulator.scenario.written_dump import written_dump

__all__ = ["parse_param", "apply_params", "grid", "scenario_at"]


def parse_param(text: str) -> tuple[str, list[Any]]:
    """``strategies.canary.incrementStep=10,20,40`` -> (path, [10, 20, 40]); numbers become numbers."""
    path, sep, values = text.partition("=")
    if not sep or not path or not values:
        raise ScenarioError(f"--param: got '{text}'; expected KEY.PATH=VALUE1,VALUE2,...")

    def convert(value: str) -> Any:
        for kind in (int, float):
            try:
                return kind(value)
            except ValueError:
                pass
        return value

    return path.strip(), [convert(v.strip()) for v in values.split(",")]


def grid(params: Mapping[str, Sequence[Any]]) -> list[dict[str, Any]]:
    """Every combination of the values of ``params`` (key path -> values), the last path varying fastest."""
    return [dict(zip(params, values, strict=True)) for values in itertools.product(*params.values())]


def _camel(key: str) -> str:
    head, *rest = key.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def _key_in(node: dict[str, Any], key: str) -> str:
    """``key`` as ``node`` spells it (``increment_step`` finds ``incrementStep``), or ``key`` if absent."""
    if key in node:
        return key
    return next((existing for existing in node if isinstance(existing, str) and _camel(existing) == _camel(key)),
                key)


def apply_params(data: dict[str, Any], params: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of the raw scenario ``data`` with each dotted key path set to its value.

    Missing (or null) maps on the way are created; a path through a value
    that is not a map is a :class:`ScenarioError` naming the parameter.
    """
    data = copy.deepcopy(data)
    for path, value in params.items():
        node = data
        keys = path.split(".")
        for depth, key in enumerate(keys[:-1]):
            key = _key_in(node, key)
            if node.get(key) is None:
                node[key] = {}
            if not isinstance(node[key], dict):
                held = ".".join(keys[:depth + 1])
                raise ScenarioError(f"'{held}' holds {node[key]!r}; expected a map to set '{path}' in",
                                    path=path, value=value)
            node = node[key]
        node[_key_in(node, keys[-1])] = value
    return data


def _same_place(first: str, second: str) -> bool:
    """Whether one dotted key path lies within the other (spellings aside)."""
    a, b = ([_camel(key) for key in path.split(".")] for path in (first, second))
    shorter = min(len(a), len(b))
    return a[:shorter] == b[:shorter]


def scenario_at(scenario: Scenario, point: Mapping[str, Any], *, source: str | None = None) -> Scenario:
    """``scenario`` with the sweep ``point`` (key path -> value) applied, validated.

    A bad point raises :class:`ScenarioError` located at ``source`` and the
    parameter(s) that made it bad (all of the point's when none matches).
    """
    if not point:
        return scenario
    try:
        return parse_scenario(apply_params(written_dump(scenario), point))
    except ScenarioError as error:
        culprits = [path for path in point if error.path is None or _same_place(path, error.path)] or list(point)
        where = ", ".join(f"{path}={point[path]!r}" for path in culprits)
        raise error.located(file=f"{source or 'scenario'} with {where}") from None
