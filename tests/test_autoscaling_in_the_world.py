"""Autoscalers in the world: a step in traffic, a drop, and rollouts whose decisions they leave alone."""

from __future__ import annotations

import math
import statistics

import pytest
import simpy

from simulator import run
from simulator.scenario import load_scenario, parse_scenario
from simulator.world.world import World
from tests.helpers import SCENARIOS, scenario_data, until_rollout_end

STEP_AT, STARTUP, MEAN_SERVICE, CONCURRENCY, TARGET = 300.0, 20.0, 0.1, 4, 0.7


def step_scenario(kind: str, *, base: str = "50/s", factor: float = 8.0, minimum: int = 1, **autoscaling) -> dict:
    """One version at ``base``, the rate times ``factor`` from 5 min on; its autoscaler ``kind``."""
    return {
        "name": f"{kind}-step", "seed": 1, "horizon": "20m",
        "traffic": {"rate": base},
        "service": {"replicas": 2, "concurrency": CONCURRENCY, "timeout": "10s", "balancer": "least_connections",
                    "autoscaling": {"kind": kind, "min": minimum, "max": 50, "metric": "concurrency",
                                    "target": f"{TARGET:.0%}", **autoscaling}},
        "versions": {"v1": {"accuracy": 0.9, "latency": {"dist": "exponential", "mean": "100ms"},
                            "startup": f"{STARTUP:g}s"}},
        "stable": "v1",
        "faults": [{"kind": "traffic_spike", "at": f"{STEP_AT:g}s", "factor": factor, "for": "1h"}],
    }


def replicas_over_time(result) -> list[tuple[float, int]]:
    return [(event.t, event.data["replicas"]) for event in result.events if event.kind == "scale"]


def count_at(changes: list[tuple[float, int]], time: float, first: int = 2) -> int:
    count = first
    for at, replicas in changes:
        if at <= time:
            count = replicas
    return count


def test_after_a_step_the_kpa_settles_on_load_times_service_time_over_its_target() -> None:
    result = run(parse_scenario(step_scenario("kpa")), None, 1)
    changes = replicas_over_time(result)
    rate = 400.0
    steady = math.ceil(rate * MEAN_SERVICE / (CONCURRENCY * TARGET))  # 15
    before = math.ceil(50.0 * MEAN_SERVICE / (CONCURRENCY * TARGET))  # 2
    assert count_at(changes, STEP_AT - 1) in (before, before + 1)
    # enough pods asked for at once (panic), and ready within the stable window plus start-up
    assert count_at(changes, STEP_AT + 60.0 + STARTUP) >= steady
    late = [count_at(changes, t) for t in range(int(STEP_AT) + 300, 1200, 2)]
    assert statistics.median(late) == steady and min(late) >= steady - 1 and max(late) <= steady + 1
    assert result.versions["v1"].scale_events == len(changes)
    assert result.versions["v1"].replicas_max >= steady and result.versions["v1"].replicas_min <= before + 1


def test_hpa_scale_down_waits_out_the_stabilization_window() -> None:
    data = step_scenario("hpa", base="400/s", factor=0.125)
    data["service"]["replicas"] = 15
    result = run(parse_scenario(data), None, 1)
    downs = [t for t, replicas in replicas_over_time(result) if t >= STEP_AT and replicas < 15]
    assert downs and STEP_AT + 300.0 <= downs[0] <= STEP_AT + 300.0 + 15.0
    assert count_at(replicas_over_time(result), 1199, first=15) == math.ceil(50 * MEAN_SERVICE / (CONCURRENCY *
                                                                                                    TARGET))


def test_without_the_stabilization_window_the_hpa_scales_down_at_its_next_sync() -> None:
    data = step_scenario("hpa", base="400/s", factor=0.125, scale_down_stabilization="0s")
    data["service"]["replicas"] = 15
    result = run(parse_scenario(data), None, 1)
    downs = [t for t, replicas in replicas_over_time(result) if t >= STEP_AT and replicas < 15]
    assert downs and downs[0] <= STEP_AT + 30.0


def test_a_spike_is_felt_until_new_pods_are_ready() -> None:
    result = run(parse_scenario(step_scenario("kpa")), None, 1)
    frame = result.timeline_frame()
    wait = dict(zip(frame["t"], frame["queue_wait_mean_s"], strict=True))
    replicas = dict(zip(frame["t"], frame["ready_replicas"], strict=True))
    assert wait[STEP_AT] > 0.5 and replicas[STEP_AT] < 5  # the first 15 s after the step: two pods, a long queue
    assert wait[STEP_AT + 120.0] < 0.05 and replicas[STEP_AT + 120.0] > 10


@pytest.mark.parametrize("name", [
    "quickstart.yaml",
    *[pytest.param(name, marks=pytest.mark.slow) for name in (
        "seed-003-canary.yaml", "seed-guide-strategies.yaml", "failures.yaml", "seed-003-blue-green.yaml")],
])
def test_autoscaling_changes_no_decision_when_traffic_is_flat_and_capacity_ample(name: str) -> None:
    fixed = until_rollout_end(load_scenario(SCENARIOS / name))
    data = scenario_data(name)
    data["service"]["autoscaling"] = {"kind": "kpa", "min": 1, "max": 40, "metric": "concurrency", "target": "70%"}
    scaled = until_rollout_end(parse_scenario(data))
    for label in fixed.labels:
        for seed in (1, 2):
            assert run(scaled, label, seed).outcome == run(fixed, label, seed).outcome, (label, seed)


@pytest.mark.slow
def test_runs_with_autoscaling_repeat_exactly() -> None:
    scenario = parse_scenario(step_scenario("kpa"))
    first, second = run(scenario, None, 3), run(scenario, None, 3)
    assert replicas_over_time(first) == replicas_over_time(second)
    assert first.versions == second.versions


@pytest.mark.slow
def test_a_version_a_strategy_retired_stays_retired_and_the_new_one_is_autoscaled() -> None:
    data = scenario_data("quickstart.yaml")
    data["versions"]["v2"] = dict(data["versions"]["v1"])  # a good candidate: promoted, v1 retired
    data["service"]["autoscaling"] = {"kind": "kpa", "min": 1, "max": 40, "metric": "concurrency", "target": "70%"}
    result = run(parse_scenario(data), "blue_green", 1)
    assert result.outcome == "promoted"
    scales = [(event.t, event.data["version"], event.data["replicas"], event.data["cause"])
              for event in result.events if event.kind == "scale"]
    retired = next(t for t, version, replicas, cause in scales if version == "v1" and replicas == 0)
    assert [s for s in scales if s[1] == "v1" and s[0] > retired] == []
    assert any(cause == "autoscaler" and version == "v2" and t > retired for t, version, _, cause in scales)


def test_a_strategy_s_smaller_count_keeps_the_pods_the_autoscaler_added_and_it_waits_for_its_own() -> None:
    env = simpy.Environment()
    world = World(parse_scenario(step_scenario("kpa")), 1, env)
    env.run(until=STEP_AT + 120.0)  # after the step: the autoscaler has asked for 15 or more
    added = world.desired[0]
    assert added >= 15
    world.scale_to("v1", 4)  # a strategy's count below the autoscaler's
    assert world.desired[0] == added and world.deployment("v1").desired == 4
    world.scale_to("v1", 0)  # retired
    assert world.desired[0] == 0 and world.autoscaled[0] == 0
