"""The series a Prometheus would have scraped from a run's monitoring counters.

Each version's pods expose, and Prometheus scrapes every ``bin_seconds``
(at the end of each bin of the run's
:class:`~simulator.world.metrics.MonitoringSeries`), cumulative counters:

* ``http_requests_total{namespace, service, version, status}``, status
  ``200``, ``500`` (model or dependency error, or a crash), ``503`` (no
  ready replica) and ``504`` (client timeout);
* ``http_request_duration_seconds_bucket{namespace, service, version, le}``
  with ``_sum`` and ``_count``, over the requests that reached a replica
  (latency as the client saw it, seconds);
* ``model_predictions_total{namespace, service, version, result}``, result
  ``correct`` or ``wrong``, counted when the ground-truth label arrives;
* ``model_shadow_comparisons_total{namespace, service, version, result}``,
  result ``agree`` or ``disagree``, for mirrored copies compared with
  production;
* Istio's ``istio_requests_total`` and
  ``istio_request_duration_milliseconds_bucket``/``_sum``/``_count`` with
  ``reporter`` (``destination``: requests that reached a pod; ``source``:
  every request, the 503s of a version without ready pods included),
  ``destination_service`` (the Service's cluster host name),
  ``destination_service_name``, ``destination_service_namespace``,
  ``destination_workload``, ``destination_workload_namespace``,
  ``destination_version`` and, on the request counter, ``response_code``.

A version sits behind the Kubernetes Services the caller names; its pods'
counters appear once per Service (``service`` or ``destination_service_name``
differs), as endpoint discovery scrapes a pod once per Service that selects
it. A series appears at the first scrape after its first increment, as a
client library creates a labelled child on first use and a proxy a
response-code series on the first such response; with
``initialise_labels=True`` every series of a version appears together at its
first scrape with traffic, at zero where nothing was counted yet (a client
library's advice to initialise known label values). A scrape that falls in a
metrics outage ``[start, end)`` is missing, as the monitoring view has it.

This module reads the counters through :class:`MonitoringCounters` (the
attributes of a ``MonitoringSeries``) so the evaluator needs nothing of the
world.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Protocol

import numpy as np

from simulator.prometheus.labels import METRIC_NAME, LabelMatcher, labels_of
from simulator.prometheus.series import MetricFamily, MetricType, Series, sample_names

__all__ = ["MonitoringCounters", "MonitoringSource", "METRIC_FAMILIES", "format_bound"]

HTTP_REQUESTS = "http_requests"
HTTP_DURATION = "http_request_duration_seconds"
MODEL_PREDICTIONS = "model_predictions"
SHADOW_COMPARISONS = "model_shadow_comparisons"
ISTIO_REQUESTS = "istio_requests"
ISTIO_DURATION = "istio_request_duration_milliseconds"

METRIC_FAMILIES: dict[str, tuple[MetricType, str]] = {
    HTTP_REQUESTS: ("counter", "Requests by HTTP status code."),
    HTTP_DURATION: ("histogram", "Request latency as the client saw it, seconds."),
    MODEL_PREDICTIONS: ("counter", "Predictions whose ground-truth label arrived, by result."),
    SHADOW_COMPARISONS: ("counter", "Mirrored predictions compared with production, by result."),
    ISTIO_REQUESTS: ("counter", "Requests by response code, as the mesh's proxies report them."),
    ISTIO_DURATION: ("histogram", "Request duration as the mesh's proxies report it, milliseconds."),
}
"""Every family the source exposes: name -> (OpenMetrics type, help text)."""

_REPORTERS = ("destination", "source")


class MonitoringCounters(Protocol):
    """The counters of a run this module reads (a :class:`~simulator.world.metrics.MonitoringSeries`).

    Arrays are indexed ``[bin, version]``; bin ``k`` covers
    ``[k * bin_seconds, (k + 1) * bin_seconds)`` seconds.
    """

    @property
    def versions(self) -> list[str]: ...
    @property
    def bin_seconds(self) -> float: ...
    @property
    def n_bins(self) -> int: ...
    @property
    def bucket_bounds(self) -> np.ndarray: ...
    @property
    def RESPONSE_CODES(self) -> tuple[str, ...]: ...  # noqa: N802 (the attribute's name)
    @property
    def requests(self) -> np.ndarray: ...
    @property
    def responses(self) -> np.ndarray: ...
    @property
    def histogram(self) -> np.ndarray: ...
    @property
    def latency_sum(self) -> np.ndarray: ...
    @property
    def labelled(self) -> np.ndarray: ...
    @property
    def labelled_correct(self) -> np.ndarray: ...
    @property
    def shadow_compared(self) -> np.ndarray: ...
    @property
    def shadow_disagreements(self) -> np.ndarray: ...


def format_bound(bound: float) -> str:
    """An ``le`` label value: the shortest decimal that reads back to the same float, ``+Inf`` for infinity."""
    if bound == float("inf"):
        return "+Inf"
    text = repr(float(bound))
    return text[:-2] if text.endswith(".0") else text


def _cumulative(per_bin: np.ndarray) -> np.ndarray:
    """Counter values at scrapes ``0 .. n_bins`` from per-bin increments (first axis): zero at scrape 0."""
    values = np.zeros((per_bin.shape[0] + 1, *per_bin.shape[1:]), dtype=np.float64)
    np.cumsum(per_bin, axis=0, out=values[1:])
    return values


def _first_positive(values: np.ndarray) -> int | None:
    """Index of the first positive value, or ``None``."""
    found = np.flatnonzero(values > 0)
    return int(found[0]) if len(found) else None


class MonitoringSource:
    """The series of a run, built on demand from its monitoring counters (a :class:`SeriesSource`).

    ``services`` maps a version to the Kubernetes Services in front of it
    (default: one Service named after each version); versions left out are
    not exposed. ``workloads`` maps a version to its Deployment name, Istio's
    ``destination_workload`` (default: the version's name). ``outages`` are
    ``(start, end)`` seconds in which scrapes fail. The counters may still
    be filling (a run in progress): each call reads them afresh, up to the
    time asked for.
    """

    def __init__(
        self,
        counters: MonitoringCounters,
        services: Mapping[str, Sequence[str]] | None = None,
        *,
        namespace: str = "default",
        workloads: Mapping[str, str] | None = None,
        outages: Sequence[tuple[float, float]] = (),
        initialise_labels: bool = False,
    ) -> None:
        versions = list(counters.versions)
        services = {version: [version] for version in versions} if services is None else services
        for version, names in services.items():
            if version not in versions:
                raise ValueError(f"services name version {version!r}, not in the run; expected one of "
                                 f"{', '.join(versions)}")
            if isinstance(names, str):
                raise ValueError(f"services of {version!r} is the string {names!r}; expected a list of names")
            if len(set(names)) != len(names) or not all(names):
                raise ValueError(f"services of {version!r} are {list(names)!r}; expected distinct, non-empty names")
        for version in workloads or {}:
            if version not in versions:
                raise ValueError(f"workloads name version {version!r}, not in the run; expected one of "
                                 f"{', '.join(versions)}")
        if not namespace:
            raise ValueError("namespace is empty; expected a Kubernetes namespace name")
        self.counters = counters
        self.services = {version: tuple(names) for version, names in services.items()}
        self.namespace = namespace
        self.workloads = {version: (workloads or {}).get(version, version) for version in versions}
        self.outages = tuple((float(start), float(end)) for start, end in outages)
        self.initialise_labels = initialise_labels
        self._builders: dict[str, Callable[[np.ndarray], list[Series]]] = {
            HTTP_REQUESTS: self._http_requests,
            HTTP_DURATION: self._http_duration,
            MODEL_PREDICTIONS: self._predictions,
            SHADOW_COMPARISONS: self._shadow,
            ISTIO_REQUESTS: self._istio_requests,
            ISTIO_DURATION: self._istio_duration,
        }

    # -- the SeriesSource interface -------------------------------------------

    def select(self, matchers: Sequence[LabelMatcher], until: int) -> list[Series]:
        """Series satisfying every matcher, with their samples up to ``until`` (milliseconds)."""
        names = [m for m in matchers if m.name == METRIC_NAME]
        scrapes = self.scrapes(until)
        found: list[Series] = []
        for family, (kind, _) in METRIC_FAMILIES.items():
            # Build only the families whose sample names the query can select.
            if any(all(m.matches(name) for m in names) for name in sample_names(family, kind)):
                found.extend(series for series in self._builders[family](scrapes)
                             if all(m.selects(series.labels) for m in matchers))
        return sorted(found, key=lambda s: s.labels)

    def families(self, until: float | None = None) -> list[MetricFamily]:
        """Every family with its series up to ``until`` seconds (default: every bin of the counters)."""
        until_ms = int(self.scrape_ms(self.counters.n_bins)) if until is None else int(round(until * 1000))
        scrapes = self.scrapes(until_ms)
        return [MetricFamily(name, kind, help_text, tuple(self._builders[name](scrapes)))
                for name, (kind, help_text) in METRIC_FAMILIES.items()]

    # -- scrapes ----------------------------------------------------------------

    def scrape_ms(self, k: int | np.ndarray) -> np.ndarray:
        """Timestamp (milliseconds) of scrape ``k``, taken at ``k * bin_seconds``."""
        return np.round(np.asarray(k) * self.counters.bin_seconds * 1000).astype(np.int64)

    def scrapes(self, until: int) -> np.ndarray:
        """Indices of the scrapes taken at or before ``until`` (ms) and not lost to an outage."""
        every = np.arange(self.counters.n_bins + 1)
        times = self.scrape_ms(every)
        kept = times <= until
        seconds = every * self.counters.bin_seconds
        for start, end in self.outages:
            kept &= ~((seconds >= start) & (seconds < end))
        return every[kept]

    # -- families ---------------------------------------------------------------

    def _version_start(self, index: int) -> int | None:
        """First scrape that sees traffic of version ``index``."""
        return _first_positive(_cumulative(self.counters.requests[:, index]))

    def _start(self, index: int, values: np.ndarray) -> int | None:
        """First scrape of a series whose values at every scrape are ``values``."""
        if self.initialise_labels:
            return self._version_start(index)
        return _first_positive(values)

    def _series(self, labels: dict[str, str], values: np.ndarray, start: int | None,
                scrapes: np.ndarray) -> Series | None:
        if start is None:
            return None
        chosen = scrapes[scrapes >= start]
        if len(chosen) == 0:
            return None
        return Series(labels_of(labels), self.scrape_ms(chosen), values[chosen])

    def _counter(self, scrapes: np.ndarray, family: str, per_bin: Callable[[int], np.ndarray], label: str,
                 label_values: Sequence[str], labels: Callable[[str, str], dict[str, str]]) -> list[Series]:
        """Series of a counter family: per version, ``per_bin(index)`` is ``[bin, label value]`` increments."""
        found = []
        for version, services in self.services.items():
            index = self.counters.versions.index(version)
            values = _cumulative(per_bin(index))
            for column, label_value in enumerate(label_values):
                start = self._start(index, values[:, column])
                for service in services:
                    series = self._series({METRIC_NAME: f"{family}_total", **labels(version, service),
                                           label: label_value}, values[:, column], start, scrapes)
                    if series is not None:
                        found.append(series)
        return found

    def _histogram(self, scrapes: np.ndarray, family: str, scale: float,
                   labels: Callable[[str, str], dict[str, str]]) -> list[Series]:
        """Series of a latency histogram family; ``scale`` converts seconds to the family's unit."""
        counters = self.counters
        bounds = [format_bound(bound * scale) for bound in counters.bucket_bounds] + ["+Inf"]
        found = []
        for version, services in self.services.items():
            index = counters.versions.index(version)
            buckets = np.cumsum(_cumulative(counters.histogram[:, index, :].astype(np.int64)), axis=1)
            count = buckets[:, -1]
            total = _cumulative(counters.latency_sum[:, index]) * scale
            start = self._start(index, count)
            for service in services:
                common = labels(version, service)
                for column, bound in enumerate(bounds):
                    series = self._series({METRIC_NAME: f"{family}_bucket", **common, "le": bound},
                                          buckets[:, column], start, scrapes)
                    if series is not None:
                        found.append(series)
                for suffix, values in (("_sum", total), ("_count", count)):
                    series = self._series({METRIC_NAME: family + suffix, **common}, values, start, scrapes)
                    if series is not None:
                        found.append(series)
        return found

    def _app_labels(self, version: str, service: str) -> dict[str, str]:
        return {"namespace": self.namespace, "service": service, "version": version}

    def _istio_labels(self, reporter: str) -> Callable[[str, str], dict[str, str]]:
        def labels(version: str, service: str) -> dict[str, str]:
            return {
                "reporter": reporter,
                "destination_service": f"{service}.{self.namespace}.svc.cluster.local",
                "destination_service_name": service,
                "destination_service_namespace": self.namespace,
                "destination_workload": self.workloads[version],
                "destination_workload_namespace": self.namespace,
                "destination_version": version,
            }
        return labels

    def _http_requests(self, scrapes: np.ndarray) -> list[Series]:
        counters = self.counters
        return self._counter(scrapes, HTTP_REQUESTS, lambda index: counters.responses[:, index, :], "status",
                             counters.RESPONSE_CODES, self._app_labels)

    def _http_duration(self, scrapes: np.ndarray) -> list[Series]:
        return self._histogram(scrapes, HTTP_DURATION, 1.0, self._app_labels)

    def _predictions(self, scrapes: np.ndarray) -> list[Series]:
        counters = self.counters

        def per_bin(index: int) -> np.ndarray:
            correct = counters.labelled_correct[:, index]
            return np.stack([correct, counters.labelled[:, index] - correct], axis=1)

        return self._counter(scrapes, MODEL_PREDICTIONS, per_bin, "result", ("correct", "wrong"), self._app_labels)

    def _shadow(self, scrapes: np.ndarray) -> list[Series]:
        counters = self.counters

        def per_bin(index: int) -> np.ndarray:
            disagree = counters.shadow_disagreements[:, index]
            return np.stack([counters.shadow_compared[:, index] - disagree, disagree], axis=1)

        return self._counter(scrapes, SHADOW_COMPARISONS, per_bin, "result", ("agree", "disagree"), self._app_labels)

    def _istio_requests(self, scrapes: np.ndarray) -> list[Series]:
        counters = self.counters
        codes = list(counters.RESPONSE_CODES)
        # A request no pod received (503, no ready replica) is reported by the client's proxy only.
        received = [code for code in codes if code != "503"]
        columns = [codes.index(code) for code in received]
        return (
            self._counter(scrapes, ISTIO_REQUESTS, lambda index: counters.responses[:, index, :], "response_code",
                          codes, self._istio_labels("source"))
            + self._counter(scrapes, ISTIO_REQUESTS, lambda index: counters.responses[:, index, columns],
                            "response_code", received, self._istio_labels("destination"))
        )

    def _istio_duration(self, scrapes: np.ndarray) -> list[Series]:
        found = []
        for reporter in _REPORTERS:
            found += self._histogram(scrapes, ISTIO_DURATION, 1000.0, self._istio_labels(reporter))
        return found
