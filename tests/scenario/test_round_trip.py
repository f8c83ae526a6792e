"""A scenario is plain data: dumping it and loading the dump gives the same scenario.

Checked for every bundled scenario and for generated ones that use every
latency form, fault, traffic pattern and strategy kind, with units, aliases
(``for``), camelCase and snake_case keys, kinds taken from labels and from
``strategy`` keys.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simulator.scenario import Scenario, load_scenario, parse_scenario
from simulator.scenario.latency_spec import LognormalLatency, LognormalQuantiles
from simulator.scenario.written_dump import written_dump
from tests.helpers import REPO, SCENARIOS

BUNDLED = sorted(SCENARIOS.glob("*.yaml")) + [REPO / "tests" / "data" / "quickstart.toml"]


def assert_round_trips(scenario: Scenario) -> None:
    python_dump = scenario.model_dump(by_alias=True)
    json_dump = json.loads(scenario.model_dump_json(by_alias=True))
    assert json.loads(json.dumps(python_dump)) == json_dump  # the dump is plain JSON data
    assert parse_scenario(python_dump, written=False) == scenario
    assert parse_scenario(json_dump, written=False) == scenario
    assert parse_scenario(json_dump, written=False).model_dump(by_alias=True) == python_dump
    # As written (durations with their unit), it loads back as a file would, to the same floats.
    assert parse_scenario(written_dump(scenario)) == scenario
    assert parse_scenario(json.loads(json.dumps(written_dump(scenario, mode="json")))) == scenario


@pytest.mark.parametrize("path", BUNDLED, ids=lambda path: path.name)
def test_bundled_scenarios_round_trip(path: Path) -> None:
    assert_round_trips(load_scenario(path))


def test_the_dump_names_each_kind_and_keeps_aliases() -> None:
    scenario = load_scenario(SCENARIOS / "failures.yaml")
    dump = scenario.model_dump(by_alias=True)
    assert all(config["strategy"] for config in dump["strategies"].values())
    assert any("for" in fault for fault in dump["faults"])
    assert all(isinstance(fault["at"], float) for fault in dump["faults"])  # durations as seconds


def test_a_kind_taken_from_the_label_loads_under_another_label() -> None:
    base = written_dump(load_scenario(SCENARIOS / "quickstart.yaml"), mode="json")
    moved = dict(base, strategies={"fast": base["strategies"]["canary"]})
    assert type(parse_scenario(moved).strategies["fast"]).__name__ == "CanaryConfig"


def test_a_latency_given_by_its_mean_is_kept_as_its_median() -> None:
    data = written_dump(load_scenario(SCENARIOS / "quickstart.yaml"), mode="json")
    data["versions"]["v1"]["latency"] = {"dist": "lognormal", "mean": "50ms", "sigma": 0.5}
    latency = parse_scenario(data).versions["v1"].latency
    assert isinstance(latency, LognormalLatency)
    assert latency.median == pytest.approx(0.05 / 1.1331484530668263)
    assert "mean" not in latency.model_dump()


# -- generated scenarios -------------------------------------------------------

NAMES = ["v1", "v2", "blue", "green", "model-7"]

millis = st.integers(1, 900).map(lambda ms: f"{ms}ms")
seconds = st.floats(0.001, 5.0, allow_nan=False).map(lambda s: round(s, 4))
latency_value = st.one_of(millis, seconds.map(lambda s: f"{s}s"))
duration = st.one_of(
    st.integers(1, 3600).map(lambda s: f"{s}s"),
    st.integers(1, 120).map(lambda m: f"{m}m"),
    st.integers(1, 90).map(lambda s: f"PT{s}S"),
    st.floats(0.5, 600.0, allow_nan=False).map(lambda s: f"{round(s, 3)}s"),
)
fraction = st.floats(0.0, 1.0, allow_nan=False)


@st.composite
def latencies(draw: st.DrawFn) -> dict[str, Any]:
    form = draw(st.sampled_from(["quantiles", "lognormal", "exponential", "gamma", "constant"]))
    if form == "quantiles":
        p50 = draw(st.integers(1, 500))
        spec: dict[str, Any] = {"p50": f"{p50}ms", "p99": f"{p50 * draw(st.integers(2, 20))}ms"}
        if draw(st.booleans()):
            spec["dist"] = draw(st.sampled_from(["lognormal", "Lognormal"]))
        return spec
    if form == "lognormal":
        spec = {"dist": "lognormal", draw(st.sampled_from(["median", "mean"])): draw(latency_value)}
        if draw(st.booleans()):
            spec["sigma"] = draw(st.floats(0.05, 2.0))
        return spec
    if form == "exponential":
        return {"dist": "exponential", "mean": draw(latency_value)}
    if form == "gamma":
        spec = {"dist": "gamma", "mean": draw(latency_value)}
        if draw(st.booleans()):
            spec["shape"] = draw(st.floats(0.2, 20.0))
        return spec
    return {"dist": "constant", draw(st.sampled_from(["value", "mean"])): draw(latency_value)}


@st.composite
def versions(draw: st.DrawFn) -> dict[str, Any]:
    spec: dict[str, Any] = {"accuracy": draw(st.floats(0.5, 1.0)), "latency": draw(latencies())}
    if draw(st.booleans()):
        spec["error_rate"] = draw(st.floats(0.0, 0.2))
    if draw(st.booleans()):
        spec["startup"] = draw(duration)
    if draw(st.booleans()):
        spec["segments"] = {"plan=enterprise": draw(fraction)}
    return spec


@st.composite
def patterns(draw: st.DrawFn) -> Any:
    choices = [
        st.just({"kind": "constant"}),
        st.fixed_dictionaries({"kind": st.just("diurnal")}, optional={
            "amplitude": fraction, "period": st.sampled_from(["24h", "1d", "86400s"]), "peak_at": duration}),
        st.fixed_dictionaries({"kind": st.just("spike"), "at": duration, "factor": st.floats(0.1, 5.0),
                               "for": duration}),
    ]
    many = draw(st.lists(st.one_of(choices), max_size=3))
    return many[0] if len(many) == 1 and draw(st.booleans()) else many


def faults(names: list[str]) -> st.SearchStrategy[dict[str, Any]]:
    version = st.sampled_from(names)
    return st.one_of(
        st.fixed_dictionaries({"kind": st.just("crash"), "version": version, "at": duration},
                              optional={"replicas": st.integers(1, 3), "restart_after": duration}),
        st.fixed_dictionaries({"kind": st.just("latency"), "version": version, "at": duration,
                               "factor": st.floats(0.5, 10.0)}, optional={"for": duration}),
        st.fixed_dictionaries({"kind": st.just("error_rate"), "version": version, "at": duration,
                               "error_rate": st.floats(0.01, 1.0)}, optional={"for": duration}),
        st.fixed_dictionaries({"kind": st.just("dependency_outage"), "at": duration, "for": duration},
                              optional={"error_rate": st.floats(0.01, 1.0)}),
        st.fixed_dictionaries({"kind": st.just("metrics_outage"), "at": duration, "for": duration}),
        st.fixed_dictionaries({"kind": st.just("traffic_spike"), "at": duration, "factor": st.floats(0.5, 5.0),
                               "for": duration}),
    )


thresholds = st.fixed_dictionaries({}, optional={
    "accuracyDrop": fraction, "latencyIncrease": st.floats(1.01, 5.0), "error_rate_increase": fraction,
    "driftScore": st.floats(0.0, 2.0)})

STRATEGY_SETTINGS: dict[str, st.SearchStrategy[dict[str, Any]]] = {
    "canary": st.fixed_dictionaries({}, optional={
        "initialPercentage": st.floats(1.0, 100.0), "increment_step": st.floats(1.0, 100.0),
        "monitoringDuration": duration, "rollbackThresholds": thresholds,
        "steps": st.just([10, 25, 50, 100]), "judge": st.sampled_from(["threshold", "MannWhitney", "mann-whitney"]),
        "latencyMetric": st.sampled_from(["mean", "p50", "p99"]), "maxDataWait": duration,
        "candidateReplicas": st.sampled_from(["proportional", "full"])}),
    "blue_green": st.fixed_dictionaries({}, optional={
        "smokeTestSamples": st.integers(0, 500), "monitoringDuration": duration, "keep_blue_duration": duration,
        "rollbackThresholds": thresholds}),
    "rolling": st.fixed_dictionaries({}, optional={
        "batchSize": st.integers(1, 4), "delay": duration, "errorRateThreshold": fraction,
        "responseTimeThreshold": latency_value, "rollbackThresholds": thresholds}),
    "immediate": st.fixed_dictionaries({}, optional={"readyTimeout": duration}),
    "ab_test": st.fixed_dictionaries({}, optional={
        "splitRatio": st.floats(0.1, 0.9), "minimumSamples": st.integers(2, 10_000),
        "primaryMetric": st.sampled_from(["accuracy", "errorRate", "latency"]),
        "test": st.sampled_from(["fixed_horizon", "peeking", "sequential"]), "looks": st.integers(1, 20)}),
    "shadow": st.fixed_dictionaries({}, optional={
        "mirrorPercentage": st.floats(1.0, 100.0), "duration": duration, "maxDivergence": fraction}),
}
KIND_NAMES = {
    "canary": ["Canary", "canary"], "blue_green": ["BlueGreen", "blue-green", "blue_green"],
    "rolling": ["Rolling", "RollingUpdate"], "immediate": ["Immediate", "Recreate"],
    "ab_test": ["ABTesting", "ab_test", "AB"], "shadow": ["Shadow"],
}


@st.composite
def strategies(draw: st.DrawFn) -> dict[str, Any]:
    chosen: dict[str, Any] = {}
    for kind in draw(st.lists(st.sampled_from(sorted(STRATEGY_SETTINGS)), min_size=1, max_size=4, unique=True)):
        settings_ = draw(STRATEGY_SETTINGS[kind])
        if draw(st.booleans()):
            chosen[kind] = settings_ or draw(st.sampled_from([{}, None]))  # the kind comes from the label
        else:
            chosen[f"my-{kind}"] = {"strategy": draw(st.sampled_from(KIND_NAMES[kind])), **settings_}
    return chosen


@st.composite
def raw_scenarios(draw: st.DrawFn) -> dict[str, Any]:
    names = draw(st.lists(st.sampled_from(NAMES), min_size=1, max_size=4, unique=True))
    data: dict[str, Any] = {
        "name": draw(st.text(min_size=1, max_size=20)),
        "traffic": {"rate": draw(st.one_of(st.integers(1, 500), st.sampled_from(["200/s", "12000/min", "7.5"])))},
        "service": {"replicas": draw(st.integers(1, 20))},
        "versions": {name: draw(versions()) for name in names},
        "stable": names[0],
    }
    if draw(st.booleans()):
        data["horizon"] = draw(st.sampled_from(["2h", "PT30M", "7200s", "1d"]))
    if draw(st.booleans()):
        data["seed"] = draw(st.integers(0, 2**40))
    if draw(st.booleans()):
        data["traffic"]["pattern"] = draw(patterns())
    if draw(st.booleans()):
        data["traffic"]["users"] = draw(st.integers(1, 1_000_000))
    if draw(st.booleans()):
        data["service"].update(concurrency=draw(st.integers(1, 8)), timeout=draw(duration),
                               balancer=draw(st.sampled_from(["random", "round_robin", "least_connections"])))
    if draw(st.booleans()):
        data["faults"] = draw(st.lists(faults(names), max_size=4))
    if draw(st.booleans()):
        data["monitoring"] = {"scrape_interval": draw(st.sampled_from(["15s", "30s", "1m"])),
                              "labels": {"delay": draw(duration), "fraction": draw(fraction)}}
        if draw(st.booleans()):
            data["monitoring"]["drift"] = {"window": "1h", "thresholds": {"psi": 0.2}}
    if draw(st.booleans()):
        data["features"] = {"numeric": {"x1": {"mean": draw(st.floats(-5, 5)), "std": draw(st.floats(0.1, 3))}},
                            "categorical": {"plan": {"categories": {"free": 0.6, "pro": 0.3, "enterprise": 0.1}}}}
    if draw(st.booleans()):
        data["drift"] = {"data": {"feature": "x1", "start": draw(duration), "shift": draw(st.floats(-3, 3))},
                         "concept": {"start": "1h", "accuracy_loss": {names[0]: draw(fraction)}}}
    if draw(st.booleans()):
        data["slo"] = {"latency_p99": draw(latency_value), "error_rate": draw(fraction)}
    if draw(st.booleans()):
        data["prediction_correlation"] = draw(fraction)
    if draw(st.booleans()):
        data["simulation"] = {"data_plane": draw(st.sampled_from(["batch", "per_request"])),
                              "until": draw(st.sampled_from(["rollout_end", "horizon"])), "max_slice": draw(duration)}
    if len(names) > 1:
        data["candidate"] = names[1]
        data["strategies"] = draw(strategies())
        labels = list(data["strategies"])
        if draw(st.booleans()):
            data["operations"] = [{"at": draw(duration), "rollback_to": draw(st.sampled_from(["previous", names[0]]))}]
        if draw(st.booleans()):
            data["expect"] = {labels[0]: {"promoted": ">= 0.5"}}
        if draw(st.booleans()):
            data["retraining"] = {"trigger": "schedule", "every": "6h", "produces": draw(versions()),
                                  "deploy_with": labels[0]}
    return consistent(data)


def consistent(data: dict[str, Any]) -> dict[str, Any]:
    """Leave out the keys a valid scenario may not combine (each such combination is rejected on purpose).

    Rules need their source (driftScore a drift monitor, accuracyDrop labels); a canary's
    initialPercentage and incrementStep do nothing beside steps; driftScore, and a latencyMetric other than
    p50 or p99, do nothing under the statistical judge.
    """
    monitoring = data.get("monitoring", {})
    monitored = "drift" in monitoring
    labelled = monitoring.get("labels", {}).get("fraction", 1.0) > 0
    for config in (data.get("strategies") or {}).values():
        if not config:
            continue
        judged = str(config.get("judge", "threshold")).lower().replace("-", "").replace("_", "") == "mannwhitney"
        rules = config.get("rollbackThresholds")
        if rules:
            if not monitored or judged:
                rules.pop("driftScore", None)
            if not labelled:
                rules.pop("accuracyDrop", None)
        if "steps" in config:
            config.pop("initialPercentage", None)
            config.pop("increment_step", None)
        if judged and config.get("latencyMetric") not in (None, "p50", "p99"):
            config.pop("latencyMetric")
    return data


@given(raw_scenarios())
@settings(max_examples=150, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
def test_generated_scenarios_round_trip(data: dict[str, Any]) -> None:
    assert_round_trips(parse_scenario(data))


def test_the_quantile_form_keeps_both_quantiles() -> None:
    data = written_dump(load_scenario(SCENARIOS / "quickstart.yaml"), mode="json")
    latency = parse_scenario(data).versions["v1"].latency
    assert isinstance(latency, LognormalQuantiles) and (latency.p50, latency.p99) == (0.04, 0.16)
