"""Regions in the world: each its own pool and traffic, a global balancer that fails over, regional faults.

The failover check is against queueing theory: with one of three equal
regions out, each survivor is a bank of M/M/c replicas fed at the raised
rate, whose mean wait Erlang C gives.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest

from simulator.driver import run
from simulator.scenario import parse_scenario
from simulator.scenario.model import Scenario
from simulator.world.regions import RegionLayout, fail_over
from tests.oracles import erlang_c_mean_wait

MEAN_SERVICE = 0.1  # seconds
REPLICAS, CONCURRENCY = 4, 2  # per region
REGION_CAPACITY = REPLICAS * CONCURRENCY / MEAN_SERVICE  # requests/s


def three_regions(*, rate: float, horizon: float, faults: list[dict[str, Any]] | None = None,
                  failover: bool = True, candidate: bool = False, **regions: dict[str, Any]) -> Scenario:
    """Steady serving of v1 by three regions a, b, c (equal unless ``regions`` says otherwise)."""
    table = {name: {"share": 1 / 3, "replicas": REPLICAS, "failover": failover} for name in ("a", "b", "c")}
    for name, changes in regions.items():
        table[name] = {**table[name], **changes}
    versions = {"v1": {"accuracy": 0.9, "latency": {"dist": "exponential", "mean": MEAN_SERVICE},
                       "error_rate": 0.0, "startup": 0}}
    data: dict[str, Any] = {
        "name": "regions", "horizon": horizon, "traffic": {"rate": rate},
        "service": {"concurrency": CONCURRENCY, "timeout": 3600.0}, "regions": table,
        "versions": versions, "stable": "v1", "faults": faults or [],
        "monitoring": {"scrape_interval": 60}, "simulation": {"until": "horizon"},
    }
    if candidate:
        versions["v2"] = {**versions["v1"], "latency": {"dist": "exponential", "mean": 2 * MEAN_SERVICE}}
        data["candidate"] = "v2"
        data["strategies"] = {"immediate": {}}
    return parse_scenario(data, written=False)


def test_mean_queue_wait_of_the_survivors_matches_erlang_c_at_the_raised_rate() -> None:
    """Region c is out for the whole run: a and b each serve half of all traffic (utilisation 0.7)."""
    raised = 0.7 * REGION_CAPACITY  # each survivor's rate, requests/s
    rate = 2 * raised
    scenario = three_regions(rate=rate, horizon=1_500_000 / rate,
                             faults=[{"kind": "region_outage", "region": "c", "at": 0}])
    result = run(scenario, seed=1)
    expected = erlang_c_mean_wait(raised / REPLICAS, 1 / MEAN_SERVICE, CONCURRENCY)
    assert result.regions is not None
    assert result.regions["c"]["requests"] == 0
    for name in ("a", "b"):
        served = result.regions[name]
        assert served["requests"] == pytest.approx(result.requests / 2, rel=0.01)
        measured = served["versions"]["v1"]["queue_wait_mean_s"]
        assert measured == pytest.approx(expected, rel=0.05), (name, measured, expected)
    # Without the outage, the same rate spread over three regions waits far less (utilisation 0.47).
    assert erlang_c_mean_wait(rate / 3 / REPLICAS, 1 / MEAN_SERVICE, CONCURRENCY) < 0.5 * expected


def test_without_failover_an_out_regions_requests_are_dropped() -> None:
    scenario = three_regions(rate=60.0, horizon=1800.0, failover=False,
                             faults=[{"kind": "region_outage", "region": "c", "at": 600, "for": 600}])
    result = run(scenario, seed=2)
    assert result.regions is not None
    dropped = result.regions["c"]["versions"]["v1"]["dropped"]
    assert dropped == pytest.approx(60.0 / 3 * 600, rel=0.05)  # a third of the traffic for ten minutes
    assert result.regions["a"]["versions"]["v1"]["dropped"] == 0
    assert result.regions["a"]["requests"] == pytest.approx(60.0 / 3 * 1800, rel=0.05)


def test_with_failover_nothing_is_dropped_and_the_survivors_take_the_traffic_by_share() -> None:
    scenario = three_regions(rate=60.0, horizon=1800.0, a={"share": 0.5}, b={"share": 0.25}, c={"share": 0.25},
                             faults=[{"kind": "region_outage", "region": "c", "at": 600, "for": 600}])
    result = run(scenario, seed=2)
    assert result.regions is not None
    assert result.failed_requests < 5  # only work in flight in c when it went down
    c_requests = 0.25 * 60.0 * 600  # c's own traffic, on for 1200 of 1800 s
    assert result.regions["c"]["requests"] == pytest.approx(0.25 * 60.0 * 1200, rel=0.05)
    # c's ten minutes go to a and b two to one, as their shares are.
    assert result.regions["a"]["requests"] == pytest.approx(0.5 * 60.0 * 1800 + 2 / 3 * c_requests, rel=0.03)
    assert result.regions["b"]["requests"] == pytest.approx(0.25 * 60.0 * 1800 + 1 / 3 * c_requests, rel=0.03)
    kinds = [(event.kind, event.data.get("region")) for event in result.events]
    assert ("fault", "c") in kinds and ("region_back", "c") in kinds


def test_fail_over_picks_survivors_by_share_and_keeps_requests_at_home() -> None:
    layout = RegionLayout(names=("a", "b", "c"), shares=np.array([0.5, 0.3, 0.2]), replicas=(1, 1, 1),
                          latency_offset=np.zeros(3), failover=np.array([True, True, False]), users=(1, 1, 1),
                          user_offsets=(0, 1, 2))
    generator = np.random.default_rng(0)
    draws = generator.random(100_000)
    origin = np.repeat(np.array([0, 1, 2]), [40_000, 40_000, 20_000])
    nobody_out = fail_over(origin, draws, np.zeros(3, dtype=bool), layout)
    assert np.array_equal(nobody_out, origin)
    a_out = fail_over(origin, draws, np.array([True, False, False]), layout)
    moved = a_out[:40_000]
    assert set(np.unique(moved)) == {1, 2}
    assert np.mean(moved == 1) == pytest.approx(0.3 / 0.5, abs=0.01)  # b and c by their shares, 3 to 2
    assert np.array_equal(a_out[40_000:], origin[40_000:])
    c_out = fail_over(origin, draws, np.array([False, False, True]), layout)
    assert np.array_equal(c_out, origin)  # c says failover: false
    all_out = fail_over(origin, draws, np.ones(3, dtype=bool), layout)
    assert np.array_equal(all_out, origin)  # nowhere to go


def test_spread_gives_each_region_its_part_and_at_least_one() -> None:
    layout = RegionLayout(names=("us", "eu", "ap"), shares=np.array([0.5, 0.3, 0.2]), replicas=(6, 4, 3),
                          latency_offset=np.zeros(3), failover=np.ones(3, dtype=bool), users=(1, 1, 1),
                          user_offsets=(0, 1, 2))
    assert layout.spread(13) == [6, 4, 3]
    assert layout.spread(0) == [0, 0, 0]
    assert layout.spread(2) == [1, 1, 1]
    assert layout.spread(6) == [3, 2, 2]


def test_each_region_gets_its_share_and_its_own_pattern() -> None:
    scenario = three_regions(rate=90.0, horizon=7200.0, a={"share": 0.5}, b={"share": 0.3},
                             c={"share": 0.2, "traffic": {"kind": "spike", "at": 3600, "factor": 3, "for": 3600}})
    result = run(scenario, seed=3)
    assert result.regions is not None
    assert result.regions["a"]["requests"] == pytest.approx(0.5 * 90 * 7200, rel=0.02)
    assert result.regions["b"]["requests"] == pytest.approx(0.3 * 90 * 7200, rel=0.02)
    assert result.regions["c"]["requests"] == pytest.approx(0.2 * 90 * (3600 + 3 * 3600), rel=0.02)


def test_regional_faults_hit_their_region_only_and_the_offset_adds_to_its_latency() -> None:
    scenario = three_regions(
        rate=60.0, horizon=3600.0, b={"latency_offset": 0.05},
        faults=[{"kind": "error_rate", "version": "v1", "region": "a", "at": 0, "error_rate": 0.2}],
    )
    result = run(scenario, seed=4)
    assert result.regions is not None
    regions = result.regions
    assert regions["a"]["failed_requests"] / regions["a"]["requests"] == pytest.approx(0.2, abs=0.015)
    assert regions["b"]["failed_requests"] == regions["c"]["failed_requests"] == 0
    # The offset is part of every service time there (it holds the slot, so queues grow a little too).
    service = {name: regions[name]["versions"]["v1"]["latency_mean_s"] - regions[name]["versions"]["v1"][
        "queue_wait_mean_s"] for name in ("b", "c")}
    assert service["b"] - service["c"] == pytest.approx(0.05, abs=0.004)
    assert regions["b"]["versions"]["v1"]["queue_wait_mean_s"] > regions["c"]["versions"]["v1"]["queue_wait_mean_s"]


def test_a_crash_in_one_region_crashes_that_regions_replicas() -> None:
    scenario = three_regions(rate=60.0, horizon=1200.0, faults=[
        {"kind": "crash", "version": "v1", "region": "b", "at": 300, "replicas": 2, "restart_after": 60}])
    result = run(scenario, seed=5)
    crashes = [event for event in result.events if event.kind == "fault" and event.data.get("fault") == "crash"]
    assert [event.data["region"] for event in crashes] == ["b", "b"]


def test_per_region_figures_add_up_to_the_totals() -> None:
    scenario = three_regions(rate=90.0, horizon=1800.0, candidate=True, b={"share": 0.3}, c={"share": 0.2},
                             a={"share": 0.5},
                             faults=[{"kind": "region_outage", "region": "b", "at": 600, "for": 300}])
    result = run(scenario, "immediate", seed=6)
    assert result.regions is not None
    for figure in ("requests", "failed_requests", "candidate_requests", "candidate_failed_requests",
                   "wrong_predictions", "excess_failed_requests", "excess_wrong_predictions"):
        assert sum(region[figure] for region in result.regions.values()) == getattr(result, figure), figure
    assert sum(region["replica_seconds"] for region in result.regions.values()) == pytest.approx(
        result.replica_seconds, abs=1e-5)
    for version, totals in result.versions.items():
        assert sum(region["versions"][version]["requests"] for region in result.regions.values()) == \
            totals.requests


def test_same_seed_same_bytes_with_regions() -> None:
    scenario = three_regions(rate=60.0, horizon=900.0, candidate=True,
                             faults=[{"kind": "region_outage", "region": "a", "at": 300, "for": 120}])
    first = json.dumps(run(scenario, "immediate", seed=8).to_dict(), sort_keys=True)
    second = json.dumps(run(scenario, "immediate", seed=8).to_dict(), sort_keys=True)
    assert first == second
    assert first != json.dumps(run(scenario, "immediate", seed=9).to_dict(), sort_keys=True)


def test_a_region_keeps_its_traffic_when_another_region_gets_a_fault() -> None:
    """Each region draws its requests from its own streams: a fault elsewhere changes none of them."""
    plain = three_regions(rate=60.0, horizon=600.0)
    spiked = three_regions(rate=60.0, horizon=600.0,
                           faults=[{"kind": "traffic_spike", "region": "c", "at": 100, "factor": 2, "for": 100}])
    first, second = run(plain, seed=3), run(spiked, seed=3)
    assert first.regions is not None and second.regions is not None
    for name in ("a", "b"):
        assert first.regions[name]["versions"] == second.regions[name]["versions"]
    assert second.regions["c"]["requests"] > first.regions["c"]["requests"]
