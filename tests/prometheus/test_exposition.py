"""The series a run's counters expose: names, labels, values, when each series appears, and outages."""

from __future__ import annotations

import math

import numpy as np
import pytest

from simulator.prometheus import LabelMatcher, MonitoringSource, SeriesSet, SimulatedPrometheus
from simulator.prometheus.exposition import format_bound
from simulator.prometheus.labels import labels_of
from simulator.world.metrics import FinishedRequests, MetricStore, Status

# (version, status, error, arrival s, end s, labelled, correct)
REQUESTS = [
    (0, Status.OK, False, 1.0, 1.05, True, True),           # v1 200, 50 ms, bin 0, a correct label
    (0, Status.OK, True, 2.0, 2.2, False, False),           # v1 500 (model error), bin 0
    (0, Status.TIMEOUT_QUEUED, False, 12.0, 13.0, False, False),   # v1 504, bin 1
    (0, Status.CRASHED, False, 14.0, 14.5, False, False),   # v1 500 (crash), bin 1
    (1, Status.DROPPED, False, 25.0, 25.0, False, False),   # v2 503, bin 2, reaches no replica
    (1, Status.OK, False, 31.0, 31.4, True, False),         # v2 200, bin 3, a wrong label
    (1, Status.TIMEOUT_SERVING, False, 32.0, 33.0, False, False),  # v2 504, bin 3
]
SERVICES = {"v1": ["stable", "all"], "v2": ["canary", "all"]}


@pytest.fixture(scope="module")
def store() -> MetricStore:
    store = MetricStore(["v1", "v2"], bin_seconds=10.0, horizon=60.0, label_delay=0.0, bucket_factor=2.0, users=10)
    columns = (np.array(column) for column in zip(*REQUESTS, strict=True))
    version, status, error, arrival, end, labelled, correct = columns
    store.record(FinishedRequests(
        arrival=arrival, version=version.astype(np.int64), status=status.astype(np.int64),
        start=arrival.copy(), client_end=end, error=error.astype(bool), correct=correct.astype(bool),
        labelled=labelled.astype(bool), user=np.zeros(len(REQUESTS), dtype=np.int64)))
    store.series.shadow_compared[3, 1] = 5
    store.series.shadow_disagreements[3, 1] = 2
    return store


def _samples(source: MonitoringSource, name: str, until: float = 80.0, **labels: str) -> dict[float, float]:
    """``{scrape seconds: value}`` of the one series named ``name`` with ``labels`` (``{}`` if none)."""
    matchers = [LabelMatcher("__name__", "=", name), *(LabelMatcher(k, "=", v) for k, v in labels.items())]
    found = source.select(matchers, int(until * 1000))
    assert len(found) <= 1, [series.labels for series in found]
    if not found:
        return {}
    return {stamp / 1000: value for stamp, value in zip(found[0].timestamps, found[0].values, strict=True)}


def test_every_request_gets_one_status_code(store: MetricStore) -> None:
    series = store.series
    codes = dict(zip(series.RESPONSE_CODES, range(4), strict=True))
    assert series.responses[:, 0].sum(axis=0).tolist() == [1, 2, 0, 1]
    assert series.responses[:, 1].sum(axis=0).tolist() == [1, 0, 1, 1]
    assert series.responses[1, 0, codes["504"]] == 1 and series.responses[2, 1, codes["503"]] == 1
    assert np.array_equal(series.responses.sum(axis=2), series.requests)
    assert np.array_equal(series.responses[:, :, 1:].sum(axis=2), series.failed)


