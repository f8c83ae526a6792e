"""Reading scenario files (YAML, JSON or TOML) into a validated :class:`Scenario`.

A file is read as UTF-8 text of at most :data:`~simulator.scenario.limits.MAX_FILE_BYTES`
bytes; what it holds is checked for depth, size and finite numbers
(:mod:`simulator.scenario.raw_data`) before it is validated. Every problem is
one :class:`ScenarioError` line naming the file.
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from simulator.errors import ScenarioError
from simulator.scenario.expect_block import check_expect_block
from simulator.scenario.limits import MAX_FILE_BYTES
from simulator.scenario.manifest_strategy_config import scenario_directory
from simulator.scenario.model import Scenario, parse_strategy
from simulator.scenario.raw_data import check_raw_data
from simulator.scenario.shadow_config import ImmediateConfig
from simulator.scenario.types import written_input
from simulator.scenario.validation_errors import one_line, validation_to_scenario_error

__all__ = ["load_scenario", "parse_scenario", "read_scenario_data", "scenario_problems", "scenario_schema",
           "validation_to_scenario_error"]


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


def _on_one_line(error: ScenarioError, source: str | None) -> ScenarioError:
    """A :class:`ScenarioError` from the model's own checks, which may quote names a user wrote, on one line."""
    return ScenarioError(
        one_line(error.reason),
        file=source or error.file,
        path=one_line(error.path) if error.path else None,
        value=error.value,
        expected=error.expected,
    )


def parse_scenario(data: dict[str, Any], *, source: str | None = None, written: bool = True) -> Scenario:
    """Validate a raw mapping into a :class:`Scenario` or raise a one-line :class:`ScenarioError`.

    ``written`` (the default) reads ``data`` as a person wrote it: durations
    and latencies need their unit. ``written=False`` reads the package's own
    dump (``Scenario.model_dump(by_alias=True)``, durations in seconds).
    """
    check_raw_data(data, file=source)
    try:
        with scenario_directory(source):
            if not written:
                return Scenario.model_validate(data)
            with written_input():
                return Scenario.model_validate(data)
    except ValidationError as error:
        raise validation_to_scenario_error(error, source, data) from None
    except ScenarioError as error:
        # Raised by the model's own checks, with names a user wrote: kept on one line.
        raise _on_one_line(error, source) from None


def _one_per_error(error: ValidationError, source: str | None, data: Any) -> list[ScenarioError]:
    """Each of pydantic's errors as its own one-line :class:`ScenarioError`."""
    problems: list[ScenarioError] = []
    for detail in error.errors():
        line: Any = {key: detail[key] for key in ("type", "loc", "input", "ctx") if key in detail}
        try:
            single = ValidationError.from_exception_data(error.title, [line])
        except (TypeError, ValueError, KeyError):  # an error kind pydantic cannot rebuild: the first, with a count
            return problems + [validation_to_scenario_error(error, source, data)]
        problems.append(validation_to_scenario_error(single, source, data))
    return problems


def scenario_problems(data: dict[str, Any], *, source: str | None = None) -> list[ScenarioError]:
    """Every problem of a raw scenario mapping, one :class:`ScenarioError` each, in the order of the file's keys.

    :func:`parse_scenario` stops at the first problem; this goes on. Each
    strategy entry is checked on its own, and the rest of the scenario with
    the sound entries (an entry with a problem stands in as an immediate
    switch, so that references to its label still hold). Checks that relate
    keys to each other (a stable version that is not declared) run once every
    key is sound on its own, and report the first such problem. The
    ``expect`` block's shape is checked here; its figures and conditions by
    ``simulator.check.expectation_syntax``.
    """
    try:
        check_raw_data(data, file=source)
    except ScenarioError as error:
        return [error]
    with written_input(), scenario_directory(source):
        return _problems(data, source)


def _problems(data: dict[str, Any], source: str | None) -> list[ScenarioError]:
    """:func:`scenario_problems` of data whose raw shape is sound."""
    problems: list[ScenarioError] = []
    rest = dict(data)
    strategies = rest.pop("strategies", None)
    expect = rest.pop("expect", None)
    if isinstance(strategies, dict):
        parsed = {}
        for label, config in strategies.items():
            try:
                parsed[str(label)] = parse_strategy(str(label), config)
            except ScenarioError as error:
                problems.append(_on_one_line(error, source))
                parsed[str(label)] = ImmediateConfig()
        rest["strategies"] = parsed
    elif strategies is not None:
        rest["strategies"] = strategies
    try:
        rest["expect"] = check_expect_block(expect)
    except ScenarioError as error:
        problems.append(_on_one_line(error, source))
    try:
        Scenario.model_validate(rest)
    except ValidationError as error:
        problems += _one_per_error(error, source, rest)
    except ScenarioError as error:
        problems.append(_on_one_line(error, source))
    order = {str(key): index for index, key in enumerate(data)}

    def position(problem: ScenarioError) -> int:
        head = (problem.path or "").split(".")[0].split("[")[0]
        return order.get(head, len(order))

    return sorted(problems, key=position)


def load_scenario(path: str | Path) -> Scenario:
    """Load and validate the scenario file at ``path``."""
    return parse_scenario(read_scenario_data(path), source=str(path))


def scenario_schema(expectation_names: Sequence[str] | None = None) -> dict[str, Any]:
    """The JSON Schema of scenario files as they are written (for editors and validators).

    See :func:`simulator.scenario.written_schema.written_schema`; ``expectation_names`` are the
    figures an ``expect`` block may name (``rollout-sim schema`` passes them).
    """
    from simulator.scenario.written_schema import written_schema  # only `rollout-sim schema` needs it

    return written_schema(expectation_names)
