"""Counters a monitoring stack would keep, and the truth kept apart from them.

:class:`MetricStore` accumulates finished requests into two separate objects:

* :class:`MonitoringSeries`, what a monitoring stack keeps: per
  scrape-interval bin and version, request and failure counts, a latency
  histogram with exponential buckets (as a Prometheus histogram), latency
  sums, label counts binned by the time the label *arrives*, shadow
  comparisons, and experiment logs of users. Strategies read it only through
  :class:`simulator.world.monitoring.MonitoringView`, which applies scrape
  timing, delay and outages, and which is handed this object alone.
* the truth, on the store itself: per version exact totals, a fine latency
  histogram (0.5 % wide bins), and the true accuracy of answered requests,
  for the run result and timelines only.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

__all__ = ["MetricStore", "MonitoringSeries", "FinishedRequests", "Status", "VersionTotals", "histogram_quantiles"]


class Status:
    """Request outcome codes used by the data planes."""

    OK = 0
    """Served within the timeout (the model may still have returned an error)."""
    TIMEOUT_QUEUED = 1
    """Waited in a replica's queue until the client timeout, never served."""
    TIMEOUT_SERVING = 2
    """Started, but not finished within the client timeout."""
    DROPPED = 3
    """No ready replica of the routed version (HTTP 503)."""
    CRASHED = 4
    """In flight on a replica that crashed."""


@dataclass(slots=True)
class FinishedRequests:
    """Requests whose outcome is final, as parallel arrays.

    Times in seconds. ``error`` marks model/dependency errors of served
    requests; ``correct`` and ``labelled`` apply to successful responses.
    """

    arrival: np.ndarray
    version: np.ndarray
    status: np.ndarray
    start: np.ndarray
    client_end: np.ndarray
    error: np.ndarray
    correct: np.ndarray
    labelled: np.ndarray
    user: np.ndarray
    shadow: np.ndarray | None = None
    compared: np.ndarray | None = None
    disagrees: np.ndarray | None = None
    true_accuracy: np.ndarray | None = None
    baseline_failed: np.ndarray | None = None
    baseline_correct: np.ndarray | None = None


_REQUEST_FIELDS = (
    "arrival", "version", "status", "start", "client_end", "error", "correct", "labelled", "user",
    "shadow", "compared", "disagrees", "true_accuracy", "baseline_failed", "baseline_correct",
)

_FINE_BINS_PER_DECADE = 200
_FINE_LOW = 1e-6
_FINE_DECADES = 10  # 1 µs .. 10^4 s


@dataclass
class VersionTotals:
    """Exact per-version totals of a run."""

    requests: int = 0
    failed_requests: int = 0
    errors: int = 0
    timed_out: int = 0
    dropped: int = 0
    crashed: int = 0
    responded: int = 0
    latency_sum_s: float = 0.0
    started: int = 0
    queue_wait_sum_s: float = 0.0
    correct_predictions: int = 0
    wrong_predictions: int = 0
    excess_failed: int = 0
    excess_wrong: int = 0
    slow_requests: int = 0


def histogram_quantiles(counts: np.ndarray, bounds: np.ndarray, q: float) -> np.ndarray:
    """Prometheus-style ``histogram_quantile`` of each row of bucket ``counts``, seconds.

    ``counts`` has buckets on its last axis (``len(bounds) + 1`` of them, the
    last one +Inf); ``bounds`` are the buckets' upper bounds in seconds. Rows
    without any count give NaN. Linear interpolation inside the bucket that
    holds rank ``q x total``; a rank in the +Inf bucket gives the highest bound.
    """
    counts = np.asarray(counts)
    flat = counts.reshape(-1, counts.shape[-1])
    total = flat.sum(axis=1)
    result = np.full(len(flat), np.nan)
    rows = np.flatnonzero(total > 0)
    if len(rows):
        cumulative = np.cumsum(flat[rows], axis=1)
        rank = q * total[rows]
        index = (cumulative < rank[:, None]).sum(axis=1)  # first bucket whose cumulative count reaches the rank
        overflow = index >= len(bounds)
        inside = np.minimum(index, len(bounds) - 1)
        picked = np.arange(len(rows))
        below = np.where(index > 0, cumulative[picked, np.maximum(index - 1, 0)], 0)
        lower = np.where(index > 0, bounds[np.maximum(inside - 1, 0)], 0.0)
        upper = bounds[inside]
        in_bucket = flat[rows][picked, np.minimum(index, flat.shape[1] - 1)]
        with np.errstate(invalid="ignore", divide="ignore"):
            value = np.where(in_bucket > 0, lower + (upper - lower) * (rank - below) / in_bucket, upper)
        result[rows] = np.where(overflow, bounds[-1], value)
    return result.reshape(counts.shape[:-1])


