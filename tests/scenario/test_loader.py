"""Scenario files: strategy kinds and aliases, defaults, errors, schema."""

from __future__ import annotations

import math

import pytest

from simulator.errors import ScenarioError
from simulator.scenario import (
    BlueGreenConfig,
    CanaryConfig,
    ImmediateConfig,
    RollingConfig,
    parse_scenario,
    scenario_schema,
)
from simulator.world.latency import Z_P99, LatencyDistribution
from tests.helpers import scenario_data


def with_strategies(strategies: dict) -> dict:
    data = scenario_data("quickstart.yaml")
    data["strategies"] = strategies
    data.pop("expect")
    return data


@pytest.mark.parametrize(
    ("name", "config_class"),
    [
        ("Canary", CanaryConfig), ("canary", CanaryConfig), ("BlueGreen", BlueGreenConfig),
        ("blue-green", BlueGreenConfig), ("blue_green", BlueGreenConfig), ("Rolling", RollingConfig),
        ("RollingUpdate", RollingConfig), ("Immediate", ImmediateConfig),
    ],
)
def test_strategy_key_aliases(name: str, config_class: type) -> None:
    scenario = parse_scenario(with_strategies({"mine": {"strategy": name}}))
    assert isinstance(scenario.strategies["mine"], config_class)


def test_kind_from_label_and_two_canaries_with_different_settings() -> None:
    scenario = parse_scenario(with_strategies({
        "canary": {"incrementStep": 10},
        "careful": {"strategy": "Canary", "initialPercentage": 5, "incrementStep": 5},
        "blue-green": {},
    }))
    assert scenario.strategies["canary"].increment_step == 10
    assert scenario.strategies["careful"].schedule()[:3] == [5, 10, 15]
    assert isinstance(scenario.strategies["blue-green"], BlueGreenConfig)
    assert scenario.labels == ["canary", "careful", "blue-green"]


def test_seed_guide_json_config_pastes_in_verbatim() -> None:
    config = {
        "strategy": "Canary", "initialPercentage": 10, "incrementStep": 15, "monitoringDuration": "PT5M",
        "rollbackThresholds": {"accuracyDrop": 0.05, "latencyIncrease": 1.5, "errorRateIncrease": 0.01},
    }
    canary = parse_scenario(with_strategies({"canary": config})).strategies["canary"]
    assert canary.monitoring_duration == 300
    assert canary.schedule() == [10, 25, 40, 55, 70, 85, 100]
    assert canary.rollback_thresholds.drift_score is None  # left out: not checked


def test_thresholds_default_to_the_seed_guide_when_absent() -> None:
    canary = parse_scenario(with_strategies({"canary": {}})).strategies["canary"]
    thresholds = canary.rollback_thresholds
    # Without a drift monitor no drift score could ever be measured: the default driftScore rule is left out.
    assert (thresholds.accuracy_drop, thresholds.latency_increase, thresholds.error_rate_increase,
            thresholds.drift_score) == (0.05, 1.5, 0.01, None)
    monitored = with_strategies({"canary": {}})
    monitored["monitoring"] = {"drift": {"window": "1h"}}
    assert parse_scenario(monitored).strategies["canary"].rollback_thresholds.drift_score == 0.3


def test_a_written_rule_no_run_could_evaluate_is_an_error() -> None:
    data = with_strategies({"canary": {"rollbackThresholds": {"driftScore": 0.3}}})
    with pytest.raises(ScenarioError, match=r"strategies\.canary\.rollbackThresholds\.driftScore: got 0.3; "
                                            r"expected a drift monitor"):
        parse_scenario(data)
    data = with_strategies({"canary": {"rollbackThresholds": {"accuracyDrop": 0.05}}})
    data["monitoring"] = {"labels": {"fraction": 0}}
    with pytest.raises(ScenarioError, match=r"accuracyDrop: got 0.05; expected labels"):
        parse_scenario(data)


def test_explicit_steps() -> None:
    canary = parse_scenario(with_strategies({"canary": {"steps": [10, 25, 50, 75, 100]}})).strategies["canary"]
    assert canary.schedule() == [10, 25, 50, 75, 100]
    for bad in ([10, 5, 100], []):
        with pytest.raises(ScenarioError, match="strategies.canary.steps"):
            parse_scenario(with_strategies({"canary": {"steps": bad}}))
    with pytest.raises(ScenarioError, match="got steps ending at 50; expected the last step to be 100, or a "
                                            "rolloutDuration"):
        parse_scenario(with_strategies({"canary": {"steps": [10, 50]}}))
    held = parse_scenario(with_strategies({"canary": {"steps": [10, 50], "rolloutDuration": "1h"}}))
    assert held.strategies["canary"].schedule() == [10, 50]


