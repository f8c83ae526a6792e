"""The ``regions`` key, regional faults and the Waves strategy in scenario files: what loads, what is refused."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from simulator.errors import ScenarioError
from simulator.scenario import load_scenario, parse_scenario
from simulator.scenario.region_config import region_users
from simulator.scenario.waves_config import WavesConfig
from simulator.scenario.world_config import RegionOutageFault
from simulator.scenario.written_dump import written_dump
from tests.helpers import SCENARIOS, scenario_data


def multi_region(**changes: Any) -> dict[str, Any]:
    """The bundled multi-region scenario's data with top-level keys replaced."""
    data = copy.deepcopy(scenario_data("multi-region.yaml"))
    data.update(changes)
    return data


def error_of(data: dict[str, Any]) -> str:
    with pytest.raises(ScenarioError) as caught:
        parse_scenario(data)
    return str(caught.value)


def test_the_bundled_scenario_loads_with_its_regions_and_waves() -> None:
    scenario = load_scenario(SCENARIOS / "multi-region.yaml")
    assert scenario.regions is not None and list(scenario.regions) == ["us", "eu", "ap"]
    assert scenario.service.replicas == 6 + 4 + 3  # filled in from the regions
    assert scenario.regions["eu"].latency_offset == pytest.approx(0.020)
    assert scenario.regions["eu"].traffic is not None and scenario.regions["eu"].traffic[0].peak_at == 14 * 3600
    waves = scenario.strategies["waves"]
    assert isinstance(waves, WavesConfig)
    assert waves.waves == [["us"], ["eu", "ap"]] and waves.bake == 1200 and waves.on_failure == "rollback_all"
    assert waves.each.kind == "canary" and waves.each.monitoring_duration == 300
    outage = [fault for fault in scenario.faults if isinstance(fault, RegionOutageFault)]
    assert outage[0].region == "eu" and outage[0].duration == 600
    assert scenario.peak_rate() == pytest.approx(200 * (0.5 + 0.3 * 1.2 + 0.2))


def test_a_dump_loads_back_as_the_same_scenario() -> None:
    scenario = load_scenario(SCENARIOS / "multi-region.yaml")
    assert parse_scenario(scenario.model_dump(by_alias=True), written=False) == scenario
    assert parse_scenario(written_dump(scenario, mode="json")) == scenario


def test_the_bake_takes_the_rules_of_the_strategy_in_each_region() -> None:
    each = {"strategy": "Canary", "rollbackThresholds": {"latencyIncrease": 1.2, "errorRateIncrease": 0.02}}
    data = multi_region(strategies={"w": {"strategy": "Waves", "each": each}})
    config = parse_scenario(data).strategies["w"]
    assert isinstance(config, WavesConfig)
    assert config.bake_rules.latency_increase == 1.2 and config.bake_rules.error_rate_increase == 0.02


@pytest.mark.parametrize(("changes", "message"), [
    ({"regions": {"us": {"share": 0.5, "replicas": 2}, "eu": {"share": 0.4, "replicas": 2}}},
     "regions: got shares adding up to 0.9 (us 0.5, eu 0.4); expected shares of the global traffic adding up to 1"),
    ({"regions": {"u.s": {"share": 1, "replicas": 2}}}, "regions.u.s: got 'u.s'; expected a region name"),
    ({"regions": {}}, "regions: got no region"),
    ({"service": {"replicas": 5, "concurrency": 4}},
     "service.replicas: got 5 beside regions whose replicas add up to 13"),
    ({"faults": [{"kind": "region_outage", "region": "ue", "at": "1m"}]},
     "faults[0].region: got 'ue'; expected a region (us, eu, ap)"),
    ({"faults": [{"kind": "latency", "version": "v2", "region": "asia", "at": "1m", "factor": 2}]},
     "faults[0].region: got 'asia'; expected a region"),
    ({"simulation": {"data_plane": "per_request"}}, "simulation.data_plane: got per_request with regions"),
])
def test_bad_regions_are_one_line_errors_naming_the_key(changes: dict[str, Any], message: str) -> None:
    assert message in error_of(multi_region(**changes))


@pytest.mark.parametrize(("config", "message"), [
    ({"strategy": "Waves", "waves": [["us"], ["eu", "asia"]]}, "strategies.w.waves[1]: got 'asia'; expected a region"),
    ({"strategy": "Waves", "waves": [["us"], ["eu"]]}, "strategies.w.waves: got no wave for ap"),
    ({"strategy": "Waves", "waves": [["us"], ["us", "eu", "ap"]]}, "got region 'us' in two waves"),
    ({"strategy": "Waves", "waves": [[]]}, "expected a non-empty list of non-empty lists of region names"),
    ({"strategy": "Waves", "onFailure": "panic"}, "strategies.w.onFailure"),
    ({"strategy": "Waves", "each": {"strategy": "Canary", "incrementStepp": 5}},
     "strategies.w.each: unknown key 'incrementStepp' (did you mean 'incrementStep'?)"),
    ({"strategy": "Waves", "each": {"strategy": "Waves"}}, "strategies.w.each.strategy: got 'Waves'"),
    ({"strategy": "Waves", "each": {"strategy": "Canary", "baseline": "fresh", "steps": [10, 25, 50, 100]}},
     "strategies.w.each.baseline: got baseline: fresh inside waves"),
    ({"strategy": "Waves", "each": {"from": "peers/argo-canary.yaml"}}, "strategies.w.each.from"),
    ({"strategy": "Waves", "bake": 20}, "strategies.w.bake: got 20; expected a duration with its unit"),
])
def test_bad_waves_are_one_line_errors_naming_the_key(config: dict[str, Any], message: str) -> None:
    assert message in error_of(multi_region(strategies={"w": config}, expect={}))


def test_without_regions_nothing_may_name_a_region() -> None:
    data = scenario_data("quickstart.yaml")
    data["faults"] = [{"kind": "crash", "version": "v1", "region": "us", "at": "1m"}]
    assert "faults[0].region: got region 'us' in a scenario without regions" in error_of(data)
    data = scenario_data("quickstart.yaml")
    data["strategies"] = {"w": {"strategy": "Waves"}}
    assert "strategies.w.strategy: got a Waves strategy in a scenario without regions" in error_of(data)
    data = scenario_data("quickstart.yaml")
    data["expect"] = {"canary": {"blast_radius_users.mean": "<= 0.1"}}
    assert "expect.canary.blast_radius_users.mean: got 'blast_radius_users.mean' in a scenario without regions" \
        in error_of(data)


def test_an_expectation_of_an_unknown_region_is_refused() -> None:
    data = multi_region(expect={"waves": {"regions.asia.requests.max": "<= 5"}})
    assert "expect.waves.regions.asia.requests.max: got region 'asia'; expected a region" in error_of(data)


def test_service_replicas_still_work_without_regions() -> None:
    scenario = load_scenario(SCENARIOS / "quickstart.yaml")
    assert scenario.regions is None and scenario.service.replicas == 6
    data = scenario_data("quickstart.yaml")
    del data["service"]["replicas"]
    assert "service.replicas" in error_of(data)


def test_users_are_split_by_share_and_add_up() -> None:
    assert region_users(100_000, [0.5, 0.3, 0.2]) == [50_000, 30_000, 20_000]
    assert sum(region_users(10, [1 / 3, 1 / 3, 1 / 3])) == 10
    assert region_users(2, [0.98, 0.01, 0.01]) == [1, 1, 1]  # at least one user each
