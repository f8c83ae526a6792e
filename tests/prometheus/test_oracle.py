"""The evaluator against a real Prometheus, on the series of a simulated run.

A run of ``scenarios/failures.yaml`` (crashes, a dependency outage, a metrics
outage, a latency fault) under its canary strategy is rendered as
OpenMetrics, together with hand-made series that reach the edge cases
(counter resets, a counter starting inside a window, irregular and ending
series, NaN and infinite gauges, odd histograms). ``promtool`` backfills a
TSDB from it, a ``prometheus`` server serves it on 127.0.0.1, and every query
below, at every time below, must give the same label sets and values (to
1e-9 relative; NaN matches NaN) as the evaluator, or fail in both.

Needs Debian's ``prometheus`` package (``prometheus`` and ``promtool``);
``.ci/run`` installs it. Without it the test skips and says so.
"""

from __future__ import annotations

import json
import math
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np
import pytest
import simpy

from simulator.driver import drive
from simulator.prometheus import (
    LabelMatcher,
    MetricFamily,
    MonitoringSource,
    QueryExecutionError,
    Series,
    SeriesSet,
    SimulatedPrometheus,
    render_openmetrics,
)
from simulator.prometheus.labels import labels_of
from simulator.result import Decision
from simulator.scenario import load_scenario
from simulator.strategies import make_strategy
from simulator.world.world import World
from tests.helpers import SCENARIOS

pytestmark = pytest.mark.slow

RUN_SECONDS = 2400
"""Simulated seconds of the run (the metrics outage is at 32-36 minutes)."""

SERVICES = {"v1": ["app-primary", "app"], "v2": ["app-canary", "app"]}
WORKLOADS = {"v1": "app-primary", "v2": "app"}

TIMES = (60.0, 300.0, 750.0, 1000.25, 1050.0, 1234.567, 1395.0, 1500.0, 1950.0, 2222.2, 2400.0)
"""Query times, simulated seconds: on and off the 15 s scrape grid, inside and after the metrics outage, and
exactly five minutes after the last sample of a series that ends (at 1095 s)."""