def test_request_counters_appear_at_their_first_increment(store: MetricStore) -> None:
    source = MonitoringSource(store.series, SERVICES)
    assert _samples(source, "http_requests_total", service="stable", status="200") == {
        10.0: 1, 20.0: 1, 30.0: 1, 40.0: 1, 50.0: 1, 60.0: 1, 70.0: 1, 80.0: 1}
    assert list(_samples(source, "http_requests_total", service="stable", status="500").items())[:2] == [
        (10.0, 1), (20.0, 2)]
    assert next(iter(_samples(source, "http_requests_total", service="stable", status="504"))) == 20.0
    assert _samples(source, "http_requests_total", service="stable", status="503") == {}
    assert next(iter(_samples(source, "http_requests_total", service="canary", status="503").items())) == (30.0, 1)
    # The same pods behind a second Service: the same counters under another service label.
    assert _samples(source, "http_requests_total", service="all", version="v1", status="500") == _samples(
        source, "http_requests_total", service="stable", status="500")
    assert _samples(source, "http_requests_total", service="canary", version="v1") == {}


def test_initialised_labels_start_together_at_zero(store: MetricStore) -> None:
    source = MonitoringSource(store.series, SERVICES, initialise_labels=True)
    assert _samples(source, "http_requests_total", service="stable", status="504")[10.0] == 0
    assert set(_samples(source, "http_requests_total", service="stable", status="503").values()) == {0}
    assert next(iter(_samples(source, "http_requests_total", service="canary", status="200").items())) == (30.0, 0)
    assert _samples(source, "model_predictions_total", service="canary", result="correct")[30.0] == 0


def test_latency_histogram(store: MetricStore) -> None:
    source = MonitoringSource(store.series, SERVICES)
    bounds = store.series.bucket_bounds
    assert _samples(source, "http_request_duration_seconds_count", service="stable")[20.0] == 4
    assert _samples(source, "http_request_duration_seconds_sum", service="stable")[20.0] == pytest.approx(1.75)
    # 50 ms <= 64 ms; 200 ms <= 256 ms; 500 ms <= 512 ms; 1 s <= 1.024 s.
    assert bounds[7] == pytest.approx(0.064)
    expected = {6: 0, 7: 1, 9: 2, 10: 3, 11: 4}
    for index, count in expected.items():
        assert _samples(source, "http_request_duration_seconds_bucket", service="stable",
                        le=format_bound(bounds[index]))[20.0] == count
    assert _samples(source, "http_request_duration_seconds_bucket", service="stable", le="+Inf")[20.0] == 4
    # The dropped request never reached a replica: v2's histogram counts 2 of its 3 requests.
    assert _samples(source, "http_request_duration_seconds_count", service="canary") == {
        40.0: 2, 50.0: 2, 60.0: 2, 70.0: 2, 80.0: 2}


def test_predictions_and_shadow_comparisons(store: MetricStore) -> None:
    source = MonitoringSource(store.series, SERVICES)
    assert _samples(source, "model_predictions_total", service="stable", result="correct")[10.0] == 1
    assert _samples(source, "model_predictions_total", service="stable", result="wrong") == {}
    assert next(iter(_samples(source, "model_predictions_total", service="canary", result="wrong"))) == 40.0
    assert _samples(source, "model_shadow_comparisons_total", service="canary", result="agree")[40.0] == 3
    assert _samples(source, "model_shadow_comparisons_total", service="canary", result="disagree")[40.0] == 2


def test_istio_aliases(store: MetricStore) -> None:
    source = MonitoringSource(store.series, SERVICES, workloads={"v1": "app-primary", "v2": "app"}, namespace="prod")
    found = source.select([LabelMatcher("__name__", "=", "istio_requests_total"),
                           LabelMatcher("destination_service_name", "=", "canary")], 80_000)
    assert {(dict(s.labels)["reporter"], dict(s.labels)["response_code"]) for s in found} == {
        ("destination", "200"), ("destination", "504"), ("source", "200"), ("source", "503"), ("source", "504")}
    labels = dict(found[0].labels)
    assert labels["destination_workload"] == "app" and labels["destination_version"] == "v2"
    assert labels["destination_service"] == "canary.prod.svc.cluster.local"
    assert labels["destination_workload_namespace"] == labels["destination_service_namespace"] == "prod"
    assert _samples(source, "istio_request_duration_milliseconds_sum", reporter="destination",
                    destination_service_name="stable")[20.0] == pytest.approx(1750.0)
    assert _samples(source, "istio_request_duration_milliseconds_bucket", reporter="destination",
                    destination_service_name="stable", le=format_bound(store.series.bucket_bounds[7] * 1000))[
        20.0] == 1


