"""Data-plane speed: the batch engine against a plain per-request simpy model, same run.

Run with ``python -m pytest benchmarks -n 0 --benchmark-only``. The figures that
matter are ratios measured in the same run (printed and stored in
``extra_info``), not absolute times.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
import yaml

from benchmarks.per_request_simpy import simulate_per_request
from simulator.driver import run
from simulator.random_streams import RandomStreams
from simulator.scenario import load_scenario, parse_scenario
from simulator.world.dataplane import route_versions
from simulator.world.latency import LatencyDistribution
from simulator.world.traffic import TrafficSource
from tests.helpers import REPO, SCENARIOS, until_rollout_end

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


def _time_per_request_model(benchmark, workload: tuple) -> float:
    """One timed run of the per-request simpy model on ``workload`` (its arguments); requests per wall-second."""
    outcome = benchmark.pedantic(simulate_per_request, args=workload, rounds=1, iterations=1)
    per_second = outcome["requests"] / benchmark.stats.stats.min
    benchmark.extra_info["requests"] = outcome["requests"]
    benchmark.extra_info["requests_per_wall_second"] = round(per_second)
    return per_second


def test_same_workload_per_request_simpy(benchmark) -> None:
    """The same kind of workload through one simpy process per request (the baseline)."""
    per_second = _time_per_request_model(benchmark, _same_workload(_SIMPY_SECONDS))
    _THROUGHPUT["simpy"] = per_second
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


# -- the steady workload of issue 12: 20 replicas x 4 slots at 1,000 requests/s, random balancer ----------

_STEADY = """\
name: steady
seed: 1
horizon: {horizon}
traffic: {{rate: 1000/s}}
service: {{replicas: 20, concurrency: 4, timeout: 2s, balancer: random}}
versions:
  v1: {{accuracy: 0.92, latency: {{p50: 40ms, p99: 160ms}}, error_rate: 0.001, startup: 45s}}
  v2: {{accuracy: 0.92, latency: {{p50: 40ms, p99: 160ms}}, error_rate: 0.001, startup: 45s}}
stable: v1
candidate: v2
strategies:
  immediate: {{}}
"""
_STEADY_SIMPY_SECONDS = 120.0  # simulated seconds of the steady workload given to the per-request model
_STEADY_RESULTS: dict[str, dict[str, float]] = {}

# Runs one steady workload in a fresh interpreter (after a short run that compiles the kernels) and prints
# requests, wall seconds of the run alone and the process's peak resident memory (ru_maxrss, KiB on Linux).
# With a third argument "in-line" the requests are drawn on the run's own thread, as in a sweep's workers.
_CHILD = textwrap.dedent("""
    import contextlib, json, resource, sys, time
    from simulator.driver import run
    from simulator.scenario import load_scenario
    from simulator.world.draw_ahead import drawing_in_line
    run(load_scenario(sys.argv[2]), "immediate")
    scenario = load_scenario(sys.argv[1])
    with drawing_in_line() if sys.argv[3] == "in-line" else contextlib.nullcontext():
        started = time.perf_counter()
        result = run(scenario, "immediate")
        seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"requests": result.requests, "seconds": seconds, "peak_kib": peak}))
""")


def _steady_in_child(tmp_path: Path, horizon: str, drawing: str) -> dict[str, float]:
    """One steady run of ``horizon`` in a subprocess: requests, wall seconds, peak memory (KiB).

    ``drawing``: ``ahead`` (the default of a lone run on two cores) or ``in-line``.
    """
    scenario, warm_up = tmp_path / f"steady-{horizon}.yaml", tmp_path / "steady-warm-up.yaml"
    scenario.write_text(_STEADY.format(horizon=horizon))
    warm_up.write_text(_STEADY.format(horizon="2m"))
    done = subprocess.run([sys.executable, "-c", _CHILD, str(scenario), str(warm_up), drawing], cwd=REPO,
                          capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def _steady_simpy_workload(seconds: float):
    """The steady workload's first ``seconds`` as plain arrays for the per-request model (all on v1)."""
    scenario = parse_scenario(yaml.safe_load(_STEADY.format(horizon="2h")))
    batch = TrafficSource.for_run(scenario.traffic, [], RandomStreams(scenario.seed)).take_until(seconds)
    service = LatencyDistribution.from_spec(scenario.versions["v1"].latency).transform(batch.u_service,
                                                                                        batch.z_service)
    replicas = scenario.service.replicas
    replica = np.minimum((batch.u_balance * replicas).astype(np.int64), replicas - 1)
    return batch.arrival, service, replica, replicas, scenario.service.concurrency, scenario.service.timeout


def test_steady_per_request_simpy(benchmark) -> None:
    """The steady workload's first two minutes through one simpy process per request (the baseline)."""
    per_second = _time_per_request_model(benchmark, _steady_simpy_workload(_STEADY_SIMPY_SECONDS))
    _STEADY_RESULTS["simpy"] = {"requests_per_wall_second": per_second}
    print(f"\nsteady workload, per-request simpy: {per_second:,.0f} requests per wall-second")


@pytest.mark.parametrize(("horizon", "drawing", "least_over_simpy"),
                         [("2h", "ahead", 40.0), ("24h", "ahead", 80.0), ("24h", "in-line", 80.0)])
def test_steady_batch_plane(benchmark, tmp_path: Path, horizon: str, drawing: str, least_over_simpy: float) -> None:
    """The steady workload over 2 h (7.2 M requests) and 24 h (86 M): speed, and speed over simpy's.

    Targets: 100x the per-request model over 24 h, 50x over 2 h; the
    assertions leave a margin for a noisy machine. Each run is in a fresh
    process, whose peak memory is reported too. A lone run draws its
    requests ahead on a second thread; drawn in line, on one core, is what
    each worker of a sweep gets.
    """
    if "simpy" not in _STEADY_RESULTS:
        pytest.skip("needs test_steady_per_request_simpy first in the same run")
    figures = benchmark.pedantic(_steady_in_child, args=(tmp_path, horizon, drawing), rounds=1, iterations=1)
    per_second = figures["requests"] / figures["seconds"]
    ratio = per_second / _STEADY_RESULTS["simpy"]["requests_per_wall_second"]
    if drawing == "ahead":
        _STEADY_RESULTS[horizon] = {**figures, "requests_per_wall_second": per_second}
    benchmark.extra_info.update(requests=figures["requests"], requests_per_wall_second=round(per_second),
                                batch_over_simpy=round(ratio, 1), peak_memory_mib=round(figures["peak_kib"] / 1024))
    print(f"\nsteady workload over {horizon}, drawn {drawing}: {figures['requests']:,} requests, "
          f"{per_second:,.0f} requests per wall-second, {ratio:.0f}x the per-request model, "
          f"peak memory {figures['peak_kib'] / 1024:,.0f} MiB")
    assert ratio >= least_over_simpy
    if horizon == "24h" and drawing == "ahead" and "2h" in _STEADY_RESULTS:
        # Bounded memory: metrics are kept by bin and requests a slice at a time, so 12 times the horizon
        # needs little more memory (a run that kept every request would need about 12 times as much).
        short = _STEADY_RESULTS["2h"]["peak_kib"]
        print(f"peak memory: {short / 1024:,.0f} MiB over 2 h, {figures['peak_kib'] / 1024:,.0f} MiB over 24 h")
        assert figures["peak_kib"] < 2.0 * short