def test_no_strategies_means_steady_serving() -> None:
    data = with_strategies({})
    data.pop("candidate")
    assert parse_scenario(data).labels == ["none"]


def test_strategies_need_a_candidate() -> None:
    data = with_strategies({"canary": {}})
    data.pop("candidate")
    with pytest.raises(ScenarioError, match="candidate"):
        parse_scenario(data)


def test_shadow_kind() -> None:
    from simulator.scenario import ShadowConfig

    config = parse_scenario(with_strategies({"shadow": {"mirrorPercentage": 50}})).strategies["shadow"]
    assert isinstance(config, ShadowConfig) and config.mirror_percentage == 50


@pytest.mark.parametrize("name", ["ABTesting", "ABTest", "ab_test", "AB"])
def test_ab_aliases(name: str) -> None:
    from simulator.scenario import ABTestConfig

    config = parse_scenario(with_strategies({"x": {"strategy": name, "primaryMetric": "errorRate"}})).strategies["x"]
    assert isinstance(config, ABTestConfig) and config.primary_metric == "error_rate"


def test_unknown_kind_suggests() -> None:
    with pytest.raises(ScenarioError, match="did you mean 'canary'"):
        parse_scenario(with_strategies({"x": {"strategy": "Canery"}}))


@pytest.mark.parametrize(
    ("latency", "kind", "mean"),
    [
        ({"dist": "exponential", "mean": "250ms"}, "exponential", 0.25),
        ({"dist": "gamma", "mean": "100ms", "shape": 2}, "gamma", 0.1),
        ({"dist": "constant", "value": "30ms"}, "constant", 0.03),
        ({"dist": "lognormal", "mean": "50ms", "sigma": 0.5}, "lognormal", 0.05),
    ],
)
def test_explicit_latency_distributions(latency: dict, kind: str, mean: float) -> None:
    data = with_strategies({})
    data["versions"]["v1"]["latency"] = latency
    distribution = LatencyDistribution.from_spec(parse_scenario(data).versions["v1"].latency)
    assert distribution.kind == kind
    assert distribution.mean() == pytest.approx(mean)
    if kind != "constant":
        assert distribution.frozen().mean() == pytest.approx(mean)


def test_p50_p99_fit_a_lognormal_through_both_quantiles() -> None:
    distribution = LatencyDistribution.from_spec(parse_scenario(with_strategies({})).versions["v1"].latency)
    assert distribution.quantile(0.5) == pytest.approx(0.040)
    assert distribution.quantile(0.99) == pytest.approx(0.160)
    assert distribution.sigma == pytest.approx(math.log(4) / Z_P99)


def test_faults_name_known_versions() -> None:
    data = with_strategies({})
    data["faults"] = [{"kind": "crash", "version": "v3", "at": "1m"}]
    with pytest.raises(ScenarioError, match=r"faults\[0\]\.version: got 'v3'"):
        parse_scenario(data)


def test_error_names_file_path_value_expected() -> None:
    data = with_strategies({"canary": {"initialPercentage": 150}})
    with pytest.raises(ScenarioError) as caught:
        parse_scenario(data, source="my.yaml")
    message = str(caught.value)
    assert message.startswith("my.yaml: strategies.canary.initialPercentage: got 150; expected")
    assert "\n" not in message


def test_schema_lists_the_top_level_keys() -> None:
    schema = scenario_schema()
    expected = {"traffic", "service", "versions", "stable", "strategies", "faults", "monitoring"}
    assert expected <= set(schema["properties"])
    assert schema["additionalProperties"] is False


def test_a_fault_kind_named_like_one_of_its_keys_is_not_part_of_the_path() -> None:
    """An error_rate fault has an error_rate key too; the path must name the bad key, not the kind."""
    data = with_strategies({})
    data["faults"] = [{"kind": "error_rate", "version": "v1", "at": "9m30s", "error_rate": 0.05}]
    with pytest.raises(ScenarioError, match=r"^faults\[0\]\.at: got '9m30s'"):
        parse_scenario(data)
