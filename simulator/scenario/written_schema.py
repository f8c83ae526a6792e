"""The JSON Schema of a scenario file as people write it, for editors and validators.

The scenario models (:mod:`simulator.scenario.model` and the modules it
uses) describe a scenario after parsing: durations in seconds, one traffic
pattern in a list, a strategy's kind already chosen. Their JSON Schema is the
starting point; this module derives what it can from the models and patches,
here and only here, what the written form allows beyond them:

* a quantity with a unit is a number or a string with its unit: durations
  ``45s``, ``5m``, ``2h``, ``PT5M``; rates ``200/s``, ``12000/min``; latencies
  ``40ms``, ``1.5s`` (the ``horizon`` too);
* every key written in camelCase (``initialPercentage``) may be written in
  snake_case, and every aliased key by its field name (``for`` or
  ``duration`` in a spike);
* ``traffic.pattern`` and ``drift.data`` take one item or a list;
* a latency is ``{p50, p99}`` or ``{dist: ..., ...}`` (``dist`` in any case;
  a constant latency may say ``mean`` for ``value``; a lognormal ``median`` or
  ``mean``);
* a strategy's kind comes from its ``strategy`` key (``Canary``,
  ``blue-green``, ``RollingUpdate``, any case), from ``criticality``
  (``high``, ``medium``, ``low``, ``validation``) or from its label, and its
  keys are that kind's; ``judge``, ``primaryMetric`` and ``guardrails``
  accept camelCase and kebab-case names too;
* ``expect`` maps a strategy label to its expectations, beside an optional
  ``confidence`` (an expectation name with ``*`` stands for any region's
  name: ``regions.*.requests``);
* with ``regions``, ``service.replicas`` may be left out (each region names
  its own), and a region's ``traffic`` takes one pattern or a list.

What a schema cannot say (a stable version that is declared, a label an
expectation names) is left to ``rollout-sim validate``.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator, Sequence
from typing import Any, get_args

from pydantic import BaseModel

from simulator.scenario.limits import MAX_DURATION, MAX_HORIZON, MAX_LATENCY, MAX_RATE
from simulator.scenario.model import Scenario
from simulator.scenario.strategy_config import STRATEGY_CONFIGS
from simulator.scenario.strategy_kinds import CRITICALITY_STRATEGIES, KIND_ALIASES
from simulator.units import MAX_TEXT_LENGTH

__all__ = [
    "written_schema", "DURATION_PATTERN", "RATE_PATTERN", "LATENCY_PATTERN", "CONDITION_PATTERN", "SCHEMA_DIALECT",
]

SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"

_NUMBER = r"\+?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?"
_ISO = (r"[Pp](?=\S*\d)(?!\S*[Tt]$)(?:\d+(?:\.\d+)?[Ww])?(?:\d+(?:\.\d+)?[Dd])?"
        r"(?:[Tt](?:\d+(?:\.\d+)?[Hh])?(?:\d+(?:\.\d+)?[Mm])?(?:\d+(?:\.\d+)?[Ss])?)?")

DURATION_PATTERN = rf"^\s*(?:{_NUMBER}\s*(?:us|µs|ms|sec|min|s|m|h|d|w)?|{_ISO})\s*$"
"""A duration as text: ``45s``, ``5m``, ``2h``, ``10d``, ``250ms``, ``PT5M`` (as ``units.parse_duration`` reads it)."""

LATENCY_PATTERN = DURATION_PATTERN
"""A latency as text: ``40ms``, ``1.5s`` (read as a duration)."""

RATE_PATTERN = rf"^\s*{_NUMBER}\s*(?:/\s*(?:s|sec|second|m|min|minute|h|hour|d|day))?\s*$"
"""A rate as text: ``200/s``, ``12000/min`` (see :func:`simulator.units.parse_rate`)."""

CONDITION_PATTERN = (r"^\s*(?:(?:>=|<=|>|<|==)\s*\S+|between\s*\[?\s*[^\s,\]]+\s*(?:,|and)\s*[^\s\]]+\s*\]?)\s*$")
"""An expectation's condition: ``>= 0.9``, ``<= 20m``, ``between 1000 and 20000``."""

