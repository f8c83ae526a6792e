"""Reading scenario files (YAML, JSON or TOML) into a validated :class:`Scenario`."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from simulator.errors import ScenarioError
from simulator.scenario.model import Scenario

__all__ = ["load_scenario", "parse_scenario", "read_scenario_data", "scenario_schema", "validation_to_scenario_error"]

_UNION_TAGS = {
    "CanaryConfig", "BlueGreenConfig", "RollingConfig", "ImmediateConfig", "ABTestConfig", "ShadowConfig",
    "constant", "diurnal", "spike", "crash", "latency", "error_rate",
    "dependency_outage", "metrics_outage", "traffic_spike",
}


def read_scenario_data(path: str | Path) -> dict[str, Any]:
    """Read the raw mapping of a scenario file, choosing the format by suffix."""
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ScenarioError(
            "file not found; expected a scenario file (.yaml, .yml, .json or .toml)", file=str(file)
        ) from None
    except OSError as error:
        raise ScenarioError(f"cannot read the file ({error.strerror})", file=str(file)) from None
    suffix = file.suffix.lower()
    try:
        if suffix == ".json":
            data = json.loads(text)
        elif suffix == ".toml":
            data = tomllib.loads(text)
        else:
            data = yaml.safe_load(text)
    except (yaml.YAMLError, json.JSONDecodeError, tomllib.TOMLDecodeError) as error:
        detail = " ".join(str(error).split())
        raise ScenarioError(f"not valid {suffix.lstrip('.').upper() or 'YAML'}: {detail}", file=str(file)) from None
    if not isinstance(data, dict):
        raise ScenarioError(f"expected a mapping at the top level, got {type(data).__name__}", file=str(file))
    return data


def _location(loc: tuple[Any, ...]) -> str:
    parts: list[str] = []
    for item in loc:
        if isinstance(item, str) and (item in _UNION_TAGS or item.startswith("function-")):
            continue
        if isinstance(item, int):
            if parts:
                parts[-1] += f"[{item}]"
            else:
                parts.append(f"[{item}]")
        else:
            parts.append(str(item))
    return ".".join(parts)


def _describe(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def validation_to_scenario_error(error: ValidationError, file: str | None) -> ScenarioError:
    """Turn pydantic's first error into a one-line :class:`ScenarioError`."""
    first = error.errors()[0]
    path = _location(tuple(first["loc"]))
    message = first["msg"]
    if message.startswith("Value error, "):
        message = message[len("Value error, "):]
    kind = first["type"]
    value = first.get("input")
    if kind == "missing":
        text = "missing required key"
    elif kind in ("value_error", "assertion_error") and message.startswith(("unknown key", "strategy '")):
        text = message
    else:
        if message.startswith("Input should be "):
            message = message[len("Input should be "):]
        elif message.startswith("expected "):
            message = message[len("expected "):]
        text = f"got {_describe(value)}; expected {message}"
    more = len(error.errors()) - 1
    if more:
        text += f" (and {more} more problem{'s' if more > 1 else ''})"
    return ScenarioError(text, file=file, path=path or None, value=value, expected=message)


def parse_scenario(data: dict[str, Any], *, source: str | None = None) -> Scenario:
    """Validate a raw mapping into a :class:`Scenario` or raise a one-line :class:`ScenarioError`."""
    try:
        return Scenario.model_validate(data)
    except ValidationError as error:
        raise validation_to_scenario_error(error, source) from None
    except ScenarioError as error:
        raise error.located(file=source) from None


def load_scenario(path: str | Path) -> Scenario:
    """Load and validate the scenario file at ``path``."""
    return parse_scenario(read_scenario_data(path), source=str(path))


def scenario_schema() -> dict[str, Any]:
    """The JSON Schema of scenario files (for editors)."""
    schema = Scenario.model_json_schema(by_alias=True, mode="validation")
    schema["title"] = "rollout-sim scenario"
    return schema
