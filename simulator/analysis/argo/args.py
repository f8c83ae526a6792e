"""Arguments of an analysis: merging a template's with a Rollout's, and filling ``{{args.NAME}}``.

As Argo does it:

* the arguments of several templates are combined by name; two defaults of
  one name that differ are an error, and a default fills an argument that
  another template left without one;
* a Rollout's argument sets the value of the template argument of the same
  name (a Rollout argument no template declares is ignored); its
  ``valueFrom.podTemplateHashValue`` (``Stable`` or ``Latest``) and
  ``valueFrom.fieldRef`` are read from :class:`ArgContext`;
* every argument must end with a value; a template argument from a
  ``secretKeyRef`` gets the stand-in ``*****`` (a simulated run has no
  secrets);
* ``{{args.NAME}}`` and ``{{ args.NAME }}`` are replaced wherever they occur
  in a metric; any other ``{{...}}`` is an error, as in Argo.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from simulator.analysis.argo.template_models import AnalysisTemplate, RolloutArgument, TemplateArgument
from simulator.errors import ScenarioError
from simulator.scenario.base import suggest

__all__ = ["ArgContext", "merge_args", "substitute", "substitute_all", "SECRET_STAND_IN"]

SECRET_STAND_IN = "*****"


@dataclass(frozen=True, slots=True)
class ArgContext:
    """What a Rollout's ``valueFrom`` reads: the pod template hashes and fields of the Rollout.

    ``fields`` maps a ``fieldPath`` as written (``metadata.labels['env']``,
    ``metadata.name``) to its value.
    """

    stable_hash: str = "stable"
    latest_hash: str = "latest"
    fields: Mapping[str, str] = field(default_factory=dict)


def _rollout_value(arg: RolloutArgument, context: ArgContext) -> str | None:
    if arg.value_from is None:
        return arg.value
    if arg.value_from.pod_template_hash_value is not None:
        return context.stable_hash if arg.value_from.pod_template_hash_value == "Stable" else context.latest_hash
    if arg.value_from.field_ref is not None:
        path = arg.value_from.field_ref.field_path
        if path not in context.fields:
            raise ScenarioError(f"argument '{arg.name}': the Rollout has no field '{path}'"
                                f"{suggest(path, list(context.fields))}; known: "
                                f"{', '.join(sorted(context.fields)) or 'none'}")
        return context.fields[path]
    return arg.value


def _template_value(arg: TemplateArgument, context: ArgContext) -> str | None:
    if arg.value is not None:
        return arg.value
    if arg.value_from is not None and arg.value_from.secret_key_ref is not None:
        return SECRET_STAND_IN
    if arg.value_from is not None and arg.value_from.field_ref is not None:
        path = arg.value_from.field_ref.field_path
        if path in context.fields:
            return context.fields[path]
        raise ScenarioError(f"argument '{arg.name}': the Rollout has no field '{path}'"
                            f"{suggest(path, list(context.fields))}")
    return None


def merge_args(templates: Sequence[AnalysisTemplate], rollout_args: Sequence[RolloutArgument] = (),
               context: ArgContext | None = None) -> dict[str, str]:
    """Every argument of ``templates`` with its value, in declaration order; :class:`ScenarioError` if one has none."""
    context = context or ArgContext()
    declared: dict[str, TemplateArgument] = {}
    origin: dict[str, str] = {}
    for template in templates:
        for arg in template.spec.args:
            previous = declared.get(arg.name)
            if previous is None:
                declared[arg.name], origin[arg.name] = arg, template.label
            elif previous.value is not None and arg.value is not None and previous.value != arg.value:
                raise ScenarioError(f"argument '{arg.name}' has two defaults: {previous.value!r} in "
                                    f"{origin[arg.name]} and {arg.value!r} in {template.label}")
            elif previous.value is None:
                declared[arg.name], origin[arg.name] = arg, template.label
    values: dict[str, str | None] = {name: _template_value(arg, context) for name, arg in declared.items()}
    for passed in rollout_args:
        if passed.name in values:
            given = _rollout_value(passed, context)
            if given is not None:
                values[passed.name] = given
    missing = [name for name, value in values.items() if value is None]
    if missing:
        name = missing[0]
        raise ScenarioError(f"argument '{name}' of {origin[name]} has no value: the template gives no default and "
                            f"the Rollout passes none (args: [{{name: {name}, value: ...}}])")
    return {name: value for name, value in values.items() if value is not None}


def substitute(text: str, args: Mapping[str, str]) -> str:
    """``text`` with each ``{{args.NAME}}`` replaced; :class:`ValueError` naming an unknown placeholder."""
    pieces: list[str] = []
    position = 0
    while True:
        start = text.find("{{", position)
        if start < 0:
            pieces.append(text[position:])
            return "".join(pieces)
        end = text.find("}}", start + 2)
        if end < 0:
            raise ValueError(f"'{{{{' without a closing '}}}}' in {text!r}")
        tag = text[start + 2:end].strip()
        name = tag[len("args."):] if tag.startswith("args.") else None
        if name is None or name not in args:
            known = [f"args.{known}" for known in args]
            raise ValueError(f"cannot resolve {{{{{text[start + 2:end]}}}}}{suggest(tag, known)}; "
                             f"known: {', '.join(known) or 'no arguments'}")
        pieces.append(text[position:start])
        pieces.append(args[name])
        position = end + 2


def substitute_all(data: Any, args: Mapping[str, str]) -> Any:
    """``data`` (a dump of a metric) with placeholders replaced in every string, keys included."""
    if isinstance(data, str):
        return substitute(data, args)
    if isinstance(data, dict):
        return {substitute_all(key, args): substitute_all(value, args) for key, value in data.items()}
    if isinstance(data, (list, tuple)):
        return [substitute_all(item, args) for item in data]
    return data