_TEXT_PATTERNS = {MAX_DURATION: DURATION_PATTERN, MAX_HORIZON: DURATION_PATTERN, MAX_LATENCY: LATENCY_PATTERN,
                  MAX_RATE: RATE_PATTERN}
"""The pattern of a quantity's text form, told apart by the quantity's upper bound (the limits differ)."""

_BOUND_KEYWORDS = {"gt": "exclusiveMinimum", "ge": "minimum", "lt": "exclusiveMaximum", "le": "maximum"}

_SEPARATORS = r"[\s_-]*"

_SNAKE_CASE_ENUMS = {("CanaryConfig", "judge"), ("ABTestConfig", "primaryMetric")}
"""Enum keys read through ``snake_case`` (``MannWhitney``, ``mann-whitney``, ``errorRate``)."""


def _any_case(word: str) -> str:
    """A regex matching ``word`` in any letter case."""
    return "".join(f"[{char.lower()}{char.upper()}]" if char.isalpha() else re.escape(char) for char in word)


def _kind_pattern(names: Sequence[str]) -> str:
    """A regex of names as :func:`~simulator.scenario.strategy_kinds.resolve_strategy_kind` reads them.

    It drops spaces, ``_`` and ``-`` anywhere and ignores case.
    """
    spelled = [_SEPARATORS.join(_any_case(char) for char in name) for name in names]
    return rf"^{_SEPARATORS}(?:{'|'.join(spelled)}){_SEPARATORS}$"


def _spellings(value: str) -> list[str]:
    """``mann_whitney`` as it may be written: snake_case, camelCase, PascalCase, kebab-case."""
    head, *rest = value.split("_")
    camel = head + "".join(part.title() for part in rest)
    return list(dict.fromkeys([value, camel, camel[:1].upper() + camel[1:], value.replace("_", "-")]))


def _models(root: type[BaseModel]) -> dict[str, type[BaseModel]]:
    """Every model reachable from ``root``'s fields, by class name (pydantic's name of its definition)."""
    found: dict[str, type[BaseModel]] = {}

    def visit(annotation: Any) -> None:
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            if annotation.__name__ not in found:
                found[annotation.__name__] = annotation
                for field in annotation.model_fields.values():
                    visit(field.annotation)
            return
        for argument in get_args(annotation):
            visit(argument)

    visit(root)
    return found


def _walk(node: Any) -> Iterator[dict[str, Any]]:
    """Every mapping in a JSON document, depth first."""
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from _walk(value)


def _accept_field_names(definition: dict[str, Any], model: type[BaseModel]) -> None:
    """Beside each aliased key (``initialPercentage``, ``for``), the field's own name (``initial_percentage``)."""
    properties = definition.get("properties", {})
    required = definition.get("required", [])
    for name, field in model.model_fields.items():
        alias = field.alias or name
        if alias == name or alias not in properties:
            continue
        same = copy.deepcopy(properties[alias])
        same["description"] = f"the same as {alias}" + (f": {same['description']}" if "description" in same else "")
        properties[name] = same
        if alias in required:
            required.remove(alias)
            definition.setdefault("allOf", []).append({"anyOf": [{"required": [alias]}, {"required": [name]}]})
    if "required" in definition and not definition["required"]:
        del definition["required"]


def _bounds_into_numbers(node: dict[str, Any]) -> None:
    """Move pydantic's ``gt``/``ge``/``lt``/``le`` of a number-or-text field onto its number branch."""
    bounds = {key: node.pop(key) for key in list(node) if key in _BOUND_KEYWORDS}
    if not bounds:
        return
    for branch in node.get("anyOf", []):
        if branch.get("type") == "number":
            for key, value in bounds.items():
                branch[_BOUND_KEYWORDS[key]] = value


def _text_forms(node: dict[str, Any]) -> None:
    """Give the text branch of a quantity (number or text) the pattern of its unit."""
    branches = node.get("anyOf", [])
    numbers = [branch for branch in branches if branch.get("type") == "number" and "maximum" in branch]
    if len(branches) != 2 or len(numbers) != 1:
        return
    pattern = _TEXT_PATTERNS.get(numbers[0]["maximum"])
    for branch in branches:
        if pattern is not None and branch == {"type": "string"}:
            branch.update(pattern=pattern, maxLength=MAX_TEXT_LENGTH)


