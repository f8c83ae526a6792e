"""The JSON Schema of scenario files as written, checked with an independent validator (``jsonschema``).

Every file people are shown validates (the bundled scenarios, the shared
examples that load, the YAML examples of the README and docs); files the
loader rejects for a reason a schema can see fail it; and what the loader
reads as the same thing written another way (units as text, snake_case, one
item for a list, ``criticality``) the schema accepts too.
"""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from jsonschema import Draft7Validator, Draft202012Validator

from simulator.check.expectation_syntax import expectation_key_names
from simulator.cli import main
from simulator.errors import ScenarioError
from simulator.scenario import load_scenario, parse_scenario
from simulator.scenario.written_dump import written_dump
from simulator.scenario.written_schema import DURATION_PATTERN, RATE_PATTERN, SCHEMA_DIALECT, written_schema
from simulator.units import parse_duration, parse_rate
from tests.helpers import REPO, SCENARIOS, scenario_data

SHARED_EXAMPLES = Path("/work/shared/examples")
"""Example scenario files kept beside the repository, where there are any."""

SCHEMA = written_schema(expectation_key_names())
VALIDATOR = Draft202012Validator(SCHEMA)


def schema_errors(data: Any) -> list[str]:
    """Every error of ``data`` against the schema, as ``path: message``."""
    return [f"{'/'.join(map(str, error.absolute_path))}: {error.message}" for error in VALIDATOR.iter_errors(data)]


def loads(data: dict[str, Any]) -> bool:
    try:
        parse_scenario(data)
    except ScenarioError:
        return False
    return True


def test_the_schema_is_a_valid_2020_12_schema_that_draft_7_editors_read_alike() -> None:
    Draft202012Validator.check_schema(SCHEMA)
    Draft7Validator.check_schema(SCHEMA)
    assert SCHEMA["$schema"] == SCHEMA_DIALECT
    for path in sorted(SCENARIOS.glob("*.yaml")):
        assert list(Draft7Validator(SCHEMA).iter_errors(yaml.safe_load(path.read_text()))) == [], path.name


@pytest.mark.parametrize("path", sorted(SCENARIOS.glob("*.yaml")), ids=lambda path: path.name)
def test_every_bundled_scenario_validates(path: Path) -> None:
    data = yaml.safe_load(path.read_text())
    assert schema_errors(data) == []
    # The scenario as a results directory stores it (scenario.json: defaults filled in, units written) too.
    assert schema_errors(written_dump(load_scenario(path), mode="json")) == []


@pytest.mark.skipif(not SHARED_EXAMPLES.is_dir(), reason="no shared examples beside the repository")
def test_every_shared_example_that_loads_validates() -> None:
    checked = 0
    for path in sorted(SHARED_EXAMPLES.glob("*.yaml")):
        data = yaml.safe_load(path.read_text())
        entries = (data.get("strategies") or {}).values()
        manifests = any(isinstance(config, dict) and "from" in config for config in entries)
        if not loads(data) and not manifests:  # what a manifest holds (and whether it runs) is beyond a schema
            assert schema_errors(data), f"{path.name}: the loader rejects it, so should the schema"
            continue
        assert schema_errors(data) == [], path.name
        checked += 1
    assert checked >= 1


def yaml_blocks(path: Path) -> list[str]:
    """The fenced ```yaml blocks of a Markdown file."""
    return re.findall(r"^```yaml\n(.*?)^```", path.read_text(), flags=re.MULTILINE | re.DOTALL)


SCENARIO_KEYS = set(SCHEMA["properties"])


