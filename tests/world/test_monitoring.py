"""Monitoring windows: scrape alignment, delay, outages, staleness, histogram quantiles, the mean's variance."""

from __future__ import annotations

import numpy as np
import pytest
import statsmodels.api as sm

from simulator.world.metrics import FinishedRequests, MetricStore, Status, histogram_quantiles
from simulator.world.monitoring import MonitoringView, interval_mean_variance


def store_with_requests(times: np.ndarray, latency: float | np.ndarray = 0.05,
                        label_delay: float = 0.0) -> MetricStore:
    """Requests of ``v1`` that end at ``times`` (seconds) after ``latency`` (seconds), scraped every 15 s."""
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


def correlated_latencies(seed: int, n: int = 900, horizon: float = 600.0) -> tuple[np.ndarray, np.ndarray]:
    """End times (s) and latencies (s) whose level drifts slowly, as a queue's does: neighbours are alike."""
    rng = np.random.default_rng(seed)
    times = np.sort(rng.uniform(0.0, horizon, n))
    latency = rng.lognormal(np.log(0.05), 0.5, n) * (1 + 0.5 * np.sin(times / 20.0))
    return times, latency


def clustered_variance(latency: np.ndarray, groups: np.ndarray) -> tuple[float, float]:
    """The mean and its variance from statsmodels: OLS on a constant, errors clustered by ``groups``."""
    fit = sm.OLS(latency, np.ones(len(latency))).fit(cov_type="cluster", cov_kwds={"groups": groups})
    return float(fit.params[0]), float(fit.bse[0]) ** 2


def test_mean_latency_variance_is_the_cluster_robust_one_by_scrape_interval() -> None:
    """Against statsmodels' cluster-robust variance (intervals as clusters), and larger than the naive one.

    Kills a variance without the small-sample factor k / (k - 1), one over requests instead of intervals,
    and intervals counted with their empty ones.
    """
    times, latency = correlated_latencies(3)
    times = times[(times < 200) | (times > 260)]  # three empty intervals, 210-255 s
    latency = latency[: len(times)]
    stats = MonitoringView(store_with_requests(times, latency).series, now=600.0, delay=0.0,
                           outages=[]).window("v1", 600.0)
    groups = np.floor(times / 15.0)
    mean, variance = clustered_variance(latency, groups)
    assert stats.latency_mean == pytest.approx(mean, rel=1e-12)
    assert stats.latency_mean_variance == pytest.approx(variance, rel=1e-9)
    assert stats.latency_intervals == len(np.unique(groups)) == 37
    assert stats.latency_std is not None
    assert stats.latency_mean_variance > 2 * stats.latency_std**2 / stats.latency_samples


def test_a_lost_scrape_joins_the_intervals_on_either_side() -> None:
    """Scrapes at 300 s and 315 s are lost: the monitoring stack sees 285-330 s as one interval."""
    times, latency = correlated_latencies(4)
    view = MonitoringView(store_with_requests(times, latency).series, now=600.0, delay=0.0,
                          outages=[(300.0, 330.0)])
    stats = view.window("v1", 600.0)
    bins = np.floor(times / 15.0)
    groups = np.where((bins >= 19) & (bins <= 21), 19, bins)
    assert stats.latency_mean_variance == pytest.approx(clustered_variance(latency, groups)[1], rel=1e-9)
    assert stats.latency_intervals == 38


def test_one_interval_gives_no_variance() -> None:
    stats = MonitoringView(store_with_requests(np.arange(0.5, 15.0, 0.5)).series, now=15.0, delay=0.0,
                           outages=[]).window("v1", 15.0)
    assert stats.latency_samples == 29 and stats.latency_intervals == 1 and stats.latency_mean_variance is None
    assert interval_mean_variance(np.array([0, 4, 0]), np.array([0.0, 0.2, 0.0])) == (None, 1)