def _one_or_list(definition: dict[str, Any], key: str) -> None:
    """``key`` takes one item or a list of them."""
    field = definition["properties"][key]
    item = field.pop("items")
    field.pop("type", None)
    field.pop("default", None)
    field["anyOf"] = [item, {"type": "array", "items": item}]


def _regions(schema: dict[str, Any], defs: dict[str, Any]) -> None:
    """``service.replicas`` only without ``regions``; a region's ``traffic`` one pattern or a list."""
    service = defs["ServiceConfig"]
    service["required"] = [key for key in service.get("required", []) if key != "replicas"]
    if not service["required"]:
        del service["required"]
    schema.setdefault("allOf", []).append({"anyOf": [
        {"required": ["regions"], "properties": {"regions": {"type": "object"}}},
        {"properties": {"service": {"anyOf": [{"required": ["replicas"]}, {"required": ["from"]}]}}},
    ]})
    traffic = defs["RegionConfig"]["properties"]["traffic"]
    listed = next(branch for branch in traffic["anyOf"] if branch.get("type") == "array")
    traffic["anyOf"] = [listed["items"], *traffic["anyOf"]]


def _latency_forms(defs: dict[str, Any]) -> None:
    """``dist`` in any case; ``{p50, p99}`` without one; a lognormal's median or mean; a constant's value or mean."""
    for name in ("LognormalQuantiles", "LognormalLatency", "ExponentialLatency", "GammaLatency", "ConstantLatency"):
        dist = defs[name]["properties"]["dist"]
        value = dist.pop("const")
        dist.pop("enum", None)
        dist.update(type="string", pattern=f"^{_any_case(value)}$")
    lognormal = defs["LognormalLatency"]
    lognormal["anyOf"] = [{"required": ["median"]}, {"required": ["mean"]}]
    lognormal["not"] = {"required": ["median", "mean"]}
    constant = defs["ConstantLatency"]
    constant["properties"]["mean"] = {**constant["properties"]["value"], "description": "the same as value"}
    constant["required"] = ["dist"]
    constant["anyOf"] = [{"required": ["value"]}, {"required": ["mean"]}]
    constant["not"] = {"required": ["value", "mean"]}
    for definition in defs.values():
        latency = definition.get("properties", {}).get("latency")
        if latency is not None and "oneOf" in latency:
            latency["anyOf"] = latency.pop("oneOf")


def _discriminators_required(defs: dict[str, Any]) -> None:
    """The key a union is told apart by (``kind`` of a fault or a pattern) must be written."""
    for node in list(_walk(defs)):
        discriminator = node.get("discriminator")
        if not isinstance(discriminator, dict) or "mapping" not in discriminator:
            continue
        key = discriminator["propertyName"]
        for reference in discriminator["mapping"].values():
            definition = defs[reference.rsplit("/", 1)[-1]]
            if key not in definition.setdefault("required", []):
                definition["required"].insert(0, key)


def _manifest_entry() -> dict[str, Any]:
    """A strategy read from manifests: ``{from: path}``, with an Argo Rollout's ``rollout, promoteAt`` or a
    Flagger Canary's ``canary, webhooks, matchShare``."""
    duration = {"anyOf": [{"type": "string"}, {"type": "number", "minimum": 0, "maximum": 0}]}
    durations = {"type": "array", "items": duration}
    result = {"enum": ["pass", "fail", "hold"]}
    answer = {"type": "object", "required": ["result"], "properties": {"at": duration, "result": result},
              "additionalProperties": False}
    share = {"anyOf": [{"type": "number", "exclusiveMinimum": 0, "maximum": 1},
                       {"type": "string", "pattern": r"^\s*[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?\s*%\s*$"},
                       {"type": "null"}],
             "description": "with a Flagger Canary's analysis.match: the share of users whose requests match, "
                            "0-1 or '10%'"}
    return {
        "type": "object",
        "required": ["from"],
        "properties": {
            "from": {"type": "string", "description": "an Argo Rollouts or Flagger manifest file or directory, "
                                                      "relative to the scenario file"},
            "rollout": {"type": ["string", "null"], "description": "the Rollout's name, when there are several"},
            "promoteAt": durations, "promote_at": durations,
            "canary": {"type": ["string", "null"], "description": "the Flagger Canary's name, when there are several"},
            "webhooks": {"type": "object", "additionalProperties": {"anyOf": [result, {"type": "array",
                                                                                       "items": answer}]},
                         "description": "Flagger webhook name -> its answers: pass, fail or hold, or "
                                        "[{at: 10m, result: pass}, ...]"},
            "matchShare": share, "match_share": share,
            # As a results directory's scenario.json holds it:
            "strategy": {"anyOf": [{"enum": ["argo_rollout", "flagger_canary"]}, {"type": "null"}]},
            "path": {"type": "string"}, "testSuite": {"type": "null"}, "postPromotion": {"type": "null"},
        },
        "additionalProperties": False,
    }


