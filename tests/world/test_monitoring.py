"""Monitoring windows: scrape alignment, delay, outages, staleness, histogram quantiles."""

from __future__ import annotations

import numpy as np
import pytest

from simulator.world.metrics import FinishedRequests, MetricStore, Status, histogram_quantiles
from simulator.world.monitoring import MonitoringView


def store_with_requests(times: np.ndarray, latency: float = 0.05, label_delay: float = 0.0) -> MetricStore:
    store = MetricStore(["v1", "v2"], bin_seconds=15.0, horizon=3600.0, label_delay=label_delay)
    n = len(times)
    store.record(FinishedRequests(
        arrival=times - latency, version=np.zeros(n, dtype=np.int64), status=np.full(n, Status.OK),
        start=times - latency, client_end=times, error=np.zeros(n, dtype=bool),
        correct=np.ones(n, dtype=bool), labelled=np.ones(n, dtype=bool), user=np.zeros(n, dtype=np.int64),
    ))
    return store


def test_window_counts_requests_between_delivered_scrapes() -> None:
    store = store_with_requests(np.arange(0.5, 600.0, 1.0))  # one request a second
    view = MonitoringView(store.series, now=300.0, delay=0.0, outages=[])
    stats = view.window("v1", 60.0)
    assert (stats.start, stats.end) == (240.0, 300.0)
    assert stats.requests == 60
    assert view.window("v2", 60.0).requests == 0


def test_delay_shifts_what_is_visible() -> None:
    store = store_with_requests(np.arange(0.5, 600.0, 1.0))
    stats = MonitoringView(store.series, now=300.0, delay=30.0, outages=[]).window("v1", 60.0)
    assert (stats.start, stats.end) == (210.0, 270.0)
    assert stats.staleness == 0.0


def test_outage_makes_data_stale_then_counters_catch_up() -> None:
    store = store_with_requests(np.arange(0.5, 900.0, 1.0))
    during = MonitoringView(store.series, now=400.0, delay=0.0, outages=[(300.0, 420.0)]).window("v1", 60.0)
    assert during.staleness == pytest.approx(115.0)  # newest delivered scrape is at 285 s
    after = MonitoringView(store.series, now=480.0, delay=0.0, outages=[(300.0, 420.0)]).window("v1", 300.0)
    assert (after.start, after.end) == (180.0, 480.0)
    assert after.requests == 300  # cumulative counters lose nothing


def test_no_data_before_two_scrapes() -> None:
    store = store_with_requests(np.arange(0.5, 60.0, 1.0))
    assert not MonitoringView(store.series, now=10.0, delay=0.0, outages=[]).window("v1", 60.0).has_data


def test_labels_arrive_late() -> None:
    store = store_with_requests(np.arange(0.5, 600.0, 1.0), label_delay=120.0)
    view = MonitoringView(store.series, now=180.0, delay=0.0, outages=[])
    stats = view.window("v1", 180.0)
    assert stats.requests == 180 and stats.labelled == 60  # only labels of the first minute arrived


@pytest.mark.parametrize("q", [0.5, 0.9, 0.99])
def test_histogram_quantile_is_close_to_the_sample_quantile(q: float) -> None:
    rng = np.random.default_rng(0)
    latencies = rng.lognormal(np.log(0.04), 0.6, 200_000)
    store = MetricStore(["v1"], bin_seconds=15.0, horizon=60.0, label_delay=0.0)
    n = len(latencies)
    store.record(FinishedRequests(
        arrival=np.zeros(n), version=np.zeros(n, dtype=np.int64), status=np.full(n, Status.OK),
        start=np.zeros(n), client_end=latencies, error=np.zeros(n, dtype=bool),
        correct=np.ones(n, dtype=bool), labelled=np.zeros(n, dtype=bool), user=np.zeros(n, dtype=np.int64),
    ))
    estimate = float(store.series.quantiles(store.series.histogram[:, 0].sum(axis=0), q))
    assert estimate == pytest.approx(np.quantile(latencies, q), rel=0.05)  # buckets grow by 20 %
    assert store.latency_quantile_exact(0, q) == pytest.approx(np.quantile(latencies, q), rel=0.005)


def _prometheus_histogram_quantile(counts: list[int], bounds: list[float], q: float) -> float:
    """Prometheus' histogram_quantile for one histogram, written out by its documented rule."""
    total = sum(counts)
    if total == 0:
        return float("nan")
    rank = q * total
    cumulative = 0
    for bucket, count in enumerate(counts):
        if cumulative + count >= rank:
            if bucket >= len(bounds):  # the +Inf bucket: the highest finite bound
                return bounds[-1]
            lower = bounds[bucket - 1] if bucket else 0.0
            return lower + (bounds[bucket] - lower) * (rank - cumulative) / count if count else bounds[bucket]
        cumulative += count
    return bounds[-1]


@pytest.mark.parametrize("q", [0.01, 0.5, 0.9, 0.99, 1.0])
def test_vectorised_histogram_quantiles_follow_prometheus_row_by_row(q: float) -> None:
    rng = np.random.default_rng(5)
    bounds = np.array([0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0])
    counts = rng.poisson(rng.uniform(0, 30, size=(40, 1)), size=(40, len(bounds) + 1))
    counts[3] = 0  # an empty interval
    counts[7, :-1], counts[7, -1] = 0, 5  # everything in the +Inf bucket
    counts[11] = 0
    counts[11, 0] = 1  # a single request
    got = histogram_quantiles(counts, bounds, q)
    expected = [_prometheus_histogram_quantile(list(row), list(bounds), q) for row in counts]
    np.testing.assert_allclose(got, expected, rtol=0, atol=0, equal_nan=True)
    assert np.isnan(got[3]) and got[7] == bounds[-1]
