"""Field types of Argo manifests: Kubernetes int-or-string, Go durations, conditions, ``{{args.x}}`` text.

A value that holds an argument placeholder (``{{args.count}}``) cannot be
checked before the arguments are known; it is checked again once they are
substituted (:mod:`simulator.analysis.argo.run_spec`).
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import BeforeValidator, ConfigDict, model_validator
from pydantic.alias_generators import to_camel

from simulator.analysis.argo.durations import GO_DURATION_EXPECTED, parse_go_duration
from simulator.scenario.base import StrictModel, suggest

__all__ = ["ManifestModel", "IntOrString", "DurationText", "ArgText", "has_placeholder", "int_value",
           "duration_value", "ManifestValueError"]

_INTEGER = re.compile(r"[+-]?\d{1,18}")
INT_OR_STRING_EXPECTED = "an integer, or a string holding one (such as \"3\" or \"{{args.limit}}\")"


class ManifestValueError(ValueError):
    """A value error whose message is already a full sentence for the user (not "got ...; expected ...")."""


class ManifestModel(StrictModel):
    """A frozen, strict model of a manifest's keys, written in camelCase as Kubernetes does.

    An unknown key is an error that suggests the closest camelCase key (the
    snake_case field names are accepted, as in every model of the project,
    but never suggested: a manifest does not use them).
    """

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True, alias_generator=to_camel)

    @model_validator(mode="before")
    @classmethod
    def _reject_unknown_manifest_keys(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        keys = [field.alias or name for name, field in cls.model_fields.items()]
        names = set(cls.model_fields)
        for key in data:
            if key not in keys and key not in names:
                raise ValueError(f"unknown key '{key}'{suggest(str(key), keys)}; expected one of: {', '.join(keys)}")
        return data


def has_placeholder(text: object) -> bool:
    """Whether ``text`` is a string with a ``{{...}}`` placeholder still to fill."""
    return isinstance(text, str) and "{{" in text


def int_value(value: int | str) -> int:
    """The integer a Kubernetes int-or-string holds; :class:`ValueError` if it holds none."""
    if isinstance(value, int):
        return value
    text = value.strip()
    if not _INTEGER.fullmatch(text):
        raise ValueError(f"expected {INT_OR_STRING_EXPECTED}")
    return int(text)


def duration_value(text: str) -> float:
    """A Go duration in seconds (``1m30s`` is 90.0)."""
    return parse_go_duration(text)


def _int_or_string(value: object) -> object:
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise ValueError(f"expected {INT_OR_STRING_EXPECTED}")
    if isinstance(value, str) and not has_placeholder(value):
        int_value(value)
    return value


def _duration(value: object) -> object:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        raise ValueError(f"expected {GO_DURATION_EXPECTED}; a number needs its unit (write {value}s)")
    if not isinstance(value, str):
        raise ValueError(f"expected {GO_DURATION_EXPECTED}")
    if value == "":
        return None
    if not has_placeholder(value):
        parse_go_duration(value)
    return value


def _arg_text(value: object) -> object:
    """An argument's value: a string; a number is taken as its text (``9090``), as Argo's own docs write it."""
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise ValueError("expected a string")
    return value if isinstance(value, str) else str(value)


IntOrString = Annotated[int | str, BeforeValidator(_int_or_string)]
"""Kubernetes ``IntOrString``: ``3`` or ``"3"`` (or a placeholder)."""

DurationText = Annotated[str | None, BeforeValidator(_duration)]
"""A Go duration as written (``30s``); ``""`` means not set, as in Argo."""

ArgText = Annotated[str, BeforeValidator(_arg_text)]
"""An argument's value."""
