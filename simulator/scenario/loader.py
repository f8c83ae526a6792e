"""Reading scenario files (YAML, JSON or TOML) into a validated :class:`Scenario`.

A file is read as UTF-8 text of at most :data:`~simulator.scenario.limits.MAX_FILE_BYTES`
bytes; what it holds is checked for depth, size and finite numbers
(:mod:`simulator.scenario.raw_data`) before it is validated. Every problem is
one :class:`ScenarioError` line naming the file.
"""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from simulator.errors import ScenarioError
from simulator.scenario.limits import MAX_FILE_BYTES
from simulator.scenario.model import Scenario
from simulator.scenario.raw_data import check_raw_data
from simulator.scenario.validation_errors import one_line, validation_to_scenario_error

__all__ = ["load_scenario", "parse_scenario", "read_scenario_data", "scenario_schema", "validation_to_scenario_error"]


def _read_text(file: Path) -> str:
    try:
        with file.open("rb") as handle:
            raw = handle.read(MAX_FILE_BYTES + 1)
    except FileNotFoundError:
        raise ScenarioError(
            "file not found; expected a scenario file (.yaml, .yml, .json or .toml)", file=str(file)
        ) from None
    except OSError as error:
        raise ScenarioError(f"cannot read the file ({error.strerror})", file=str(file)) from None
    if len(raw) > MAX_FILE_BYTES:
        raise ScenarioError(
            f"larger than {MAX_FILE_BYTES // (1024 * 1024)} MiB; expected a scenario file of a few kilobytes",
            file=str(file),
        )
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ScenarioError(
            f"not UTF-8 text (byte 0x{raw[error.start]:02x} at offset {error.start}); "
            "expected a YAML, JSON or TOML file encoded as UTF-8",
            file=str(file),
        ) from None


def read_scenario_data(path: str | Path) -> dict[str, Any]:
    """Read the raw mapping of a scenario file, choosing the format by suffix.

    The mapping is checked for depth, size and finite numbers, not validated.
    """
    file = Path(path)
    text = _read_text(file)
    suffix = file.suffix.lower()
    kind = suffix.lstrip(".").upper() if suffix in (".json", ".toml") else "YAML"
    try:
        if suffix == ".json":
            data = json.loads(text)
        elif suffix == ".toml":
            data = tomllib.loads(text)
        else:
            data = yaml.safe_load(text)
    except (yaml.YAMLError, json.JSONDecodeError, tomllib.TOMLDecodeError) as error:
        detail = one_line(" ".join(str(error).split()))
        raise ScenarioError(f"not valid {kind}: {detail}", file=str(file)) from None
    except RecursionError:
        raise ScenarioError(
            f"not valid {kind}: nested too deeply; expected a flatter scenario", file=str(file)
        ) from None
    if not isinstance(data, dict):
        raise ScenarioError(f"expected a mapping at the top level, got {type(data).__name__}", file=str(file))
    check_raw_data(data, file=str(file))
    return data


def parse_scenario(data: dict[str, Any], *, source: str | None = None) -> Scenario:
    """Validate a raw mapping into a :class:`Scenario` or raise a one-line :class:`ScenarioError`."""
    check_raw_data(data, file=source)
    try:
        return Scenario.model_validate(data)
    except ValidationError as error:
        raise validation_to_scenario_error(error, source, data) from None
    except ScenarioError as error:
        # Raised by the model's own checks, with names a user wrote: kept on one line.
        raise ScenarioError(
            one_line(error.reason),
            file=source or error.file,
            path=one_line(error.path) if error.path else None,
            value=error.value,
            expected=error.expected,
        ) from None


def load_scenario(path: str | Path) -> Scenario:
    """Load and validate the scenario file at ``path``."""
    return parse_scenario(read_scenario_data(path), source=str(path))


def scenario_schema() -> dict[str, Any]:
    """The JSON Schema of scenario files (for editors)."""
    schema = Scenario.model_json_schema(by_alias=True, mode="validation")
    schema["title"] = "rollout-sim scenario"
    return schema