class MonitoringSeries:
    """What a monitoring stack keeps: counters per scrape-interval bin and version, nothing exact.

    Arrays are indexed ``[bin, version]`` (``histogram`` also by bucket); bin
    ``k`` covers ``[k * bin_seconds, (k + 1) * bin_seconds)`` by the time a
    request ended (a label: the time it arrived).
    """

    def __init__(self, versions: list[str], bin_seconds: float, n_bins: int, bucket_factor: float, users: int) -> None:
        self.versions = list(versions)
        self.bin_seconds = float(bin_seconds)
        self.n_bins = n_bins
        n_versions = len(versions)
        # Histogram buckets: upper bounds 0.5 ms * factor^k up to >= 300 s, then +Inf.
        n_buckets = int(math.ceil(math.log(300.0 / 0.0005) / math.log(bucket_factor))) + 1
        self.bucket_bounds = 0.0005 * bucket_factor ** np.arange(n_buckets)
        self.n_buckets = n_buckets + 1
        self._log_low = math.log(0.0005)
        self._log_factor = math.log(bucket_factor)
        shape = (n_bins, n_versions)
        self.requests = np.zeros(shape, dtype=np.int64)
        self.failed = np.zeros(shape, dtype=np.int64)
        self.latency_sum = np.zeros(shape)
        self.latency_sum_squares = np.zeros(shape)
        # Time each user last got a response from each version (experiment logs), seconds; -inf if never.
        self.user_last_seen = np.full((n_versions, users), -np.inf)
        self.histogram = np.zeros((n_bins, n_versions, self.n_buckets), dtype=np.int32)
        self.labelled = np.zeros(shape, dtype=np.int64)
        self.labelled_correct = np.zeros(shape, dtype=np.int64)
        # Shadow copies compared with production, and how many disagreed (binned by the copy's end).
        self.shadow_compared = np.zeros(shape, dtype=np.int64)
        self.shadow_disagreements = np.zeros(shape, dtype=np.int64)

    def quantiles(self, histograms: np.ndarray, q: float) -> np.ndarray:
        """``histogram_quantile`` of each histogram (buckets on the last axis), seconds; NaN where empty."""
        return histogram_quantiles(histograms, self.bucket_bounds, q)

    def add(self, bins: np.ndarray, version: np.ndarray, failed: np.ndarray, latency: np.ndarray,
            reached: np.ndarray) -> None:
        """Count requests (and their latency, where they reached a replica) in their bins."""
        n_versions = len(self.versions)
        low, high = int(bins.min()), int(bins.max()) + 1
        span = high - low
        flat = (bins - low) * n_versions + version
        size = span * n_versions
        self.requests[low:high] += np.bincount(flat, minlength=size).reshape(span, n_versions)
        self.failed[low:high] += np.bincount(flat[failed], minlength=size).reshape(span, n_versions)
        self.latency_sum[low:high] += np.bincount(
            flat[reached], weights=latency[reached], minlength=size
        ).reshape(span, n_versions)
        self.latency_sum_squares[low:high] += np.bincount(
            flat[reached], weights=latency[reached] ** 2, minlength=size
        ).reshape(span, n_versions)
        bucket = self._bucket_index(latency[reached])
        hist_flat = flat[reached] * self.n_buckets + bucket
        self.histogram[low:high] += np.bincount(
            hist_flat, minlength=size * self.n_buckets
        ).reshape(span, n_versions, self.n_buckets).astype(np.int32)

    RESPONSE_CODES = ("200", "500", "503", "504")
    """HTTP status codes of :attr:`responses` (see :meth:`add_responses`)."""

    def add_labels(self, label_bins: np.ndarray, version: np.ndarray, correct: np.ndarray) -> None:
        """Count labels in the bins of their arrival."""
        n_versions = len(self.versions)
        flat = label_bins * n_versions + version
        size = self.n_bins * n_versions
        self.labelled += np.bincount(flat, minlength=size).reshape(self.n_bins, n_versions)
        self.labelled_correct += np.bincount(
            flat, weights=correct, minlength=size
        ).reshape(self.n_bins, n_versions).astype(np.int64)

    def add_shadow(self, flat: np.ndarray, compared: np.ndarray, disagrees: np.ndarray) -> None:
        """Count compared and disagreeing shadow copies (``flat`` = bin x versions + version)."""
        n_versions = len(self.versions)
        size = self.n_bins * n_versions
        # Requests by the HTTP status their client saw: [bin, version, index in RESPONSE_CODES].
        self.responses = np.zeros((n_bins, n_versions, len(self.RESPONSE_CODES)), dtype=np.int64)
        self.shadow_compared += np.bincount(flat[compared], minlength=size).reshape(self.n_bins, n_versions)
        self.shadow_disagreements += np.bincount(flat[disagrees], minlength=size).reshape(self.n_bins, n_versions)

    def _bucket_index(self, latency: np.ndarray) -> np.ndarray:
        # Bucket k holds latencies in (bound[k-1], bound[k]]; the last is +Inf.
        with np.errstate(divide="ignore"):
            raw = np.ceil((np.log(np.maximum(latency, 1e-12)) - self._log_low) / self._log_factor - 1e-9)
        return np.clip(raw, 0, self.n_buckets - 1).astype(np.int64)