_FROM_INFERENCE_SERVICE = {"type": "string", "description": "a file holding a KServe InferenceService, relative to "
                                                             "the scenario file"}
_INFERENCE_SERVICE_NAME = {"type": "string", "description": "the InferenceService's name, when there are several"}


def _service_from_manifest(defs: dict[str, Any]) -> None:
    """``service: {from: isvc.yaml}``: the InferenceService gives the replicas (and more), so they may be left out
    (the scenario's top level asks for one of them, or for regions)."""
    service = defs["ServiceConfig"]
    service["properties"]["from"] = _FROM_INFERENCE_SERVICE
    service["properties"]["inferenceService"] = _INFERENCE_SERVICE_NAME
    service["required"] = [name for name in service.get("required", []) if name != "replicas"]


def _inference_service_entry(defs: dict[str, Any]) -> dict[str, Any]:
    """A strategy read from a KServe InferenceService: ``{from: path}`` with a canary's settings (its weights
    come from ``canaryTrafficPercent``)."""
    canary = defs["CanaryConfig"]["properties"]
    properties = {name: value for name, value in canary.items() if name not in ("strategy", "criticality")}
    properties.update({"from": _FROM_INFERENCE_SERVICE, "inferenceService": _INFERENCE_SERVICE_NAME})
    return {"type": "object", "required": ["from"], "properties": properties, "additionalProperties": False}


def _strategies(schema: dict[str, Any], defs: dict[str, Any]) -> None:
    """A strategy entry: its kind from ``strategy``, ``criticality`` or its label; then that kind's keys."""
    references = {}
    for kind, model in STRATEGY_CONFIGS.items():
        definition = defs[model.__name__]
        names = [name for name, resolved in KIND_ALIASES.items() if resolved == kind]
        properties = definition["properties"]
        properties["strategy"] = {
            "anyOf": [{"type": "string", "pattern": _kind_pattern(names)}, {"type": "null"}],
            "description": f"the strategy kind, {kind} here ({', '.join(names)}, in any case; default: the label)",
        }
        levels = [level for level, chosen in CRITICALITY_STRATEGIES.items() if chosen == kind]
        if levels:
            properties["criticality"] = {
                "type": "string",
                "pattern": rf"^\s*(?:{'|'.join(_any_case(level) for level in levels)})\s*$",
                "description": "instead of strategy: seed guide 002's strategy for this criticality "
                               "(high: canary, medium: A/B test, low: rolling, validation: shadow)",
            }
        definition["not"] = {"required": ["strategy", "criticality"]}
        for field_name in ("judge", "primaryMetric"):
            field = properties.get(field_name)
            if (model.__name__, field_name) in _SNAKE_CASE_ENUMS and field and "enum" in field:
                field["enum"] = [spelling for value in field["enum"] for spelling in _spellings(value)]
        guardrails = properties.get("guardrails")
        if guardrails is not None and "enum" in guardrails.get("items", {}):
            items = guardrails["items"]
            items["enum"] = [spelling for value in items["enum"] for spelling in _spellings(value)]
        references[kind] = {"$ref": f"#/$defs/{model.__name__}"}
    any_kind = {"anyOf": list(references.values())}
    named = {"allOf": [any_kind, {"anyOf": [{"required": ["strategy"]}, {"required": ["criticality"]}]}]}
    from_manifests = {"anyOf": [_manifest_entry(), _inference_service_entry(defs)]}
    by_label = {
        _kind_pattern([name for name, resolved in KIND_ALIASES.items() if resolved == kind]):
            {"anyOf": [{"type": "null"}, reference, named, from_manifests]}
        for kind, reference in references.items()
    }
    schema["properties"]["strategies"] = {
        "anyOf": [
            {"type": "object", "patternProperties": by_label,
             "additionalProperties": {"anyOf": [named, from_manifests]}},
            {"type": "null"},
        ],
        "description": "strategy label -> its config; the kind comes from the strategy key, from criticality, or "
                       "else from the label (canary, blue-green, rolling, immediate, ab, shadow, ...)",
    }


