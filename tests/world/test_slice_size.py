"""Slices hold a bounded number of requests at high rates, and where they end changes no outcome."""

from __future__ import annotations

import numpy as np
import pytest

from simulator import run
from simulator.scenario import parse_scenario
from simulator.world import dataplane


def heavy(rate: str = "5000/s") -> dict:
    return {
        "name": "heavy", "seed": 1, "horizon": "2m", "traffic": {"rate": rate},
        "service": {"replicas": 12, "concurrency": 4, "timeout": "2s"},
        "versions": {"v1": {"accuracy": 0.9, "latency": {"dist": "exponential", "mean": "5ms"}}},
        "stable": "v1",
    }


def test_a_slice_takes_at_most_about_its_share_of_requests(monkeypatch: pytest.MonkeyPatch) -> None:
    sizes: list[int] = []
    assign = dataplane.BatchDataPlane._assign

    def counting(plane, batch, bound=None):
        sizes.append(len(batch))
        return assign(plane, batch, bound)

    monkeypatch.setattr(dataplane, "SLICE_REQUESTS", 20_000)
    monkeypatch.setattr(dataplane.BatchDataPlane, "_assign", counting)
    result = run(parse_scenario(heavy()), None, 1)
    assert result.requests > 500_000
    assert len(sizes) >= 25 and max(sizes) < 20_000 * 1.05  # 5,000/s: a 60 s slice would hold 300,000


def test_where_slices_end_changes_no_outcome(monkeypatch: pytest.MonkeyPatch) -> None:
    scenario = parse_scenario(heavy())
    whole = run(scenario, None, 1)
    monkeypatch.setattr(dataplane, "SLICE_REQUESTS", 7_777)
    sliced = run(scenario, None, 1)
    assert sliced.requests == whole.requests and sliced.versions.keys() == whole.versions.keys()
    for name in whole.versions:
        first, second = whole.versions[name], sliced.versions[name]
        assert (first.requests, first.failed_requests, first.timed_out) == (
            second.requests, second.failed_requests, second.timed_out)
        assert first.latency_p99_s == second.latency_p99_s
        assert np.isclose(first.latency_mean_s, second.latency_mean_s, rtol=1e-12)
        assert np.isclose(first.queue_wait_mean_s, second.queue_wait_mean_s, rtol=1e-12)