class MetricStore:
    """Monitoring series (:attr:`series`) and the exact truth of a run, for every version."""

    def __init__(
        self,
        versions: list[str],
        bin_seconds: float,
        horizon: float,
        label_delay: float,
        bucket_factor: float = 1.2,
        users: int = 100_000,
        slow_above: float | None = None,
    ) -> None:
        self.versions = list(versions)
        self.slow_above = slow_above  # requests answered slower than this (seconds) count as slow
        self.bin_seconds = float(bin_seconds)
        self.label_delay = float(label_delay)
        n_versions = len(versions)
        self.n_bins = int(math.ceil((horizon + label_delay) / bin_seconds)) + 2
        self.series = MonitoringSeries(versions, bin_seconds, self.n_bins, bucket_factor, users)
        shape = (self.n_bins, n_versions)
        # Sum of the true accuracy of answered user requests: the truth, for timelines only.
        self.true_accuracy_sum = np.zeros(shape)
        self.answered = np.zeros(shape, dtype=np.int64)
        self.shadow_counts = {name: np.zeros(n_versions, dtype=np.int64)
                              for name in ("requests", "failed_requests", "compared", "disagreements")}
        self._counts = {
            name: np.zeros(n_versions, dtype=np.int64)
            for name in ("requests", "failed_requests", "errors", "timed_out", "dropped", "crashed", "responded",
                         "started", "correct_predictions", "wrong_predictions", "excess_failed", "excess_wrong",
                         "slow_requests")
        }
        self._sums = {name: np.zeros(n_versions) for name in ("latency_sum_s", "queue_wait_sum_s")}
        self.fine_histogram = np.zeros((n_versions, _FINE_BINS_PER_DECADE * _FINE_DECADES + 2), dtype=np.int64)

    # -- recording ---------------------------------------------------------

    def record(self, done: FinishedRequests) -> None:
        """Add finished requests to the monitoring series and the totals.

        Shadow copies count in the monitoring series of the version that served
        them (its own deployment's metrics, labels included) but not in the
        run's user-visible totals; they are counted apart in ``shadow_counts``.
        """
        if len(done.arrival) == 0:
            return
        n_versions = len(self.versions)
        latency = done.client_end - done.arrival
    def add_responses(self, bins: np.ndarray, version: np.ndarray, status: np.ndarray, error: np.ndarray) -> None:
        """Count requests by the HTTP status their client saw (:attr:`RESPONSE_CODES`), in their bins.

        200: served in time without error; 500: a model or dependency error, or a crash of the replica serving
        it; 503: no ready replica of the routed version (dropped); 504: the client timed out, queued or in
        service. Every request counts once, so the codes other than 200 add up to ``failed``.
        """
        code = np.zeros(len(status), dtype=np.int64)
        code[((status == Status.OK) & error) | (status == Status.CRASHED)] = 1
        code[status == Status.DROPPED] = 2
        code[(status == Status.TIMEOUT_QUEUED) | (status == Status.TIMEOUT_SERVING)] = 3
        n_versions, n_codes = len(self.versions), len(self.RESPONSE_CODES)
        low, high = int(bins.min()), int(bins.max()) + 1
        flat = ((bins - low) * n_versions + version) * n_codes + code
        self.responses[low:high] += np.bincount(
            flat, minlength=(high - low) * n_versions * n_codes
        ).reshape(high - low, n_versions, n_codes)

        reached = done.status != Status.DROPPED
        failed = (done.status != Status.OK) | done.error
        responded = done.status == Status.OK
        bins = np.minimum((done.client_end / self.bin_seconds).astype(np.int64), self.n_bins - 1)
        self.series.add(bins, done.version, failed, latency, reached)
        self.series.add_responses(bins, done.version, done.status, done.error)
        self._add_labels(done, responded & ~done.error & done.labelled)
        if done.shadow is not None and done.shadow.any():
            self._record_shadow(done, bins, failed)
            user = ~done.shadow
            if not user.any():
                return
            kept = {name: getattr(done, name) for name in ("true_accuracy", "baseline_failed", "baseline_correct")}
            done = FinishedRequests(*(getattr(done, name)[user] for name in _REQUEST_FIELDS[:9]))
            for name, values in kept.items():
                setattr(done, name, None if values is None else values[user])
            latency, failed, responded, bins = latency[user], failed[user], responded[user], bins[user]
        version, status = done.version, done.status
        self.series.user_last_seen[version, done.user] = done.client_end
        success = responded & ~done.error
        if done.true_accuracy is not None and success.any():
            flat = bins[success] * n_versions + version[success]
            size = self.n_bins * n_versions
            self.answered += np.bincount(flat, minlength=size).reshape(self.n_bins, n_versions)
            self.true_accuracy_sum += np.bincount(
                flat, weights=done.true_accuracy[success], minlength=size
            ).reshape(self.n_bins, n_versions)

        started = (status == Status.OK) | (status == Status.TIMEOUT_SERVING)
        timed_out = (status == Status.TIMEOUT_QUEUED) | (status == Status.TIMEOUT_SERVING)

        def count(mask: np.ndarray) -> np.ndarray:
            return np.bincount(version[mask], minlength=n_versions)

        def total(values: np.ndarray, mask: np.ndarray) -> np.ndarray:
            return np.bincount(version[mask], weights=values[mask], minlength=n_versions)

        counts = self._counts
        counts["requests"] += np.bincount(version, minlength=n_versions)
        failed_by_version = count(failed)
        counts["failed_requests"] += failed_by_version
        counts["errors"] += count(done.error & responded)
        counts["timed_out"] += count(timed_out)
        counts["dropped"] += count(status == Status.DROPPED)
        counts["crashed"] += count(status == Status.CRASHED)
        counts["responded"] += count(responded)
        counts["started"] += count(started)
        counts["correct_predictions"] += count(success & done.correct)
        wrong_by_version = count(success & ~done.correct)
        counts["wrong_predictions"] += wrong_by_version
        if done.baseline_failed is not None and done.baseline_correct is not None:
            # Against what the baseline version would have done with the same draws on the same requests.
            counts["excess_failed"] += failed_by_version - count(done.baseline_failed)
            counts["excess_wrong"] += wrong_by_version - count(success & ~done.baseline_correct)
        if self.slow_above is not None:
            counts["slow_requests"] += count(responded & (latency > self.slow_above))
        self._sums["latency_sum_s"] += total(latency, responded)
        self._sums["queue_wait_sum_s"] += total(done.start - done.arrival, started)
        fine = self._fine_index(latency[responded])
        flat = version[responded] * self.fine_histogram.shape[1] + fine
        self.fine_histogram += np.bincount(flat, minlength=self.fine_histogram.size).reshape(
            self.fine_histogram.shape
        )

    @property
    def totals(self) -> list[VersionTotals]:
        """Exact totals per version (in the order of ``versions``)."""
        totals = []
        for index in range(len(self.versions)):
            figures: dict[str, int | float] = {name: int(values[index]) for name, values in self._counts.items()}
            figures.update({name: float(values[index]) for name, values in self._sums.items()})
            totals.append(VersionTotals(**figures))  # type: ignore[arg-type]
        return totals

    def _add_labels(self, done: FinishedRequests, labelled: np.ndarray) -> None:
        """Labels arrive ``label_delay`` after the response; bin them by arrival time."""
        if not labelled.any():
            return
        label_bins = np.minimum(
            ((done.client_end[labelled] + self.label_delay) / self.bin_seconds).astype(np.int64), self.n_bins - 1
        )
        self.series.add_labels(label_bins, done.version[labelled], done.correct[labelled])

    def _record_shadow(self, done: FinishedRequests, bins: np.ndarray, failed: np.ndarray) -> None:
        assert done.shadow is not None and done.compared is not None and done.disagrees is not None
        n_versions = len(self.versions)
        shadow = done.shadow
        version = done.version[shadow]
        counts = self.shadow_counts
        counts["requests"] += np.bincount(version, minlength=n_versions)
        counts["failed_requests"] += np.bincount(version[failed[shadow]], minlength=n_versions)
        compared, disagrees = done.compared[shadow], done.disagrees[shadow]
        counts["compared"] += np.bincount(version[compared], minlength=n_versions)
        counts["disagreements"] += np.bincount(version[disagrees], minlength=n_versions)
        self.series.add_shadow(bins[shadow] * n_versions + version, compared, disagrees)

    def _fine_index(self, latency: np.ndarray) -> np.ndarray:
        with np.errstate(divide="ignore"):
            raw = np.floor((np.log10(np.maximum(latency, 1e-12)) - math.log10(_FINE_LOW)) * _FINE_BINS_PER_DECADE) + 1
        return np.clip(raw, 0, self.fine_histogram.shape[1] - 1).astype(np.int64)

    # -- reading -----------------------------------------------------------

    def latency_quantile_exact(self, version_index: int, q: float) -> float:
        """The ``q``-quantile of responded requests' latency over the run (0.5 % resolution), seconds."""
        counts = self.fine_histogram[version_index]
        total = counts.sum()
        if total == 0:
            return float("nan")
        cumulative = np.cumsum(counts)
        index = int(np.searchsorted(cumulative, q * total, side="left"))
        below = cumulative[index - 1] if index > 0 else 0
        fraction = (q * total - below) / max(counts[index], 1)
        lower = _FINE_LOW * 10 ** ((index - 1) / _FINE_BINS_PER_DECADE)
        upper = _FINE_LOW * 10 ** (index / _FINE_BINS_PER_DECADE)
        return float(lower + (upper - lower) * fraction)
