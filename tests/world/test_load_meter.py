"""The autoscalers' load meter: exact means over a window, checked against a fine numerical integration."""

from __future__ import annotations

import numpy as np
import pytest

from simulator.world.load_meter import LoadMeter


def brute_force(arrival: np.ndarray, end: np.ndarray, start: float, stop: float, step: float = 1e-3) -> float:
    """Mean of the number of intervals [arrival, end) covering t, t on a fine grid of [start, stop)."""
    grid = np.arange(start, stop, step) + step / 2
    return float(((arrival[:, None] <= grid) & (grid < end[:, None])).sum(axis=0).mean())


def test_concurrency_rate_and_busy_share_match_integration_with_requests_still_in_flight() -> None:
    generator = np.random.default_rng(4)
    arrival = np.sort(generator.uniform(0.0, 20.0, 400))
    wait = generator.exponential(0.2, 400)
    service = generator.exponential(0.5, 400)
    start, service_end = arrival + wait, arrival + wait + service
    finished = service_end <= 20.0
    meter = LoadMeter(n_versions=2, horizon=30.0)
    meter.record(np.zeros(finished.sum(), dtype=np.int64), arrival[finished], service_end[finished],
                 start[finished], service_end[finished])
    still = {"arrival": arrival[~finished], "start": start[~finished], "service_end": service_end[~finished]}
    window = (14.0, 20.0)
    assert meter.concurrency(0, *window, still) == pytest.approx(
        brute_force(arrival, np.minimum(service_end, 20.0), *window), abs=2e-3)
    assert meter.busy(0, *window, still) == pytest.approx(
        brute_force(start, np.minimum(service_end, 20.0), *window), abs=2e-3)
    assert meter.rate(0, *window, still) == np.count_nonzero((arrival >= 14.0) & (arrival < 20.0)) / 6.0
    assert meter.concurrency(1, *window) == 0.0  # the other version had nothing


def test_pruning_keeps_every_request_a_window_of_the_horizon_can_see() -> None:
    meter = LoadMeter(n_versions=1, horizon=10.0)
    meter.record(np.zeros(3, dtype=np.int64), np.array([0.0, 5.0, 12.0]), np.array([1.0, 9.0, 13.0]),
                 np.array([0.0, 5.0, 12.0]), np.array([1.0, 9.0, 13.0]))
    before = meter.concurrency(0, 0.0, 20.0)
    meter.prune(now=20.0)  # keeps requests that ended at or after 10 s
    assert meter.concurrency(0, 10.0, 20.0) == pytest.approx(1.0 / 10.0)
    assert meter.concurrency(0, 0.0, 20.0) < before  # those before the horizon are gone
