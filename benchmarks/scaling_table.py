"""Scaling of the batch data plane: requests per wall-second against replicas and against rate.

The workload is steady serving of one version: Poisson arrivals, exponential
service times of mean 40 ms, 4 slots per replica, the ``random`` balancer and
utilisation held near 0.7, so replicas queue as real ones do. One sweep varies
the replicas (1 to 1,000) with the rate scaled to match, the other the rate
(10/s to 100,000/s) with the replicas scaled to match. Each point runs long
enough for about 2 M requests, so start-up is amortised. Each runs on one
core, its requests drawn in line as in a sweep's worker processes: the table
shows the engine's own cost per request (a lone run of 500 requests/s or more
draws them ahead on a second thread, :mod:`simulator.world.draw_ahead`).
Beside each point, the plain per-request simpy model
(:mod:`benchmarks.per_request_simpy`) serves a short stretch of the same kind
of workload.

``python -m benchmarks.scaling_table`` measures every point and prints the two
tables as Markdown (about a minute on a 2-core machine);
``python -m benchmarks.scaling_table RESULTS.json`` prints them from the
``--benchmark-json`` file of ``benchmarks/test_scaling.py`` instead.
"""

from __future__ import annotations

import json
import math
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.per_request_simpy import simulate_per_request
from simulator import RunResult, Scenario, parse_scenario, run
from simulator.world.draw_ahead import drawing_in_line

__all__ = [
    "BATCH_REQUESTS",
    "POINTS",
    "SIMPY_REQUESTS",
    "Point",
    "figures",
    "markdown_tables",
    "measure_batch",
    "measure_simpy",
    "run_steady",
    "simpy_workload",
    "steady_scenario",
    "warm_up",
]

MEAN_SERVICE_S = 0.040
"""Mean service time of a request, seconds (exponential)."""
CONCURRENCY = 4
"""Slots per replica."""
UTILISATION = 0.7
"""Target fraction (0-1) of the slots busy."""
TIMEOUT_S = 2.0
"""Client timeout, seconds."""
BATCH_REQUESTS = 2_000_000
"""Requests per point for the batch data plane (the horizon is set to give about this many)."""
SIMPY_REQUESTS = 50_000
"""Requests per point for the per-request simpy model."""
SEED = 1


@dataclass(frozen=True, kw_only=True)
class Point:
    """One workload of a sweep: ``replicas`` replicas serving ``rate`` requests/s."""

    sweep: str  # "replicas" or "rate": what the sweep varies
    replicas: int
    rate: float  # requests/s

    @property
    def utilisation(self) -> float:
        """Fraction (0-1) of the slots busy on average."""
        return self.rate * MEAN_SERVICE_S / (self.replicas * CONCURRENCY)

    @property
    def label(self) -> str:
        """The point's name in test ids and tables: ``10-replicas``, ``1000-per-s``."""
        return f"{self.replicas}-replicas" if self.sweep == "replicas" else f"{self.rate:g}-per-s"

    def horizon(self, requests: int) -> float:
        """Whole seconds of simulated time that bring about ``requests`` requests."""
        return float(math.ceil(requests / self.rate))


def _replicas_for(rate: float) -> int:
    """The fewest replicas that keep utilisation at or below the target (at least one)."""
    return max(1, math.ceil(round(rate * MEAN_SERVICE_S / (UTILISATION * CONCURRENCY), 9)))


POINTS: list[Point] = [
    *[Point(sweep="replicas", replicas=replicas, rate=UTILISATION * replicas * CONCURRENCY / MEAN_SERVICE_S)
      for replicas in (1, 10, 100, 1_000)],
    *[Point(sweep="rate", replicas=_replicas_for(rate), rate=rate)
      for rate in (10.0, 100.0, 1_000.0, 10_000.0, 100_000.0)],
]
"""The replicas sweep (1 to 1,000 replicas), then the rate sweep (10/s to 100,000/s)."""


def steady_scenario(point: Point, horizon: float) -> Scenario:
    """The steady one-version workload of ``point`` over ``horizon`` seconds."""
    return parse_scenario({
        "name": f"steady-{point.label}", "seed": SEED, "horizon": f"{horizon:g}s",
        "traffic": {"rate": f"{point.rate:g}/s"},
        "service": {"replicas": point.replicas, "concurrency": CONCURRENCY, "timeout": f"{TIMEOUT_S:g}s",
                    "balancer": "random"},
        "versions": {"v1": {"accuracy": 0.9, "latency": {"dist": "exponential", "mean": f"{MEAN_SERVICE_S:g}s"},
                            "error_rate": 0.001}},
        "stable": "v1",
    })


def run_steady(scenario: Scenario) -> RunResult:
    """One run of a steady scenario on one core: no strategy, the stable version served until the horizon."""
    with drawing_in_line():
        return run(scenario, None, SEED)