def _expect(schema: dict[str, Any], expectation_names: Sequence[str] | None) -> None:
    """``expect``: an optional ``confidence``, and per strategy label its expectations."""
    confidence = {"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 1,
                  "description": "judge on the whole interval at this confidence (0-1), not the point estimate"}
    if expectation_names:
        names = "|".join(re.escape(name).replace(r"\*", r"[A-Za-z][A-Za-z0-9_-]*") for name in expectation_names)
        key = rf"^(?:confidence|(?:{names})(?:\.(?:mean|p50|p95|max))?)$"
    else:
        key = r"^[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+)?$"
    condition = {"anyOf": [{"type": "string", "pattern": CONDITION_PATTERN}, {"type": "number"}],
                 "description": "'>= X', '<= X', '> X', '< X', '== X' or 'between X and Y'; units allowed "
                                "(20m, 90%)"}
    block = {"type": "object", "properties": {"confidence": confidence}, "propertyNames": {"pattern": key},
             "additionalProperties": condition,
             "description": "expectations of one strategy: rolled_back: '>= 0.9', decision_time.p95: '<= 20m'"}
    schema["properties"]["expect"] = {
        "anyOf": [{"type": "object", "properties": {"confidence": confidence}, "additionalProperties": block},
                  {"type": "null"}],
        "description": "expected figures per strategy label, and an optional confidence (judged by rollout-sim check)",
    }


def written_schema(expectation_names: Sequence[str] | None = None) -> dict[str, Any]:
    """The JSON Schema (2020-12) of a scenario file as written (YAML, JSON or TOML alike).

    ``expectation_names`` are the figures an ``expect`` block may name
    (``simulator.check.expectation_syntax.expectation_key_names()``); without
    them any name is allowed there.
    """
    schema = Scenario.model_json_schema(by_alias=True, mode="validation")
    defs = schema["$defs"]
    models = _models(Scenario)
    for name, model in models.items():
        definition = schema if model is Scenario else defs.get(name)
        if definition is not None:
            _accept_field_names(definition, model)
    horizon = schema["properties"]["horizon"]
    schema["properties"]["horizon"] = {
        "anyOf": [{"type": "number", "exclusiveMinimum": 0, "maximum": MAX_HORIZON},
                  {"type": "string", "pattern": DURATION_PATTERN, "maxLength": MAX_TEXT_LENGTH}],
        "default": horizon.get("default"), "description": horizon.get("description"),
    }
    _one_or_list(defs["TrafficConfig"], "pattern")
    _regions(schema, defs)
    _one_or_list(defs["DriftConfig"], "data")
    _latency_forms(defs)
    _discriminators_required(defs)
    _service_from_manifest(defs)
    _strategies(schema, defs)
    _expect(schema, expectation_names)
    for node in list(_walk(schema)):
        _bounds_into_numbers(node)
        _text_forms(node)
    return {
        "$schema": SCHEMA_DIALECT,
        "title": "rollout-sim scenario",
        "description": "A scenario file of rollout-sim, as written: YAML, JSON or TOML. Durations, rates and "
                       "latencies are numbers (seconds, requests/s) or text with a unit (5m, 200/s, 40ms).",
        **{key: value for key, value in schema.items() if key not in ("title", "description")},
    }
