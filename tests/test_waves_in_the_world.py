"""Waves through the simulator: region by region, caught where it is bad, rolled back everywhere or halted."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from simulator.driver import run
from simulator.result import RunResult
from simulator.scenario import parse_scenario
from simulator.scenario.model import Scenario
from tests.helpers import scenario_data, until_rollout_end

SLOW = {"p50": "80ms", "p99": "320ms"}
"""Twice as slow as the stable version: bad in every region."""


def waves_scenario(*, candidate_latency: dict[str, str] | None = None, faults: list[dict[str, Any]] | None = None,
                   waves: Any = (("us",), ("eu", "ap")), bake: str = "20m", on_failure: str = "rollback_all",
                   each: dict[str, Any] | None = None, observe: str | None = None) -> Scenario:
    """The bundled multi-region scenario with one Waves strategy, its v2 as given (default: as good as v1)."""
    data = copy.deepcopy(scenario_data("multi-region.yaml"))
    if candidate_latency is not None:
        data["versions"]["v2"]["latency"] = candidate_latency
    data["faults"] = faults or []
    data.pop("truth")
    data.pop("expect")
    config: dict[str, Any] = {"strategy": "Waves", "bake": bake, "onFailure": on_failure,
                              "each": each or {"strategy": "Canary", "initialPercentage": 10, "incrementStep": 30,
                                               "monitoringDuration": "5m"}}
    if waves is not None:
        config["waves"] = [list(wave) for wave in waves]
    data["strategies"] = {"waves": config}
    if observe is not None:
        data["observe"] = observe
    return parse_scenario(data)


def last_weights(result: RunResult, region: str) -> dict[str, float] | None:
    """The weights last set in ``region`` (by a command for it, or for every region)."""
    weights = None
    for event in result.events:
        if event.kind == "set_weights" and event.data.get("region") in (None, region):
            weights = event.data["weights"]
    return weights


@pytest.mark.parametrize("seeds", [10, pytest.param(50, marks=pytest.mark.slow)])
def test_a_candidate_bad_everywhere_is_rolled_back_in_the_first_wave_and_never_reaches_the_others(seeds: int) -> None:
    scenario = until_rollout_end(waves_scenario(candidate_latency=SLOW))
    results = [run(scenario, "waves", seed) for seed in range(seeds)]
    in_first_wave = [r for r in results if r.outcome == "rolled_back" and r.analysis and r.analysis["wave"] == 1]
    assert len(in_first_wave) >= 0.9 * len(results), [r.reason for r in results]
    for result in in_first_wave:
        assert result.regions is not None
        assert result.regions["us"]["candidate_requests"] > 0
        assert result.regions["eu"]["candidate_requests"] == 0
        assert result.regions["ap"]["candidate_requests"] == 0
        assert result.blast_radius is not None and 0 < result.blast_radius["users"] < 0.5


@pytest.mark.parametrize("seeds", [3, pytest.param(50, marks=pytest.mark.slow)])
def test_a_candidate_bad_in_one_region_is_caught_in_its_wave_and_rolled_back_everywhere(seeds: int) -> None:
    faults = [{"kind": "error_rate", "version": "v2", "region": "ap", "at": "0s", "error_rate": 0.06}]
    scenario = until_rollout_end(waves_scenario(faults=faults))  # it ends once every region is back
    for seed in range(seeds):
        result = run(scenario, "waves", seed)
        assert result.outcome == "rolled_back", result.reason
        assert result.analysis is not None
        assert (result.analysis["wave"], result.analysis["region"]) == (2, "ap"), result.reason
        assert result.reason.startswith("wave 2 (eu, ap): ap: ")
        assert set(result.analysis["regions_back"]) == {"us", "eu"}  # ap went back by itself
        assert result.regions is not None
        for region in ("us", "eu", "ap"):
            assert last_weights(result, region) == {"v1": 100.0}, region
        # us served the candidate through wave 1 and the bake, then all of its traffic went back to v1.
        assert result.regions["us"]["versions"]["v2"]["requests"] > 100_000
        assert any(event.kind == "region_back" and event.data["region"] == "us" for event in result.events)
        # Nothing after the run: every region's candidate replicas are gone.
        scales = [event for event in result.events if event.kind == "scale" and event.data["version"] == "v2"]
        final = {event.data["region"]: event.data["replicas"] for event in scales}
        assert final == {"us": 0, "eu": 0, "ap": 0}


def test_halt_keeps_the_earlier_waves_on_the_candidate() -> None:
    faults = [{"kind": "error_rate", "version": "v2", "region": "ap", "at": "0s", "error_rate": 0.06}]
    result = run(until_rollout_end(waves_scenario(faults=faults, on_failure="halt")), "waves", 1)
    assert result.outcome == "rolled_back"
    assert result.analysis is not None
    assert result.analysis["regions_kept"] == ["us"] and result.analysis["regions_back"] == ["eu"]
    assert "halted: us keep the candidate" in result.reason
    assert last_weights(result, "us") == {"v2": 100.0}
    assert last_weights(result, "eu") == {"v1": 100.0} and last_weights(result, "ap") == {"v1": 100.0}


def test_a_good_candidate_is_promoted_wave_by_wave_with_a_bake_between() -> None:
    result = run(until_rollout_end(waves_scenario(bake="10m")), "waves", 2)
    assert result.outcome == "promoted", result.reason
    starts = [event for event in result.events if event.kind == "wave"]
    assert [event.data["regions"] for event in starts] == [["us"], ["eu", "ap"]]
    promoted_us = next(event.t for event in result.events
                       if event.kind == "region_decision" and event.data["region"] == "us")
    assert starts[1].t == pytest.approx(promoted_us + 600)  # the bake, then the next wave
    bake_checks = [event for event in result.events if event.kind == "check" and "bake after wave 1" in event.detail]
    assert len(bake_checks) >= 600 / 30
    for region in ("us", "eu", "ap"):
        assert last_weights(result, region) == {"v2": 100.0}


def test_a_fault_during_the_bake_fails_it_and_rolls_everything_back() -> None:
    # v2 starts failing in us 25 minutes in: after its canary there promoted it, during the bake.
    faults = [{"kind": "error_rate", "version": "v2", "region": "us", "at": "25m", "error_rate": 0.1}]
    result = run(until_rollout_end(waves_scenario(faults=faults)), "waves", 3)
    assert result.outcome == "rolled_back"
    assert result.reason.startswith("bake after wave 1: us: "), result.reason
    assert result.regions is not None
    assert result.regions["eu"]["candidate_requests"] == result.regions["ap"]["candidate_requests"] == 0
    assert last_weights(result, "us") == {"v1": 100.0}


def test_the_default_waves_are_one_region_each_in_the_order_declared() -> None:
    result = run(until_rollout_end(waves_scenario(waves=None, bake="0s")), "waves", 4)
    assert result.outcome == "promoted"
    starts = [event.data["regions"] for event in result.events if event.kind == "wave"]
    assert starts == [["us"], ["eu"], ["ap"]]


@pytest.mark.parametrize("each", [
    {"strategy": "BlueGreen", "smokeTestSamples": 100, "monitoringDuration": "5m", "keepBlueDuration": "2m"},
    {"strategy": "Rolling", "batchSize": 2, "delay": "30s"},
    {"strategy": "Immediate"},
], ids=lambda each: each["strategy"])
def test_any_strategy_kind_runs_inside_the_waves(each: dict[str, Any]) -> None:
    good = run(until_rollout_end(waves_scenario(each=each, bake="5m")), "waves", 5)
    assert good.outcome == "promoted", good.reason
    assert good.regions is not None and good.regions["us"]["candidate_requests"] > 0
    stable_left = {event.data["region"]: event.data["replicas"] for event in good.events
                   if event.kind == "scale" and event.data["version"] == "v1"}
    assert stable_left == {"us": 0, "eu": 0, "ap": 0}  # every region went over to v2
    if each["strategy"] != "Immediate":  # the immediate switch checks nothing
        bad = run(until_rollout_end(waves_scenario(each=each, bake="5m", candidate_latency=SLOW)), "waves", 5)
        assert bad.outcome == "rolled_back", bad.reason
        assert bad.analysis is not None and bad.analysis["wave"] == 1
        assert bad.regions is not None and bad.regions["eu"]["candidate_requests"] == 0


def test_a_region_that_is_out_holds_its_waves_strategy_until_it_is_back() -> None:
    """eu is down when its wave starts: its candidate is ready only once eu is back, and its canary goes on."""
    faults = [{"kind": "region_outage", "region": "eu", "at": "30m", "for": "10m"}]
    result = run(until_rollout_end(waves_scenario(faults=faults, bake="20m")), "waves", 7)
    assert result.outcome == "promoted", result.reason
    wave_2 = next(event.t for event in result.events if event.kind == "wave" and event.data["wave"] == 2)
    assert 1800 < wave_2 < 2400  # during the outage
    first_eu_weight = next(event.t for event in result.events
                           if event.kind == "set_weights" and event.data.get("region") == "eu")
    assert first_eu_weight == pytest.approx(2400)  # the candidate's replica serves when eu is back


def test_the_blast_radius_counts_who_met_the_candidate_before_the_decision() -> None:
    whole = run(waves_scenario(candidate_latency=SLOW, observe="30m"), "waves", 11)
    until_decision = run(until_rollout_end(waves_scenario(candidate_latency=SLOW, observe="30m")), "waves", 11)
    assert whole.outcome == until_decision.outcome == "rolled_back"
    assert whole.decision_time_s == until_decision.decision_time_s == until_decision.window_s  # stops at it
    blast, counted = whole.blast_radius, until_decision.blast_radius
    assert blast is not None and counted is not None
    # Every request arriving before the decision, and every one the candidate served (all before it), whether
    # the run goes on afterwards or not.
    assert blast["requests_total"] == counted["requests_total"] == until_decision.requests
    assert blast["requests_met"] == counted["requests_met"] == until_decision.candidate_requests
    assert blast["requests_met"] == whole.candidate_requests  # it met no one after its rollback
    assert blast["requests"] == pytest.approx(until_decision.candidate_requests / until_decision.requests)
    assert 0 < blast["users_met"] <= blast["requests_met"] and blast["users_total"] <= blast["requests_total"]
    assert whole.requests > blast["requests_total"]  # the window went on after the decision
    assert whole.regions is not None
    assert whole.regions["us"]["blast_radius"]["requests_met"] == blast["requests_met"]
    assert whole.regions["eu"]["blast_radius"]["users_met"] == 0
