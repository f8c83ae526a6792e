"""Autoscalers in the world: a step in traffic, a drop, and rollouts whose decisions they leave alone."""

from __future__ import annotations

import math
import statistics

import numpy as np
import pytest
import simpy

from simulator import run
from simulator.errors import ScenarioError
from simulator.scenario import load_scenario, parse_scenario
from simulator.world.metrics import Status
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


IDLE_FROM, IDLE_UNTIL = 600.0, 1800.0


def idle_scenario(minimum: int, *, timeout: str = "60s") -> dict:
    """5 requests/s, next to none from 10 to 30 min; one version whose kpa may scale it to ``minimum``."""
    return {
        "name": "idle-night", "seed": 1, "horizon": "35m",
        "traffic": {"rate": "5/s"},
        "faults": [{"kind": "traffic_spike", "at": f"{IDLE_FROM:g}s", "for": f"{IDLE_UNTIL - IDLE_FROM:g}s",
                    "factor": 1e-6}],
        "service": {"replicas": 2, "concurrency": CONCURRENCY, "timeout": timeout,
                    "autoscaling": {"kind": "kpa", "min": minimum, "max": 10, "metric": "concurrency",
                                    "target": f"{TARGET:.0%}"}},
        "versions": {"v1": {"accuracy": 0.9, "latency": {"dist": "exponential", "mean": "100ms"},
                            "startup": f"{STARTUP:g}s"}},
        "stable": "v1",
    }


def served_requests(monkeypatch, data: dict) -> tuple[dict, object]:
    """Every request of one run of ``data`` (arrival order: times, status, replica) and the result."""
    chunks: list[dict] = []
    record = World._record

    def keep(world, served):
        served = list(served)  # the data plane hands chunks over lazily: read them once
        chunks.extend(served)
        record(world, served)

    monkeypatch.setattr(World, "_record", keep)
    result = run(parse_scenario(data), None, 1)
    fields = {name: np.concatenate([chunk[name] for chunk in chunks])
              for name in ("arrival", "client_end", "status", "replica", "start", "service_end")}
    order = np.argsort(fields["arrival"], kind="stable")
    return {name: values[order] for name, values in fields.items()}, result


def test_with_min_0_an_idle_version_scales_to_zero_a_stable_window_and_the_grace_period_after_its_last_request(
        monkeypatch) -> None:
    requests, result = served_requests(monkeypatch, idle_scenario(0))
    before_idle = requests["arrival"] < IDLE_FROM
    assert not ((requests["arrival"] >= IDLE_FROM) & (requests["arrival"] < IDLE_UNTIL)).any()  # a quiet night
    last_end = requests["client_end"][before_idle].max()
    to_zero = [t for t, replicas in replicas_over_time(result) if replicas == 0]
    assert len(to_zero) == 1
    assert last_end + 60.0 + 30.0 <= to_zero[0] <= last_end + 60.0 + 30.0 + 2 * 2.0  # window, grace, ticks
    assert result.versions["v1"].replicas_min == 0


def test_with_min_0_the_first_request_after_idleness_waits_for_a_pod_to_start(monkeypatch) -> None:
    requests, result = served_requests(monkeypatch, idle_scenario(0))
    first = int(np.searchsorted(requests["arrival"], IDLE_UNTIL))
    woken_at = requests["arrival"][first]
    latency = requests["client_end"][first] - woken_at
    assert STARTUP <= latency <= STARTUP + 1.0  # the start-up, then its own service time
    assert requests["status"][first] == Status.OK
    assert not (requests["status"] == Status.DROPPED).any()  # held at the activator, never dropped
    wake = [event for event in result.events if event.kind == "scale" and event.data["previous"] == 0]
    assert [event.t for event in wake] == [round(float(woken_at), 6)]
    # the same night with a pod kept: no cold start
    warm, _ = served_requests(monkeypatch, idle_scenario(1))
    first_warm = int(np.searchsorted(warm["arrival"], IDLE_UNTIL))
    assert warm["client_end"][first_warm] - warm["arrival"][first_warm] < 1.0


def test_a_woken_pod_serves_the_requests_held_for_it_no_more_than_its_slots_at_once(monkeypatch) -> None:
    requests, _ = served_requests(monkeypatch, idle_scenario(0))
    first = int(np.searchsorted(requests["arrival"], IDLE_UNTIL))
    pod = requests["replica"][first]
    mine = (requests["replica"] == pod) & (requests["status"] == Status.OK)
    starts, ends = requests["start"][mine], requests["service_end"][mine]
    assert mine.sum() > 50
    times = np.concatenate([starts, ends])
    steps = np.concatenate([np.ones(len(starts)), -np.ones(len(ends))])
    order = np.lexsort((steps, times))  # at equal times a slot is freed before it is taken again
    assert np.cumsum(steps[order]).max() == CONCURRENCY


def test_requests_held_at_the_activator_longer_than_the_client_timeout_time_out(monkeypatch) -> None:
    requests, _ = served_requests(monkeypatch, idle_scenario(0, timeout="10s"))
    first = int(np.searchsorted(requests["arrival"], IDLE_UNTIL))
    woken_at = requests["arrival"][first]
    held = (requests["arrival"] >= woken_at) & (requests["arrival"] < woken_at + STARTUP - 10.0 - 0.5)
    assert held.sum() > 20
    assert (requests["status"][held] == Status.TIMEOUT_QUEUED).all()
    assert np.allclose(requests["client_end"][held] - requests["arrival"][held], 10.0)
    later = (requests["arrival"] > woken_at + STARTUP) & (requests["arrival"] < IDLE_UNTIL + 300.0)
    assert (requests["status"][later] == Status.OK).mean() > 0.99


def test_scale_to_zero_needs_the_batch_data_plane() -> None:
    data = idle_scenario(0)
    data["simulation"] = {"data_plane": "per_request"}
    with pytest.raises(ScenarioError, match="service.autoscaling.min.*per_request data plane"):
        parse_scenario(data)
