"""Problems of manifests as one-line :class:`ScenarioError` messages that name the object.

A problem reads ``FILE: KIND NAME: key.path: got X; expected Y``, for
instance ``peers/argo.yaml: Rollout recommender:
spec.strategy.canary.steps[2].analysis.templats: unknown key 'templats'
(did you mean 'templates'?); ...``. An object without a usable name is
named by its place in the file (``Rollout (document 2)``). The wording of
each message is that of scenario files
(:func:`~simulator.scenario.validation_errors.validation_to_scenario_error`).
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import ValidationError

from simulator.errors import ScenarioError
from simulator.scenario.base import suggest
from simulator.scenario.manifests.base import ProblemAt, UnknownKey
from simulator.scenario.validation_errors import describe_value, one_line, validation_to_scenario_error

__all__ = ["problems_of", "locate", "with_count"]

_READABLE = (
    ("a valid dictionary or instance of ", "a mapping"),
    ("a valid dictionary", "a mapping"),
    ("a valid string", "text"),
    ("a valid integer", "a whole number"),
    ("a valid boolean", "true or false"),
    ("a valid number", "a number"),
)


def _readable(text: str) -> str:
    """pydantic's names of types in the words of a manifest (``a mapping``, ``text``)."""
    for theirs, ours in _READABLE:
        if theirs in text:
            if theirs.endswith("instance of "):
                head, _, _ = text.partition(theirs)
                return head + ours
            return text.replace(theirs, ours)
    return text


def _join(*parts: str | None) -> str | None:
    text = ".".join(part for part in parts if part)
    return text.replace(".[", "[") or None


def locate(problem: ScenarioError, *, file: str | None, label: str | None, prefix: str | None = None) -> ScenarioError:
    """``problem`` naming ``file`` and sitting under ``label: prefix``."""
    path = _join(prefix, problem.path)
    if label:
        path = f"{label}: {path}" if path else label
    return ScenarioError(problem.reason, file=file or problem.file, path=one_line(path) if path else None,
                         value=problem.value, expected=problem.expected)


_QUOTED = re.compile(r"'([^']*)'")


def _refined(problem: ScenarioError, detail: Any) -> ScenarioError:
    """The problem in a manifest's words, at the key a model check names, with a did-you-mean for a choice."""
    reason = _readable(problem.reason)
    path = problem.path
    raised = (detail.get("ctx") or {}).get("error")
    if isinstance(raised, ProblemAt):
        path = _join(path, raised.path)
    value = detail.get("input")
    if detail["type"] == "literal_error" and isinstance(value, str) and reason.startswith("got "):
        choices = _QUOTED.findall(str((detail.get("ctx") or {}).get("expected", "")))
        hint = suggest(value, [choice for choice in choices if choice])
        if hint:
            shown = describe_value(value)
            reason = reason.replace(f"got {shown}", f"got {shown}{hint}", 1)
    return ScenarioError(reason, path=path, value=problem.value, expected=_readable(problem.expected or "") or None)


def _single(error: ValidationError, detail: Any) -> ValidationError | None:
    line: Any = {key: detail[key] for key in ("type", "loc", "input", "ctx") if key in detail}
    try:
        return ValidationError.from_exception_data(error.title, [line])
    except (TypeError, ValueError, KeyError):  # an error kind pydantic cannot rebuild
        return None


def _position(loc: tuple[Any, ...], data: Any) -> tuple[int, ...]:
    """Where ``loc`` is in ``data``, as positions of keys and items, so that problems sort in file order."""
    place: list[int] = []
    current = data
    for item in loc:
        if isinstance(current, dict):
            keys = list(current)
            place.append(keys.index(item) if item in current else len(keys))
            current = current.get(item)
        elif isinstance(current, list) and isinstance(item, int) and 0 <= item < len(current):
            place.append(item)
            current = current[item]
        else:
            break
    return tuple(place)


def problems_of(error: ValidationError, data: Any, *, file: str | None, label: str | None,
                prefix: str | None = None) -> list[ScenarioError]:
    """Each of pydantic's errors for ``data`` as its own located one-line :class:`ScenarioError`, in file order."""
    problems: list[ScenarioError] = []
    for detail in sorted(error.errors(), key=lambda detail: _position(tuple(detail["loc"]), data)):
        value = detail.get("input")
        if detail["type"] == "extra_forbidden" and isinstance(value, UnknownKey):
            path = ".".join(str(item) if not isinstance(item, int) else f"[{item}]" for item in detail["loc"])
            problem = ScenarioError(one_line(value.message), path=path.replace(".[", "["), value=value.value,
                                    expected=value.message)
        else:
            single = _single(error, detail)
            if single is None:
                problem = validation_to_scenario_error(error, None, data)
            else:
                problem = validation_to_scenario_error(single, None, data)
            problem = _refined(problem, detail)
        problems.append(locate(problem, file=file, label=label, prefix=prefix))
    return problems


def with_count(first: ScenarioError, more: int) -> ScenarioError:
    """``first``, saying how many more problems there are."""
    if more <= 0:
        return first
    reason = f"{first.reason} (and {more} more problem{'s' if more > 1 else ''})"
    return ScenarioError(reason, file=first.file, path=first.path, value=first.value, expected=first.expected)