QUERIES = (
    # instant selectors, matchers, lookback, offset
    'http_requests_total{service="app-canary"}',
    'http_requests_total{service=~"app-.*", status!="200"}',
    'http_requests_total{status!~"2..", version="v2"} offset 5m',
    'oracle_requests_total',
    'oracle_requests_total offset 2m',
    # rate, irate, increase
    'rate(http_requests_total{service="app"}[1m])',
    'irate(http_requests_total{service="app"}[2m])',
    'increase(http_requests_total{service="app-canary"}[5m] offset 90s)',
    'rate(oracle_requests_total[5m])',
    'increase(oracle_requests_total[2m])',
    'irate(oracle_requests_total[1m])',
    'rate(oracle_requests_total[10m] offset 3m)',
    'increase(model_predictions_total[10m])',
    # aggregations
    'sum by (service) (rate(http_requests_total[5m]))',
    'sum without (status, namespace) (rate(http_requests_total[5m]))',
    'avg(rate(http_request_duration_seconds_count[5m]))',
    'min by (version) (rate(http_request_duration_seconds_sum[5m]))',
    'max without (le) (rate(istio_request_duration_milliseconds_bucket{reporter="source"}[3m]))',
    'count by (status) (http_requests_total)',
    'sum(oracle_gauge)', 'avg(oracle_gauge)', 'min(oracle_gauge)', 'max(oracle_gauge)', 'count(oracle_gauge)',
    'avg without (case) (oracle_gauge{case!~".*nan"})', 'avg(oracle_gauge{case=~"inf.*|small"})',
    'max(oracle_gauge{case=~"a-nan|neg|small"})', 'min(oracle_gauge{case=~".*nan|neg"})',
    # histogram_quantile
    'histogram_quantile(0.99, sum by (le, version) (rate(http_request_duration_seconds_bucket{service="app"}[5m])))',
    'histogram_quantile(0.5, rate(http_request_duration_seconds_bucket{service="app-canary"}[2m]))',
    'histogram_quantile(0.99, sum(rate(istio_request_duration_milliseconds_bucket{reporter="destination",'
    'destination_workload_namespace="default",destination_workload=~"app"}[1m])) by (le))',
    *(f'histogram_quantile({q}, oracle_buckets)' for q in ("0", "0.1", "0.5", "0.9", "1", "-0.5", "1.5", "NaN")),
    # arithmetic and comparisons between vectors
    'sum by (version) (rate(http_request_duration_seconds_sum[5m])) / '
    'sum by (version) (rate(http_request_duration_seconds_count[5m]))',
    'rate(http_requests_total{status="500"}[5m]) / ignoring(status) rate(http_requests_total{status="200"}[5m])',
    'sum(rate(istio_requests_total{reporter="destination",destination_workload_namespace="default",'
    'destination_workload=~"app",response_code!~"5.*"}[1m])) / sum(rate(istio_requests_total{reporter="destination",'
    'destination_workload_namespace="default",destination_workload=~"app"}[1m])) * 100',
    'sum(irate(istio_requests_total{reporter="source",destination_service=~"app-canary.default.svc.cluster.local",'
    'response_code!~"5.*"}[5m])) / sum(irate(istio_requests_total{reporter="source",'
    'destination_service=~"app-canary.default.svc.cluster.local"}[5m]))',
    'http_requests_total{status="200"} >= on(service, version) http_requests_total{status="500"}',
    'http_requests_total{status="200"} - on(service, version) http_requests_total{status="500"}',
    'http_requests_total{status="500"} > bool ignoring(status) http_requests_total{status="200"} / 100',
    'http_requests_total{service="app"} == http_requests_total{service="app"} offset 1m',
    'http_requests_total{service="app"} != bool http_requests_total{service="app"} offset 1m',
    '(http_requests_total{service="app"} - http_requests_total{service="app"} offset 1m) % 7 ^ 2',
    'oracle_gauge * on(case) oracle_gauge',
    # vector and scalar
    'oracle_gauge % 2', 'oracle_gauge ^ -1', '1 / oracle_gauge', '-oracle_gauge', 'oracle_gauge - -oracle_gauge',
    'oracle_gauge > bool 0', 'oracle_gauge != 0', '0 < oracle_gauge', '2 >= bool oracle_gauge',
    'oracle_gauge <= 0', 'oracle_gauge == -3.5',
    'rate(http_requests_total[5m]) > 0.5', 'http_requests_total > 100000', '100000 < http_requests_total',
    'sum(rate(http_requests_total{service="app-canary"}[5m])) > bool 1',
    'clamp_max(rate(http_requests_total{service="app"}[5m]), 10)', 'clamp_min(-rate(http_requests_total[5m]), -1)',
    'clamp_min(oracle_gauge, 0)', 'clamp_max(oracle_gauge, 0)',
    # scalars
    'scalar(sum(rate(http_requests_total{service="app-canary"}[5m])))', 'scalar(http_requests_total)',
    'vector(3) * 2', 'vector(scalar(sum(oracle_gauge{case="neg"}))) + 1',
    '2 ^ 3 ^ 2', '-(1 + 2) * 3 % 4', '10 / 0', '-10 / 0', '0 / 0', '1 > bool 2', '(1 + 2) == bool 3', '-2 ^ 2',
    'sum(model_predictions_total{result="correct"}) / sum(model_predictions_total)',
    # empty results
    'rate(no_such_metric_total[5m])', 'sum(no_such_metric)', 'scalar(no_such_metric)',
    'http_requests_total{status="200"} / on(service) no_such_metric',
)

FAILING = (
    '{__name__=~"oracle_gauge|oracle_gauge_copy"} * 1',
    'sum by (service) (rate(http_requests_total{status="200"}[5m])) / on(service) '
    'sum by (service, version) (rate(http_requests_total[5m]))',
    'sum by (service, version) (rate(http_requests_total[5m])) / on(service) '
    'sum by (service) (rate(http_requests_total{status="200"}[5m]))',
)
"""Queries Prometheus fails on this data (two series with one label set; ambiguous matching)."""


# -- the data -----------------------------------------------------------------------


def _series(name: str, labels: dict[str, str], seconds: Sequence[float], values: Sequence[float]) -> Series:
    stamps = np.round(np.asarray(seconds) * 1000).astype(np.int64)
    return Series(labels_of({"__name__": name, **labels}), stamps, np.asarray(values, dtype=float))