def warm_up() -> None:
    """Load (or compile) the data-plane kernels with a short run, so no timed run pays for it."""
    run_steady(steady_scenario(POINTS[1], 60.0))


def figures(requests: int, seconds: float) -> dict[str, float]:
    """Requests, wall seconds, requests per wall-second and nanoseconds of wall time per request."""
    return {"requests": requests, "seconds": seconds, "requests_per_wall_second": requests / seconds,
            "ns_per_request": 1e9 * seconds / requests}


def measure_batch(point: Point, requests: int = BATCH_REQUESTS, rounds: int = 2) -> dict[str, float]:
    """The batch data plane on ``point``: the fastest of ``rounds`` runs (call :func:`warm_up` first)."""
    scenario = steady_scenario(point, point.horizon(requests))
    best, served = math.inf, 0
    for _ in range(rounds):
        started = time.perf_counter()
        served = run_steady(scenario).requests
        best = min(best, time.perf_counter() - started)
    return figures(served, best)


def simpy_workload(point: Point, requests: int = SIMPY_REQUESTS) -> tuple[Any, ...]:
    """``requests`` requests of ``point``'s workload as arrays, the arguments of ``simulate_per_request``."""
    rng = np.random.default_rng(SEED)
    arrival = np.cumsum(rng.exponential(1.0 / point.rate, requests))
    service = rng.exponential(MEAN_SERVICE_S, requests)
    replica = rng.integers(0, point.replicas, requests)
    return arrival, service, replica, point.replicas, CONCURRENCY, TIMEOUT_S


def measure_simpy(point: Point, requests: int = SIMPY_REQUESTS) -> dict[str, float]:
    """The per-request simpy model on ``requests`` requests of ``point``'s workload, one run."""
    workload = simpy_workload(point, requests)
    started = time.perf_counter()
    outcome = simulate_per_request(*workload)
    return figures(int(outcome["requests"]), time.perf_counter() - started)


def _count(value: float) -> str:
    """A count or speed to two or three significant figures: 2.0 M, 540 k, 70."""
    for scale, suffix in ((1e6, " M"), (1e3, " k")):
        if value >= scale:
            scaled = value / scale
            return f"{scaled:.1f}{suffix}" if scaled < 10 else f"{scaled:,.0f}{suffix}"
    return f"{value:,.0f}"


def _table(rows: list[dict[str, Any]]) -> list[str]:
    lines = [
        "| replicas | rate (requests/s) | utilisation | requests | wall seconds | requests per wall-second "
        "| ns per request | per-request simpy (requests per wall-second) | batch / simpy |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        point, batch, simpy = row["point"], row["batch"], row.get("simpy")
        simpy_speed = _count(simpy["requests_per_wall_second"]) if simpy else "–"
        ratio = f"{batch['requests_per_wall_second'] / simpy['requests_per_wall_second']:.0f}×" if simpy else "–"
        lines.append(
            f"| {point.replicas:,} | {point.rate:,.0f} | {point.utilisation:.2f} | {_count(batch['requests'])} "
            f"| {batch['seconds']:.2f} | {_count(batch['requests_per_wall_second'])} "
            f"| {batch['ns_per_request']:,.0f} | {simpy_speed} | {ratio} |"
        )
    return lines


def markdown_tables(measured: dict[str, dict[str, dict[str, float]]]) -> str:
    """The two sweeps as Markdown tables; ``measured`` maps a point's label to its ``batch`` (and ``simpy``)."""
    out: list[str] = []
    for sweep, title in (("replicas", "Against replicas (rate scaled to keep utilisation 0.7)"),
                         ("rate", "Against rate (replicas scaled to keep utilisation at most 0.7)")):
        rows = [{"point": point, **measured[point.label]} for point in POINTS
                if point.sweep == sweep and "batch" in measured.get(point.label, {})]
        out += [f"**{title}**", "", *_table(rows), ""]
    return "\n".join(out).rstrip() + "\n"


def measure_all() -> dict[str, dict[str, dict[str, float]]]:
    """Every point, batch and simpy, measured in this process."""
    warm_up()
    return {point.label: {"batch": measure_batch(point), "simpy": measure_simpy(point)} for point in POINTS}


def from_benchmark_json(path: Path) -> dict[str, dict[str, dict[str, float]]]:
    """The measured figures stored in ``extra_info`` by ``benchmarks/test_scaling.py``."""
    measured: dict[str, dict[str, dict[str, float]]] = {}
    for entry in json.loads(path.read_text())["benchmarks"]:
        info = entry.get("extra_info", {})
        if "scaling_point" in info:
            measured.setdefault(info["scaling_point"], {})[info["plane"]] = info
    return measured


def main(argv: list[str]) -> None:
    measured = from_benchmark_json(Path(argv[0])) if argv else measure_all()
    sys.stdout.write(markdown_tables(measured))


if __name__ == "__main__":
    main(sys.argv[1:])