def test_every_yaml_example_in_readme_and_docs_that_is_a_scenario_validates(monkeypatch) -> None:
    """A block with ``versions`` is a whole scenario; a block of scenario keys only is an excerpt, checked in the
    quickstart scenario. Other blocks (a CI workflow) are not scenarios. Paths in them (``from:``) are read as
    if the block sat beside the bundled scenarios."""
    monkeypatch.chdir(SCENARIOS)
    checked = []
    for document in [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]:
        for block in yaml_blocks(document):
            data = yaml.safe_load(block)
            if not isinstance(data, dict) or not set(data) <= SCENARIO_KEYS:
                continue
            if "versions" not in data:
                data = {**scenario_data("quickstart.yaml"), **data}
            where = f"{document.name}: {block.splitlines()[0]}"
            parse_scenario(data, source=where)  # loads, or the error names the block
            assert schema_errors(data) == [], where
            checked.append(where)
    # README's editor example (with the yaml-language-server line) and docs/ci.md's expect block, at least.
    assert len(checked) >= 2, checked
    readme = (REPO / "README.md").read_text()
    assert "# yaml-language-server: $schema=" in readme and "rollout-sim schema >" in readme


def test_the_documented_top_level_confidence_validates_and_loads() -> None:
    data = scenario_data("quickstart.yaml")
    data["expect"] = {"confidence": 0.95, "canary": {"rolled_back": ">= 0.9", "decision_time.p95": "<= 20m"}}
    assert schema_errors(data) == []
    assert parse_scenario(data).expect["confidence"] == 0.95


def variant(change) -> dict[str, Any]:
    data = copy.deepcopy(scenario_data("quickstart.yaml"))
    change(data)
    return data