def synthetic_families() -> list[MetricFamily]:
    """Hand-made series for the edge cases a run seldom reaches."""
    grid = np.arange(0, RUN_SECONDS + 1, 15.0)
    steps = np.arange(len(grid)) * 10.0
    reset = np.where(grid < 1005, steps, steps - steps[grid >= 1005][0] + 3)
    reset = np.where(grid < 1500, reset, reset - reset[grid >= 1500][0])
    late = grid[grid >= 990]
    irregular = np.array([0, 15, 30, 100, 105, 400, 410, 700, 990, 1000, 1003, 1200, 1490, 1500, 1800, 2200, 2390])
    ended = grid[grid <= 1100]
    counters = (
        _series("oracle_requests_total", {"case": "reset"}, grid, reset),
        _series("oracle_requests_total", {"case": "late"}, late, 8 + 10.0 * np.arange(len(late))),
        _series("oracle_requests_total", {"case": "irregular"}, irregular, np.cumsum(np.arange(len(irregular)) ** 2)),
        _series("oracle_requests_total", {"case": "ended"}, ended, 5.0 * np.arange(len(ended)) + 1),
    )
    gauge_values = {"neg": -3.5, "zero": 0.0, "nan": math.nan, "big": 1e300, "inf": math.inf, "small": 2.5,
                    "a-nan": math.nan, "inf2": math.inf}
    gauges = tuple(_series("oracle_gauge", {"case": case}, grid, np.full(len(grid), value))
                   for case, value in gauge_values.items())
    copy = (_series("oracle_gauge_copy", {"case": "neg"}, grid, np.full(len(grid), -3.5)),)
    bucket_sets = {
        "normal": {"0.1": 10, "0.5": 30, "1": 40, "+Inf": 50},
        "noinf": {"1": 5, "2": 10},
        "empty": {"1": 0, "+Inf": 0},
        "oneinf": {"+Inf": 5},
        "top": {"1": 1, "2": 2, "+Inf": 100},
        "negative": {"-1": 5, "0": 10, "1": 20, "+Inf": 20},
        "nonmonotonic": {"1": 10, "2": 8, "3": 15, "+Inf": 15},
        "duplicate": {"1": 4, "1.0": 6, "2": 12, "+Inf": 12},
        "badle": {"abc": 3, "1": 2, "+Inf": 5},
    }
    buckets = tuple(_series("oracle_buckets", {"set": name, "le": le}, grid, np.full(len(grid), float(count)))
                    for name, counts in bucket_sets.items() for le, count in counts.items())
    return [
        MetricFamily("oracle_requests", "counter", "Hand-made counters.", counters),
        MetricFamily("oracle_gauge", "gauge", "Hand-made gauges.", gauges),
        MetricFamily("oracle_gauge_copy", "gauge", "A gauge with the labels of another.", copy),
        MetricFamily("oracle_buckets", "gauge", "Hand-made histogram buckets.", buckets),
    ]


def simulated_run() -> tuple[World, list[tuple[float, float]]]:
    """``failures.yaml`` under its canary strategy for :data:`RUN_SECONDS`; the world and its metrics outages."""
    scenario = load_scenario(SCENARIOS / "failures.yaml")
    env = simpy.Environment()
    world = World(scenario, scenario.seed, env)
    finished = env.event()
    env.process(drive(world, make_strategy(scenario.strategies["canary"]), "canary", scenario.stable,
                      scenario.candidate, Decision(), finished))
    env.run(until=RUN_SECONDS)
    world.finish()
    return world, list(world.faults.metrics_outages)


class _Both:
    """The run's series (built on demand, as during a run) and the hand-made ones, as one source."""

    def __init__(self, run: MonitoringSource, extra: SeriesSet) -> None:
        self.run = run
        self.extra = extra

    def select(self, matchers: Sequence[LabelMatcher], until: int) -> list[Series]:
        found = self.run.select(matchers, until) + self.extra.select(matchers, until)
        return sorted(found, key=lambda s: s.labels)


# -- the real server ---------------------------------------------------------------


@dataclass
class RealPrometheus:
    url: str
    epoch_ms: int

    def query(self, query: str, at: float) -> dict:
        stamp = (self.epoch_ms + int(round(at * 1000))) / 1000
        address = f"{self.url}/api/v1/query?" + urllib.parse.urlencode({"query": query, "time": f"{stamp:.3f}"})
        try:
            with urllib.request.urlopen(address, timeout=30) as response:
                return json.load(response)
        except urllib.error.HTTPError as error:
            return json.load(error)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Oracle:
    real: RealPrometheus
    simulated: SimulatedPrometheus
    seconds: dict[str, float]