def test_scrapes_lost_in_an_outage_and_samples_after_until_are_left_out(store: MetricStore) -> None:
    source = MonitoringSource(store.series, SERVICES, outages=[(15.0, 35.0)])
    assert list(_samples(source, "http_requests_total", service="stable", status="500")) == [10.0, 40.0, 50.0, 60.0,
                                                                                             70.0, 80.0]
    assert list(_samples(source, "http_requests_total", until=45.0, service="stable", status="500")) == [10.0, 40.0]


def test_building_on_demand_equals_the_families(store: MetricStore) -> None:
    source = MonitoringSource(store.series, SERVICES)
    fixed = SeriesSet(source.families(until=50.0))
    for matchers in ([LabelMatcher("__name__", "=~", ".+")],
                     [LabelMatcher("__name__", "=~", "http_.*"), LabelMatcher("status", "!=", "200")],
                     [LabelMatcher("reporter", "=", "source")]):
        live, frozen = source.select(matchers, 50_000), fixed.select(matchers, 50_000)
        assert [s.labels for s in live] == [s.labels for s in frozen] and len(live) > 0
        for a, b in zip(live, frozen, strict=True):
            assert np.array_equal(a.timestamps, b.timestamps) and np.array_equal(a.values, b.values)


def test_querying_a_run(store: MetricStore) -> None:
    prometheus = SimulatedPrometheus.from_monitoring(store.series, SERVICES)
    result = prometheus.query('sum by (status) (http_requests_total{service="all"})', 60.0)
    assert {sample.metric["status"]: sample.value for sample in result.samples} == {
        "200": 2.0, "500": 2.0, "503": 1.0, "504": 2.0}
    ratio = prometheus.query('sum(http_requests_total{service="canary", status!="200"}) / '
                             'sum(http_requests_total{service="canary"})', 60.0)
    assert ratio.values == [pytest.approx(2 / 3)]
    assert prometheus.query('http_requests_total{service="canary"}', 25.0).empty  # nothing scraped yet
    # The same selector twice, the earlier time first: each sees the samples up to its own time.
    both = prometheus.query('http_requests_total{service="stable", status="500"} offset 45s '
                            '- on() http_requests_total{service="stable", status="500"}', 60.0)
    assert both.values == [1.0 - 2.0]
    assert math.isnan(prometheus.query('histogram_quantile(0.5, http_request_duration_seconds_bucket{'
                                       'service="stable"} - http_request_duration_seconds_bucket{service="stable"})',
                                       60.0).values[0])


def test_a_run_still_filling_is_read_afresh() -> None:
    store = MetricStore(["v1"], bin_seconds=10.0, horizon=60.0, label_delay=0.0, bucket_factor=2.0, users=1)
    prometheus = SimulatedPrometheus.from_monitoring(store.series)
    assert prometheus.query("http_requests_total", 30.0).empty
    store.series.responses[1, 0, 0] += 7
    store.series.requests[1, 0] += 7
    assert prometheus.query("http_requests_total", 30.0).samples[0].labels == labels_of(
        {"__name__": "http_requests_total", "namespace": "default", "service": "v1", "version": "v1", "status": "200"})
    assert prometheus.query("http_requests_total", 30.0).values == [7.0]


@pytest.mark.parametrize(("services", "workloads", "message"), [
    ({"v3": ["x"]}, None, "version 'v3', not in the run"),
    ({"v1": "x"}, None, "expected a list of names"),
    ({"v1": ["x", "x"]}, None, "expected distinct, non-empty names"),
    ({"v1": [""]}, None, "expected distinct, non-empty names"),
    (None, {"v9": "w"}, "workloads name version 'v9'"),
])
def test_bad_service_maps_are_refused(store: MetricStore, services, workloads, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        MonitoringSource(store.series, services, workloads=workloads)
