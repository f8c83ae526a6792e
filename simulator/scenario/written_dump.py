"""A scenario dumped as a person would write it: durations and latencies with their unit.

``Scenario.model_dump(by_alias=True)`` holds durations as numbers of
seconds, which the loader reads back only as the package's own data
(``parse_scenario(..., written=False)``). :func:`written_dump` writes them as
``"300.0s"`` instead, so that the dump can be edited (a sweep point applied
to it) and validated as written input, where a bare number is an error.
Floats are written with ``repr``: each reads back to the same float.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel

from simulator.scenario.types import TIME_KEY, field_has

__all__ = ["written_dump"]


def written_dump(model: BaseModel, *, mode: Literal["python", "json"] = "python") -> dict[str, Any]:
    """``model.model_dump(mode=mode, by_alias=True)`` with every duration and latency written with its unit."""
    dumped = _with_units(model, model.model_dump(mode=mode, by_alias=True))
    assert isinstance(dumped, dict)
    return dumped


def _seconds(dumped: Any) -> Any:
    if isinstance(dumped, (int, float)) and not isinstance(dumped, bool) and dumped != 0:
        return f"{float(dumped)!r}s"
    if isinstance(dumped, list):
        return [_seconds(item) for item in dumped]
    return dumped


def _with_units(value: Any, dumped: Any) -> Any:
    """``dumped`` (the dump of ``value``) with the durations of ``value``'s fields as text with a unit."""
    if isinstance(value, BaseModel) and isinstance(dumped, dict):
        for name, field in type(value).model_fields.items():
            key = field.serialization_alias or field.alias or name
            if key not in dumped:
                continue
            if field_has(field, TIME_KEY):
                dumped[key] = _seconds(dumped[key])
            else:
                dumped[key] = _with_units(getattr(value, name), dumped[key])
        return dumped
    if isinstance(value, dict) and isinstance(dumped, dict):
        return {key: _with_units(value[key], item) if key in value else item for key, item in dumped.items()}
    if isinstance(value, (list, tuple)) and isinstance(dumped, list) and len(value) == len(dumped):
        return [_with_units(item, dumped_item) for item, dumped_item in zip(value, dumped, strict=True)]
    return dumped