@pytest.fixture(scope="module")
def oracle(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Oracle]:
    prometheus, promtool = shutil.which("prometheus"), shutil.which("promtool")
    if prometheus is None or promtool is None:
        pytest.skip("NO REAL PROMETHEUS: the PromQL oracle test needs `prometheus` and `promtool` on PATH "
                    "(Debian: apt-get install prometheus; .ci/run installs it) -- the evaluator is NOT checked")
    seconds: dict[str, float] = {}
    started = time.perf_counter()
    world, outages = simulated_run()
    seconds["simulate"] = time.perf_counter() - started
    source = MonitoringSource(world.store.series, SERVICES, workloads=WORKLOADS, outages=outages)
    extra = synthetic_families()
    # Two days back, on a whole hour: recent enough for any retention, far enough from the server's own clock.
    epoch = (int(time.time()) // 3600 - 48) * 3600
    folder = tmp_path_factory.mktemp("prometheus")
    started = time.perf_counter()
    (folder / "series.om").write_text(render_openmetrics([*source.families(until=RUN_SECONDS), *extra], epoch=epoch))
    seconds["render"] = time.perf_counter() - started
    started = time.perf_counter()
    backfill = subprocess.run([promtool, "tsdb", "create-blocks-from", "openmetrics", str(folder / "series.om"),
                               str(folder / "data")], capture_output=True, text=True, timeout=300)
    assert backfill.returncode == 0, backfill.stderr[-3000:]
    seconds["backfill"] = time.perf_counter() - started
    (folder / "prometheus.yml").write_text("global:\n  scrape_interval: 15s\n")
    port = _free_port()
    log = (folder / "prometheus.log").open("w")
    server = subprocess.Popen(
        [prometheus, f"--storage.tsdb.path={folder / 'data'}", f"--config.file={folder / 'prometheus.yml'}",
         f"--web.listen-address=127.0.0.1:{port}", "--storage.tsdb.retention.time=100y"],
        stdout=log, stderr=subprocess.STDOUT,
    )
    try:
        url = f"http://127.0.0.1:{port}"
        started = time.perf_counter()
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(f"{url}/-/ready", timeout=2) as response:
                    if response.status == 200:
                        break
            except (urllib.error.URLError, ConnectionError):
                pass
            assert server.poll() is None, (folder / "prometheus.log").read_text()[-3000:]
            assert time.monotonic() < deadline, "prometheus not ready after 120 s"
            time.sleep(0.2)
        seconds["server start"] = time.perf_counter() - started
        simulated = SimulatedPrometheus(_Both(source, SeriesSet(extra)))
        yield Oracle(RealPrometheus(url, epoch * 1000), simulated, seconds)
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()


# -- comparing -----------------------------------------------------------------------


def _number(text: str) -> float:
    return float(text)  # Prometheus writes NaN, +Inf and -Inf, which float() reads


def _relative(a: float, b: float) -> float:
    if math.isnan(a) or math.isnan(b):
        return 0.0 if math.isnan(a) and math.isnan(b) else math.inf
    if a == b:
        return 0.0
    if math.isinf(a) or math.isinf(b):
        return math.inf
    return abs(a - b) / max(abs(a), abs(b))


def _real_values(answer: dict) -> tuple[str, dict[frozenset[tuple[str, str]], float]]:
    data = answer["data"]
    if data["resultType"] == "scalar":
        return "scalar", {frozenset(): _number(data["result"][1])}
    assert data["resultType"] == "vector", data["resultType"]
    return "vector", {frozenset(item["metric"].items()): _number(item["value"][1]) for item in data["result"]}


def test_the_evaluator_agrees_with_a_real_prometheus(oracle: Oracle) -> None:
    started = time.perf_counter()
    worst, compared, samples, empty = 0.0, 0, 0, 0
    disagreements: list[str] = []
    for query in QUERIES:
        for at in TIMES:
            answer = oracle.real.query(query, at)
            assert answer["status"] == "success", f"{query} at {at}: {answer}"
            kind, real = _real_values(answer)
            result = oracle.simulated.query(query, at)
            mine = {frozenset(sample.labels): sample.value for sample in result.samples}
            compared += 1
            samples += len(real)
            empty += not real
            if result.kind != kind or set(mine) != set(real):
                disagreements.append(f"{query} at {at}: {result.kind} {sorted(map(sorted, mine))} vs real "
                                     f"{kind} {sorted(map(sorted, real))}")
                continue
            for labels, value in real.items():
                difference = _relative(mine[labels], value)
                worst = max(worst, difference)
                if difference > 1e-9:
                    disagreements.append(f"{query} at {at} {dict(labels)}: {mine[labels]!r} vs real {value!r}")
    oracle.seconds["queries"] = time.perf_counter() - started
    print(f"\nPromQL oracle: {len(QUERIES)} queries x {len(TIMES)} times = {compared} comparisons, {samples} samples, "
          f"{empty} empty results; worst relative difference {worst:.3g}; seconds: "
          + ", ".join(f"{name} {value:.1f}" for name, value in oracle.seconds.items()))
    assert not disagreements, "\n".join(disagreements[:40])
    assert samples > 5 * compared / 2, "too few samples compared for the oracle to mean much"
    assert empty < compared / 4


@pytest.mark.parametrize("query", FAILING)
def test_queries_prometheus_fails_fail_here_too(oracle: Oracle, query: str) -> None:
    for at in (750.0, 1500.0):
        answer = oracle.real.query(query, at)
        assert answer["status"] == "error", answer
        with pytest.raises(QueryExecutionError):
            oracle.simulated.query(query, at)