def _set(path: str, value: Any):
    def change(data: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        node = data
        for key in parents:
            node = node[key]
        if value is _DELETE:
            del node[last]
        else:
            node[last] = value
    return change


_DELETE = object()

ACCEPTED = {
    "snake_case strategy keys": _set("strategies.canary", {"initial_percentage": 10, "increment_step": 20,
                                                         "monitoring_duration": "2m"}),
    "strategy named in another case": _set("strategies.canary", {"strategy": "Blue-Green",
                                                                 "smokeTestSamples": 50}),
    "criticality instead of strategy": _set("strategies.fraud", {"criticality": "high", "monitoringDuration": "10m"}),
    "statistical judge written in PascalCase": _set("strategies.canary", {"judge": "MannWhitney",
                                                                          "passScore": 90}),
    "seed rules": _set("strategies.canary", {
        "steps": [5, 10, 25, 50, 75, 100], "initialDuration": "10m", "postPromotion": {"interval": "5m"},
        "testSuite": {"samples": 500, "drift": None}, "baseline": "stable",
        "rollbackThresholds": {"maxErrorRate": 0.01, "maxResponseTime": "2s"}}),
    "blue-green shift and validation": _set("strategies.blue_green", {
        "shiftSteps": [10, 25, 50, 75, 100], "shiftInterval": "30s", "validation": {"responseTests": 20}}),
    "rolling pause": _set("strategies.rolling", {"batchSize": 1, "onFailure": "pause"}),
    "held canary": _set("strategies.canary", {"steps": [5, 10, 25, 50], "rolloutDuration": "1h",
                                              "judge": "mann_whitney"}),
    "one traffic pattern": _set("traffic.pattern", {"kind": "spike", "at": "10m", "factor": 2, "for": "5m"}),
    "a list of patterns": _set("traffic.pattern", [{"kind": "diurnal", "amplitude": 0.2, "period": "1d"},
                                                   {"kind": "spike", "at": "600s", "factor": 2, "duration": "300s"}]),
    "rate per minute": _set("traffic.rate", "6000/min"),
    "a zero duration without a unit": _set("versions.v2.startup", 0),
    "shares as percent strings": _set("strategies.canary", {"initialPercentage": "5%", "incrementStep": 20}),
    "ISO 8601 horizon": _set("horizon", "PT2H"),
    "latency by distribution, any case": _set("versions.v2.latency", {"dist": "Exponential", "mean": "40ms"}),
    "constant latency by its mean": _set("versions.v2.latency", {"dist": "constant", "mean": "0.05s"}),
    "lognormal by its mean": _set("versions.v2.latency", {"dist": "lognormal", "mean": "50ms", "sigma": 0.4}),
    "observe": _set("observe", "30m"),
    "a per-label confidence": _set("expect", {"canary": {"confidence": 0.99, "rolled_back": ">= 90%",
                                                         "candidate_requests": "between 1000 and 20000"}}),
}


@pytest.mark.parametrize("name", list(ACCEPTED))
def test_written_forms_the_loader_reads_validate(name: str) -> None:
    data = variant(ACCEPTED[name])
    assert loads(data), name
    assert schema_errors(data) == []


REJECTED = {
    "unknown top-level key": _set("horizn", "2h"),
    "a rate that is no rate": _set("traffic.rate", "fast"),
    "a duration in words": _set("horizon", "two hours"),
    "a duration without its unit": _set("service.timeout", 2),
    "a latency without its unit": _set("versions.v2.latency", {"p50": 28, "p99": 110}),
    "{p50} without p99": _set("versions.v2.latency", {"p50": "30ms"}),
    "a key of another strategy": _set("strategies.canary", {"shiftSteps": [50, 100]}),
    "strategy and criticality": _set("strategies.canary", {"strategy": "canary", "criticality": "high"}),
    "a label that names no kind": _set("strategies.fraud", {"monitoringDuration": "5m"}),
    "an unknown criticality": _set("strategies.fraud", {"criticality": "urgent"}),
    "a confidence of 95": _set("expect", {"confidence": 95, "canary": {"rolled_back": ">= 0.9"}}),
    "an expectation without an operator": _set("expect", {"canary": {"rolled_back": "about 0.9"}}),
    "a misspelt expectation": _set("expect", {"canary": {"rolled_bak": ">= 0.9"}}),
    "a fault without its kind": _set("faults", [{"version": "v2", "at": "5m", "factor": 2}]),
    "a traffic pattern without its kind": _set("traffic.pattern", [{}]),
}


@pytest.mark.parametrize("name", list(REJECTED))
def test_files_the_loader_rejects_fail_the_schema(name: str) -> None:
    data = variant(REJECTED[name])
    if "expect" not in name and "expectation" not in name:
        assert not loads(data), name
    assert schema_errors(data), name


def test_rollout_sim_schema_prints_the_written_schema(capsys) -> None:
    assert main(["schema"]) == 0
    assert json.loads(capsys.readouterr().out) == json.loads(json.dumps(SCHEMA))


DURATIONS = ["45s", "5m", "2h", "10d", "250ms", "1.5s", " 3 min ", "1e3", "PT5M", "P7D", "P1DT2H", "pt30s", "2w",
             "5 minutes", "5mm", "-5m", "P", "PT", "P1DT", "5m30s", "", "m", "1,5s", "1.5.2s"]
RATES = ["200/s", "12000/min", "3/h", "5 / second", "7", "200 per s", "/s", "200/y", "-3/s", "2e2/s"]


def accepts(parse, text: str) -> bool:
    try:
        parse(text)
    except ValueError:
        return False
    return True


@pytest.mark.parametrize("text", DURATIONS)
def test_the_duration_pattern_is_the_parser(text: str) -> None:
    assert bool(re.search(DURATION_PATTERN, text)) == accepts(parse_duration, text)


@pytest.mark.parametrize("text", RATES)
def test_the_rate_pattern_is_the_parser(text: str) -> None:
    assert bool(re.search(RATE_PATTERN, text)) == accepts(parse_rate, text)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="0123456789.+-eEPTWDHMSsmhdw/ inu", max_size=10))
def test_the_unit_patterns_agree_with_the_parsers_on_any_short_text(text: str) -> None:
    # Two differences on purpose: the parsers read "-0" as 0 (a schema has no business with it), and reject a
    # number too large for a float ("1e400"), which a pattern cannot see.
    assume(not re.match(r"\s*-", text) and not re.search(r"[eE][+-]?\d{3}", text))
    assert bool(re.search(DURATION_PATTERN, text)) == accepts(parse_duration, text)
    assert bool(re.search(RATE_PATTERN, text)) == accepts(parse_rate, text)
