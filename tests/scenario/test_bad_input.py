"""Bad scenario input is one ScenarioError line naming the file, the key path and what was expected."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from simulator.errors import ScenarioError
from simulator.scenario import CanaryConfig, load_scenario, parse_scenario, read_scenario_data
from simulator.scenario.limits import MAX_FILE_BYTES
from tests.helpers import SCENARIOS, scenario_data


def rejected(data: dict[str, Any], *, source: str = "bad.yaml") -> str:
    with pytest.raises(ScenarioError) as caught:
        parse_scenario(data, source=source)
    message = str(caught.value)
    assert len(message.splitlines()) == 1 and message.startswith(f"{source}: "), message
    return message


def file_rejected(path: Path) -> str:
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    message = str(caught.value)
    assert len(message.splitlines()) == 1 and message.startswith(f"{path}: "), message
    return message


# -- files ---------------------------------------------------------------------

def test_a_file_that_is_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes("name: café\n".encode("latin-1"))
    assert "not UTF-8 text (byte 0xe9 at offset 9)" in file_rejected(path)


def test_a_byte_order_mark_is_fine(tmp_path: Path) -> None:
    path = tmp_path / "bom.json"
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps(scenario_data("quickstart.yaml")).encode())
    assert load_scenario(path).name == "quickstart-latency-regression"


def test_a_file_over_the_size_limit_is_not_parsed(tmp_path: Path) -> None:
    path = tmp_path / "huge.yaml"
    path.write_bytes(b"name: x\ndescription: '" + b"y" * MAX_FILE_BYTES + b"'\n")
    assert "larger than 10 MiB" in file_rejected(path)


@pytest.mark.parametrize(
    ("suffix", "text"),
    [
        (".yaml", "name: " + "[" * 5000 + "]" * 5000),
        (".json", '{"name": ' + "[" * 5000 + "]" * 5000 + "}"),
        (".toml", "name = " + "[" * 5000 + "]" * 5000),
        (".yaml", "name: " + "{a: " * 5000 + "1" + "}" * 5000),
    ],
)
def test_nesting_that_overflows_a_parser(tmp_path: Path, suffix: str, text: str) -> None:
    path = tmp_path / f"deep{suffix}"
    path.write_text(text)
    assert "nested" in file_rejected(path)


def test_nesting_deeper_than_64_is_rejected_before_validation(tmp_path: Path) -> None:
    data = scenario_data("quickstart.yaml")
    data["description"] = json.loads("[" * 100 + "]" * 100)
    path = tmp_path / "deep.json"
    path.write_text(json.dumps(data))
    assert "description" in file_rejected(path) and "nested more than 64 deep" in file_rejected(path)


def test_yaml_aliases_cannot_blow_up(tmp_path: Path) -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [*a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, "
              f"*a{i - 1}, *a{i - 1}, *a{i - 1}]" for i in range(1, 9)]
    path = tmp_path / "laughs.yaml"
    path.write_text("\n".join(lines) + "\n")
    assert "more than 1,000,000 values" in file_rejected(path)
    cycle = tmp_path / "cycle.yaml"
    cycle.write_text("description: &loop\n  - *loop\n")
    assert "nested more than 64 deep" in file_rejected(cycle)


def test_a_top_level_that_is_no_mapping(tmp_path: Path) -> None:
    path = tmp_path / "list.yaml"
    path.write_text("- 1\n- 2\n")
    assert "expected a mapping at the top level, got list" in file_rejected(path)


def test_nan_anywhere_is_rejected(tmp_path: Path) -> None:
    data = scenario_data("quickstart.yaml")
    data["expect"]["canary"]["rolled_back"] = float("nan")
    path = tmp_path / "nan.yaml"
    path.write_text(yaml.safe_dump(data))
    assert "expect.canary.rolled_back: got nan; expected a finite number" in file_rejected(path)
    assert read_scenario_data(SCENARIOS / "quickstart.yaml")["name"]  # a good file still reads


# -- values --------------------------------------------------------------------

def change(edit: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    data = scenario_data("quickstart.yaml")
    edit(data)
    return data


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (lambda d: d["traffic"].update(rate=1e30), "traffic.rate: got 1e+30; expected at most 10,000,000 requests/s"),
        (lambda d: d["traffic"].update(rate="1e30/s"), "expected at most 10,000,000 requests/s"),
        (lambda d: d["traffic"].update(rate=True), "traffic.rate: got True; expected a rate"),
        (lambda d: d["traffic"].update(rate=float("inf")), "traffic.rate: got inf; expected a finite number"),
        (lambda d: d["traffic"].update(users=10**12), "traffic.users: got 1000000000000; expected at most 10,000,000"),
        (lambda d: d["traffic"].update(users=1e30), "traffic.users: got 1e+30; expected at most 10,000,000"),
        (lambda d: d["traffic"].update(users=6_000_000), "traffic.users: got 6,000,000 users x 2 versions"),
        (lambda d: d["traffic"].update(rate="9e6/s", pattern={"kind": "spike", "at": 0, "factor": 2, "for": "60s"}),
         "traffic: got a peak arrival rate of 1.8e+07 requests/s"),
        (lambda d: d["service"].update(replicas=2**63), "service.replicas: got 9.22e+18; expected at most 100,000"),
        (lambda d: d["service"].update(replicas=True), "service.replicas: got True; expected a number"),
        (lambda d: d["service"].update(concurrency=20_000), "service.concurrency: got 20000; expected at most 10,000"),
        (lambda d: d.update(horizon="401d"), "horizon: got '401d'; expected at most 34,560,000 seconds (400 days)"),
        (lambda d: d.update(horizon=".inf"), "horizon: got '.inf'; expected a duration"),
        (lambda d: d.update(seed=2**63), "seed: got 9.22e+18; expected at most 9,007,199,254,740,992"),
        (lambda d: d["versions"]["v1"].update(accuracy=True), "versions.v1.accuracy: got True; expected a number"),
        (lambda d: d["versions"]["v1"].update(latency={"p50": "2d", "p99": "3d"}),
         "versions.v1.latency.p50: got '2d'; expected at most 86,400 seconds (1 day)"),
        (lambda d: d["versions"]["v1"].update(latency={"p50": "1us", "p99": "1d"}),
         "expected p99 at most 1e+10 times p50"),
        (lambda d: d["versions"]["v1"].update(latency={"dist": "lognormal", "median": "1s", "sigma": 50}),
         "versions.v1.latency.sigma: got 50; expected at most 10"),
        (lambda d: d["versions"]["v1"].update(latency={"dist": "gamma", "mean": "1s", "shape": 1e9}),
         "versions.v1.latency.shape: got 1000000000.0; expected at most 10,000"),
        (lambda d: d["versions"]["v1"].update(latency={"dist": "gamma", "mean": "1s", "shape": "abc"}),
         "versions.v1.latency.shape: got 'abc'; expected a valid number, unable to parse"),
        (lambda d: d["versions"]["v1"].update(latency={"dist": "weibull", "mean": "1s"}),
         "versions.v1.latency: got dist 'weibull'; expected {p50, p99}"),
        (lambda d: d["versions"]["v1"].update(latency={"dist": "constant", "value": "1s", "sd": 1}),
         "versions.v1.latency: unknown key 'sd' for a constant latency; expected one of: dist, value"),
        (lambda d: d.update(faults=[{"kind": "latency", "version": "v1", "at": 0, "factor": 1e6}]),
         "faults[0].factor: got 1000000.0; expected at most 1,000"),
        (lambda d: d["monitoring"].update(scrape_interval="1ms"),
         "monitoring.scrape_interval: got 7,500,002 scrape intervals"),
        (lambda d: d["monitoring"].update(drift={"window": "1s"}) or d.update(horizon="10d"),
         "monitoring.drift.window: got a window of 1s: 864,000 drift checks"),
        (lambda d: d["monitoring"].update(drift={"window": "1ms"}),
         "monitoring.drift.window: got 0.001; expected at least 1"),
        (lambda d: d["strategies"]["canary"].update(incrementStep=1e-300),
         "strategies.canary.incrementStep: got 1e-300; expected at least 0.01"),
        (lambda d: d["strategies"]["blue_green"].update(smokeTestSamples=10**9), "expected at most 1,000,000"),
        (lambda d: d.update(stable="v\n9"), "stable: got 'v\\n9'; expected the name of a version"),
        (lambda d: d["versions"].update({"v\u20289": d["versions"]["v1"]}) or d.update(stable="v3"),
         "stable: got 'v3'; expected the name of a version (v1, v2, v\\u20289)"),
        (lambda d: d["traffic"].update({"ra\nte": 1}), "traffic: unknown key 'ra\\nte'"),
    ],
)
def test_out_of_range_values(edit: Callable[[dict[str, Any]], None], expected: str) -> None:
    assert expected in rejected(change(edit))


def test_a_declared_version_may_not_take_a_retrained_name() -> None:
    data = scenario_data("drift-retraining.yaml")
    data["versions"]["churn-v7-retrained-2"] = data["versions"]["churn-v7"]
    assert "versions.churn-v7-retrained-2: got 'churn-v7-retrained-2'; expected another name" in rejected(data)


def test_a_strategy_key_must_match_its_config() -> None:
    with pytest.raises(ValueError, match="got strategy 'BlueGreen'; expected a canary strategy"):
        CanaryConfig(strategy="BlueGreen")


def test_bounds_leave_the_bundled_scenarios_alone() -> None:
    for path in sorted(SCENARIOS.glob("*.yaml")):
        load_scenario(path)
