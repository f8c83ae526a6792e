"""Data-plane speed: the batch engine against a plain per-request simpy model, same run.

Run with ``python -m pytest benchmarks -n 0 --benchmark-only``. The figures that
matter are ratios measured in the same run (printed and stored in
``extra_info``), not absolute times.
"""

from __future__ import annotations

import numpy as np
import pytest

from benchmarks.per_request_simpy import simulate_per_request
from simulator.driver import run
from simulator.random_streams import RandomStreams
from simulator.scenario import load_scenario
from simulator.world.dataplane import route_versions
from simulator.world.latency import LatencyDistribution
from simulator.world.traffic import TrafficSource
from tests.helpers import SCENARIOS, until_rollout_end

_THROUGHPUT: dict[str, float] = {}
_SIMPY_SECONDS = 600.0  # simulated seconds of the same workload given to the per-request model


def _quickstart_to_horizon():
    scenario = load_scenario(SCENARIOS / "quickstart.yaml")
    return scenario.model_copy(update={"observe": None,  # the window is the whole horizon
                                       "simulation": scenario.simulation.model_copy(update={"until": "window"})})


def test_quickstart_canary_batch_plane(benchmark) -> None:
    """The quickstart canary over its 2 h horizon (about 1.44 M requests)."""
    scenario = _quickstart_to_horizon()
    run(scenario, "canary")  # compile the kernel before timing
    result = benchmark.pedantic(run, args=(scenario, "canary"), rounds=3, iterations=1)
    per_second = result.requests / benchmark.stats.stats.min
    _THROUGHPUT["batch"] = per_second
    benchmark.extra_info["requests"] = result.requests
    benchmark.extra_info["requests_per_wall_second"] = round(per_second)
    print(f"\nbatch data plane: {per_second:,.0f} requests per wall-second")


def _same_workload(seconds: float):
    """The quickstart canary's traffic at its first step (10 % on v2), as plain arrays."""
    scenario = load_scenario(SCENARIOS / "quickstart.yaml")
    streams = RandomStreams(scenario.seed)
    batch = TrafficSource.for_run(scenario.traffic, [], streams).take_until(seconds)
    version = route_versions(batch.u_route, np.array([0.9, 0.1]))
    latency = [LatencyDistribution.from_spec(scenario.versions[name].latency) for name in ("v1", "v2")]
    service = np.where(
        version == 0,
        latency[0].transform(batch.u_service, batch.z_service),
        latency[1].transform(batch.u_service, batch.z_service),
    )
    stable, canary = scenario.service.replicas, 1
    replica = np.where(
        version == 0,
        np.minimum((batch.u_balance * stable).astype(np.int64), stable - 1),
        stable + np.minimum((batch.u_balance * canary).astype(np.int64), canary - 1),
    )
    return batch.arrival, service, replica, stable + canary, scenario.service.concurrency, scenario.service.timeout


def test_same_workload_per_request_simpy(benchmark) -> None:
    """The same kind of workload through one simpy process per request (the baseline)."""
    arrival, service, replica, replicas, concurrency, timeout = _same_workload(_SIMPY_SECONDS)
    outcome = benchmark.pedantic(
        simulate_per_request, args=(arrival, service, replica, replicas, concurrency, timeout),
        rounds=1, iterations=1,
    )
    per_second = outcome["requests"] / benchmark.stats.stats.min
    _THROUGHPUT["simpy"] = per_second
    benchmark.extra_info["requests"] = outcome["requests"]
    benchmark.extra_info["requests_per_wall_second"] = round(per_second)
    if "batch" in _THROUGHPUT:
        ratio = _THROUGHPUT["batch"] / per_second
        benchmark.extra_info["batch_over_simpy"] = round(ratio, 1)
        print(f"\nper-request simpy: {per_second:,.0f} requests per wall-second; batch plane is {ratio:.0f}x faster")


@pytest.mark.parametrize("label", ["canary", "blue_green", "rolling", "immediate"])
def test_quickstart_run_to_decision(benchmark, label: str) -> None:
    """One run until the rollout has finished: the strategy's own cost (run and compare go on to the window's end)."""
    scenario = until_rollout_end(load_scenario(SCENARIOS / "quickstart.yaml"))
    run(scenario, label)
    result = benchmark(run, scenario, label)
    benchmark.extra_info["requests"] = result.requests
