"""Load per bin: time split at bin edges, busy slot-seconds, queue waits, the servers' counters, slot-seconds.

Every figure is checked against a plain loop over requests and bins, written
from the definitions, not from the vectorised code.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simulator.world.load import seconds_in_bins
from simulator.world.metrics import FinishedRequests, MetricStore, Status

BIN = 15.0


def overlap(start: float, end: float, k: int, bin_seconds: float = BIN) -> float:
    """Seconds of ``[start, end)`` inside bin ``k``."""
    return max(0.0, min(end, (k + 1) * bin_seconds) - max(start, k * bin_seconds))


@settings(max_examples=200, deadline=None)
@given(
    intervals=st.lists(st.tuples(st.floats(-20, 200), st.floats(-5, 80), st.floats(0, 3), st.integers(0, 2)),
                       min_size=1, max_size=40),
    bin_seconds=st.sampled_from([0.5, 1.0, 15.0]),
    n_bins=st.integers(1, 30),
)
def test_seconds_in_bins_is_the_overlap_of_each_interval_with_each_bin(intervals, bin_seconds, n_bins) -> None:
    start = np.array([a for a, _, _, _ in intervals])
    end = start + np.array([d for _, d, _, _ in intervals])
    weight = np.array([w for _, _, w, _ in intervals])
    key = np.array([k for _, _, _, k in intervals])
    low, sums = seconds_in_bins(start, end, weight, key, bin_seconds=bin_seconds, n_bins=n_bins, n_keys=3)
    got = np.zeros((n_bins, 3))
    got[low:low + len(sums)] += sums
    expected = np.zeros((n_bins, 3))
    for s, e, w, k in zip(start, end, weight, key, strict=True):
        for b in range(n_bins):
            expected[b, k] += w * overlap(s, e, b, bin_seconds)
    np.testing.assert_allclose(got, expected, atol=1e-9)


def requests(rng: np.random.Generator, n: int, served_only: bool = False) -> FinishedRequests:
    """Requests of every outcome on two versions, services from 10 ms to 40 s (many cross bin edges).

    ``served_only``: every request served in time (the common case, booked another way).
    """
    arrival = np.sort(rng.uniform(0.0, 300.0, n))
    status = rng.choice([Status.OK, Status.TIMEOUT_QUEUED, Status.TIMEOUT_SERVING, Status.DROPPED, Status.CRASHED],
                        size=n, p=[1.0, 0, 0, 0, 0] if served_only else [0.7, 0.05, 0.1, 0.05, 0.1])
    wait = rng.exponential(2.0, n)
    service = rng.choice([0.01, 0.5, 5.0, 40.0], size=n) * rng.uniform(0.5, 1.5, n)
    start = arrival + wait
    service_end = start + service
    client_end = service_end.copy()
    given_up = status == Status.TIMEOUT_SERVING
    client_end[given_up] = start[given_up] + service[given_up] * rng.uniform(0.0, 1.0, given_up.sum())
    queued = status == Status.TIMEOUT_QUEUED
    start[queued] = client_end[queued] = arrival[queued] + 10.0
    dropped = status == Status.DROPPED
    start[dropped] = client_end[dropped] = arrival[dropped]
    crashed = status == Status.CRASHED
    crash = arrival[crashed] + rng.uniform(0.0, 8.0, crashed.sum())  # some in service, some still queued
    client_end[crashed] = crash
    service_end[crashed] = np.minimum(service_end[crashed], crash)
    n_false = np.zeros(n, dtype=bool)
    return FinishedRequests(
        arrival=arrival, version=rng.integers(0, 2, n), status=status, start=start, client_end=client_end,
        error=n_false, correct=~n_false, labelled=n_false, user=np.zeros(n, dtype=np.int64), service_end=service_end,
    )


def pick(done: FinishedRequests, rows: np.ndarray) -> FinishedRequests:
    return FinishedRequests(**{name: getattr(done, name)[rows] for name in (
        "arrival", "version", "status", "start", "client_end", "error", "correct", "labelled", "user",
        "service_end")})


@pytest.mark.parametrize("served_only", [False, True])
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_busy_time_queue_waits_and_counters_follow_their_definitions(seed: int, served_only: bool) -> None:
    rng = np.random.default_rng(seed)
    done = requests(rng, 600, served_only)
    ended_at = 280.0
    store = MetricStore(["v1", "v2"], bin_seconds=BIN, horizon=400.0, label_delay=0.0)
    order = rng.permutation(len(done.arrival))
    chunks = np.array_split(order, 5)
    for index, rows in enumerate(chunks):
        if index == len(chunks) - 1:
            store.close(ended_at)  # the last chunk is recorded when the run ends
        store.record(pick(done, np.sort(rows)))
    last_chunk = set(chunks[-1].tolist())

    shape = (store.n_bins, 2)
    busy, wait, started = np.zeros(shape), np.zeros(shape), np.zeros(shape)
    service_seconds, queue_wait_seconds, services = np.zeros(shape), np.zeros(shape), np.zeros(shape)
    for i in range(len(done.arrival)):
        status, version = done.status[i], done.version[i]
        start, end = done.start[i], done.service_end[i]
        in_service = status in (Status.OK, Status.TIMEOUT_SERVING) or (status == Status.CRASHED and end > start)
        if in_service:
            busy_end = min(end, ended_at) if i in last_chunk else end
            for b in range(store.n_bins):
                busy[b, version] += overlap(start, busy_end, b)
        if status in (Status.OK, Status.TIMEOUT_SERVING):
            b = int(start // BIN)
            wait[b, version] += start - done.arrival[i]
            started[b, version] += 1
            b = int(end // BIN)  # a server counts a service when it ends
            service_seconds[b, version] += end - start
            queue_wait_seconds[b, version] += start - done.arrival[i]
            services[b, version] += 1
    assert (started > 0).sum() > 10 and (busy > 0).sum() > 20  # the case is not trivial
    np.testing.assert_allclose(store.busy_seconds, busy, atol=1e-9)
    np.testing.assert_allclose(store.queue_wait_by_start, wait, atol=1e-9)
    np.testing.assert_array_equal(store.started_by_start, started)
    series = store.series
    np.testing.assert_allclose(series.service_seconds, service_seconds, atol=1e-9)
    np.testing.assert_allclose(series.queue_wait_seconds, queue_wait_seconds, atol=1e-9)
    np.testing.assert_array_equal(series.services, services)


def test_slot_seconds_integrate_readiness_over_each_bin() -> None:
    store = MetricStore(["v1", "v2"], bin_seconds=BIN, horizon=120.0, label_delay=0.0)
    changes = [(0, 0.0, 8), (1, 20.0, 2), (0, 31.0, 6), (1, 47.5, 0), (1, 50.0, 4), (0, 90.0, 0)]
    for version, time, slots in changes:
        store.record_slots(version, time, slots)

    def slots_at(version: int, t: float) -> float:
        current = 0.0
        for v, time, slots in changes:
            if v == version and time <= t:
                current = slots
        return current

    until = 100.0
    expected = np.zeros((store.n_bins, 2))
    step = 0.0005  # midpoint rule, exact for a step function whose changes fall on the grid
    grid = np.arange(step / 2, until, step)
    for version in (0, 1):
        values = np.array([slots_at(version, t) for t in grid])
        np.add.at(expected[:, version], (grid // BIN).astype(int), values * step)
    got = store.series.slot_seconds_until(until)
    np.testing.assert_allclose(got, expected, atol=1e-6)
    # A window's slot-seconds include the stretch since the last change.
    assert store.series.slot_seconds_in(1, 3, 6) == pytest.approx(expected[3:6, 1].sum())
    assert store.series.slot_seconds_in(1, 2, 4) == pytest.approx(expected[2:4, 1].sum())


def test_utilisation_totals_stop_where_the_run_ended() -> None:
    store = MetricStore(["v1"], bin_seconds=BIN, horizon=120.0, label_delay=0.0)
    store.record_slots(0, 0.0, 2)
    n = 4
    store.close(37.5)  # mid-bin
    store.record(FinishedRequests(
        arrival=np.zeros(n), version=np.zeros(n, dtype=np.int64), status=np.full(n, Status.OK),
        start=np.array([0.0, 10.0, 30.0, 36.0]), client_end=np.array([5.0, 20.0, 40.0, 50.0]),
        error=np.zeros(n, dtype=bool), correct=np.ones(n, dtype=bool), labelled=np.zeros(n, dtype=bool),
        user=np.zeros(n, dtype=np.int64), service_end=np.array([5.0, 20.0, 40.0, 50.0]),
    ))
    busy, slots = store.load_totals(0)
    assert busy == pytest.approx(5.0 + 10.0 + 7.5 + 1.5)
    assert slots == pytest.approx(2 * 37.5)
