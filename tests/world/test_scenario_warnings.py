"""Warnings about valid scenarios that probably mean something else (simulator/world/scenario_warnings.py)."""

from __future__ import annotations

import math
from typing import Any

import pytest
from scipy import stats

from simulator.scenario import load_scenario, parse_scenario
from simulator.world.scenario_warnings import peak_rate, scenario_warnings
from simulator.world.traffic import RateFunction
from tests.helpers import SCENARIOS, scenario_data


def warnings_of(data: dict[str, Any]) -> list[str]:
    return [str(warning) for warning in scenario_warnings(parse_scenario(data))]


def fleet(rate: str, *, pattern: Any = None) -> dict[str, Any]:
    """8 slots (4 replicas x 2) at an exponential 50 ms mean: 160 requests/s of capacity."""
    data = scenario_data("quickstart.yaml")
    data["traffic"] = {"rate": rate, **({"pattern": pattern} if pattern else {})}
    data["service"] = {"replicas": 4, "concurrency": 2, "timeout": "2s"}
    data["versions"]["v1"]["latency"] = {"dist": "exponential", "mean": "50ms"}
    return data


@pytest.mark.parametrize("path", sorted(SCENARIOS.glob("*.yaml")), ids=lambda path: path.name)
def test_bundled_scenarios_warn_of_nothing(path) -> None:
    assert scenario_warnings(load_scenario(path)) == []


def test_a_percentage_below_one_asks_whether_it_meant_percent() -> None:
    data = scenario_data("quickstart.yaml")
    data["strategies"]["canary"]["initialPercentage"] = 0.05
    assert warnings_of(data) == ["strategies.canary.initialPercentage: 0.05 is a percentage (0-100), so 0.05 %; "
                                 "did you mean 5 (%)?"]
    data["strategies"]["canary"] = {"steps": [0.5, 50, 100]}
    assert [line.split(":")[0] for line in warnings_of(data)] == ["strategies.canary.steps[0]"]
    data["strategies"]["canary"] = {"steps": [1, 50, 100]}
    assert warnings_of(data) == []


def test_a_percent_string_means_the_same_in_a_percentage_and_in_a_fraction() -> None:
    data = scenario_data("quickstart.yaml")
    data["strategies"] = {"canary": {"initialPercentage": "5%"}, "ab": {"strategy": "ABTesting", "splitRatio": "20%"}}
    scenario = parse_scenario(data)
    assert scenario.strategies["canary"].initial_percentage == 5.0
    assert scenario.strategies["ab"].split_ratio == pytest.approx(0.2)


@pytest.mark.parametrize(("p99", "warned"), [("990ms", False), ("1.5s", True)])
def test_service_times_above_the_timeout_are_warned_about_with_their_share(p99: str, warned: bool) -> None:
    data = scenario_data("quickstart.yaml")
    data["service"]["timeout"] = "1s"
    data["versions"]["v2"]["latency"] = {"p50": "300ms", "p99": p99}
    found = [line for line in warnings_of(data) if line.startswith("versions.v2.latency")]
    assert bool(found) == warned
    if warned:  # the share is the lognormal's tail above the timeout, as scipy computes it
        sigma = math.log(1.5 / 0.3) / stats.norm.ppf(0.99)
        share = stats.lognorm(s=sigma, scale=0.3).sf(1.0)
        assert f"{share:.0%} of v2's requests take longer than the timeout" in found[0]


@pytest.mark.parametrize(("rate", "pattern", "warned"), [
    ("150/s", None, False),
    ("170/s", None, True),
    ("140/s", {"kind": "diurnal", "amplitude": 0.2}, True),  # peaks at 168/s
    ("140/s", {"kind": "diurnal", "amplitude": 0.1}, False),  # peaks at 154/s
])
def test_traffic_above_the_stable_fleets_capacity_is_warned_about(rate: str, pattern: Any, warned: bool) -> None:
    found = [line for line in warnings_of(fleet(rate, pattern=pattern)) if line.startswith("traffic:")]
    assert bool(found) == warned
    if warned:
        assert "4 replicas x 2 slots at a mean service time of 50 ms: 160/s" in found[0]


@pytest.mark.parametrize("pattern", [
    None, {"kind": "diurnal", "amplitude": 0.3}, [{"kind": "diurnal", "amplitude": 0.2},
                                                  {"kind": "spike", "at": "10m", "factor": 3, "for": "5m"}],
    {"kind": "spike", "at": "3h", "factor": 3, "for": "5m"},  # after the horizon
])
def test_the_peak_rate_is_the_traffic_models_own_bound(pattern: Any) -> None:
    scenario = parse_scenario(fleet("100/s", pattern=pattern))
    assert peak_rate(scenario) == RateFunction(scenario.traffic).max_rate(0.0, scenario.horizon)
