"""Scaling: the batch data plane's cost per request against replicas (1 to 1,000) and rate (10/s to 100,000/s).

Run with ``python -m pytest benchmarks -n 0 --benchmark-only`` (add ``-s`` to
see the figures and, at the end, the two tables). The workload and the points
are in :mod:`benchmarks.scaling_table`, which also prints the README's tables
(``python -m benchmarks.scaling_table``, or from this file's
``--benchmark-json`` output). Each point is measured with the batch data plane
(about 2 M requests, the fastest of 2 runs) and, straight after, with the
per-request simpy model (50 k requests), so both see the same load on a busy
machine. Only ratios measured in the same run are asserted: the cost per
request stays within a factor of the mid-range point's, and the batch plane
stays well ahead of the per-request model.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from benchmarks.per_request_simpy import simulate_per_request
from benchmarks.scaling_table import (
    BATCH_REQUESTS,
    POINTS,
    Point,
    figures,
    markdown_tables,
    run_steady,
    simpy_workload,
    steady_scenario,
    warm_up,
)

FLAT_WITHIN = 3.0
"""Most a point's cost per request may be, as a multiple of its sweep's mid-range point's."""
AHEAD_OF_SIMPY = 20.0
"""Least speed of the batch plane, as a multiple of the per-request model's on the same point."""
AHEAD_OF_SIMPY_AT_10_PER_S = 5.0
"""The same at 10/s, where each 60 s slice holds only about 600 requests and the fixed cost per slice shows."""

_MIDDLE = {
    "replicas": next(point for point in POINTS if point.sweep == "replicas" and point.replicas == 10),
    "rate": next(point for point in POINTS if point.sweep == "rate" and point.rate == 1_000.0),
}
"""The mid-range point of each sweep (10 replicas; 1,000/s), whose cost per request the larger points are held to."""

_MEASURED: dict[str, dict[str, dict[str, float]]] = {}
"""Figures of this run: point label -> plane (``batch`` or ``simpy``) -> :func:`figures`."""

_CASES = [(plane, point) for point in POINTS for plane in ("batch", "simpy")]


@pytest.fixture(scope="module")
def kernels_loaded() -> Iterator[None]:
    warm_up()
    yield
    if _MEASURED:
        print("\n" + markdown_tables(_MEASURED))


def _store(benchmark, point: Point, plane: str, measured: dict[str, float]) -> None:
    _MEASURED.setdefault(point.label, {})[plane] = measured
    benchmark.extra_info.update(
        scaling_point=point.label, plane=plane, replicas=point.replicas, rate_per_s=point.rate,
        utilisation=round(point.utilisation, 3), requests=measured["requests"], seconds=measured["seconds"],
        requests_per_wall_second=round(measured["requests_per_wall_second"]),
        ns_per_request=round(measured["ns_per_request"], 1),
    )
    print(f"\n{plane} {point.label}: {measured['requests']:,} requests in {measured['seconds']:.2f} s, "
          f"{measured['requests_per_wall_second']:,.0f} requests per wall-second, "
          f"{measured['ns_per_request']:,.0f} ns per request")


def _batch(benchmark, point: Point) -> None:
    """About 2 M requests at ``point``, no strategy; from the mid-range point up, held to its cost per request.

    Below the mid-range point the fixed costs per slice and per traffic block
    show (the table has the figures); they are not asserted on.
    """
    scenario = steady_scenario(point, point.horizon(BATCH_REQUESTS))
    result = benchmark.pedantic(run_steady, args=(scenario,), rounds=2, iterations=1)
    measured = figures(result.requests, benchmark.stats.stats.min)
    _store(benchmark, point, "batch", measured)
    middle = _MIDDLE[point.sweep]
    if point.replicas > middle.replicas and "batch" in _MEASURED.get(middle.label, {}):
        ratio = measured["ns_per_request"] / _MEASURED[middle.label]["batch"]["ns_per_request"]
        benchmark.extra_info["cost_over_middle"] = round(ratio, 2)
        print(f"cost per request at {point.label} / at {middle.label}: {ratio:.2f}")
        assert ratio <= FLAT_WITHIN, (point.label, middle.label, ratio)


def _simpy(benchmark, point: Point) -> None:
    """50 k requests of ``point``'s workload, one simpy process each; the batch plane must be well ahead."""
    outcome = benchmark.pedantic(simulate_per_request, args=simpy_workload(point), rounds=1, iterations=1)
    measured = figures(int(outcome["requests"]), benchmark.stats.stats.min)
    _store(benchmark, point, "simpy", measured)
    batch = _MEASURED[point.label].get("batch")
    if batch is None:
        return
    ratio = batch["requests_per_wall_second"] / measured["requests_per_wall_second"]
    least = AHEAD_OF_SIMPY_AT_10_PER_S if point.rate == 10.0 else AHEAD_OF_SIMPY
    benchmark.extra_info["batch_over_simpy"] = round(ratio, 1)
    print(f"batch plane / per-request simpy at {point.label}: {ratio:.0f}x")
    assert ratio >= least, (point.label, ratio)


@pytest.mark.parametrize(("plane", "point"), _CASES, ids=[f"{plane}-{point.label}" for plane, point in _CASES])
def test_steady_workload(benchmark, kernels_loaded: None, plane: str, point: Point) -> None:
    """One point of a sweep through the batch data plane, or through the per-request simpy model."""
    if plane == "batch":
        _batch(benchmark, point)
    else:
        _simpy(benchmark, point)
