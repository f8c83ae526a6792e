"""Counters a monitoring stack would keep, and the truth kept apart from them.

:class:`MetricStore` accumulates finished requests into two separate objects:

* :class:`MonitoringSeries`, what a monitoring stack keeps: per
  scrape-interval bin and version, request and failure counts, a latency
  histogram with exponential buckets (as a Prometheus histogram), latency
  sums, label counts binned by the time the label *arrives*, shadow
  comparisons, experiment logs of users, and the load counters a model
  server and the cluster expose (service and queue-wait seconds of completed
  services, binned by the service's end; slot-seconds from replica
  readiness). Strategies read it only through
  :class:`simulator.world.monitoring.MonitoringView`, which applies scrape
  timing, delay and outages, and which is handed this object alone.
* the truth, on the store itself: per version exact totals, a fine latency
  histogram (0.5 % wide bins), the true accuracy of answered requests, and
  exact busy slot-seconds and queue waits per bin, for the run result and
  timelines only.

**Load.** A request occupies one slot of its replica from ``start`` to its
service's end: ``client_end`` for a request served in time, ``start`` plus
its full service time for one whose client gave up while it was served
(the replica finishes the work), the crash for one in service when its
replica crashed, and no time at all for one that never started (timed out
in the queue, dropped, or lost in the queue to a crash). The truth splits
each such interval exactly at bin edges (:attr:`MetricStore.busy_seconds`);
utilisation is busy seconds over slot-seconds of the same bin. Every request
a version's replicas served counts, mirrored (shadow) copies included, since
they take slots too.

**Requests that are no user's.** Mirrored (shadow) copies and synthetic
requests (a load test's) count in the monitoring series of the version that
served them, as its own metrics would, but in none of the run's user
figures (totals, harm, experiment logs, true accuracy); each kind is
counted apart (:attr:`MetricStore.shadow_counts`,
:attr:`MetricStore.synthetic_counts`), and the synthetic ones also per bin
(:attr:`MetricStore.synthetic_series`), so that figures of user traffic read
from the series can leave them out.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np

from simulator.world.load import seconds_in_bins
from simulator.world.tally import TOTAL_COUNTS, TOTAL_SUMS, tally_chunk

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
    ``service_end`` is when the replica's slot was freed, for requests that
    started service (see the module's *Load*); without it, ``client_end``
    stands in, which cuts the service of a request whose client gave up
    short at the client timeout. ``synthetic`` marks the requests of a load
    test (no user's).
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
    service_end: np.ndarray | None = None
    synthetic: np.ndarray | None = None


_REQUEST_FIELDS = (
    "arrival", "version", "status", "start", "client_end", "error", "correct", "labelled", "user",
    "shadow", "compared", "disagrees", "true_accuracy", "baseline_failed", "baseline_correct", "service_end",
    "synthetic",
)

SETTLE_AFTER = 1_000_000
"""Requests kept aside for the truth of load (about 0.3 % of all) after which they are settled at once, so
memory stays bounded on a long horizon; below it, they are settled when the truth is first read."""

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


class BinnedRequests(NamedTuple):
    """Requests as :meth:`MonitoringSeries.add` counted them: in bins ``low .. high - 1`` by their end.

    ``flat`` is each request's index ``(bin - low) x versions + version``;
    ``requests`` and ``latency_sum`` (seconds, over the requests that reached
    a replica) are per ``[bin - low, version]``.
    """

    low: int
    high: int
    flat: np.ndarray
    requests: np.ndarray
    latency_sum: np.ndarray


class MonitoringSeries:
    """What a monitoring stack keeps: counters per scrape-interval bin and version, nothing exact.

    Arrays are indexed ``[bin, version]`` (``histogram`` also by bucket); bin
    ``k`` covers ``[k * bin_seconds, (k + 1) * bin_seconds)`` by the time a
    request ended (a label: the time it arrived).

    The load counters are what a model server exports (its compute and queue
    duration counters) and what the cluster reports of readiness:
    ``service_seconds``, ``queue_wait_seconds`` and ``services`` add up, for
    each service that completed (served in time, or finished after its
    client gave up), its service time and its queue wait (seconds), in the
    bin of the service's end, as a counter is incremented when the work is
    done; a crash loses the counts of the work in flight. ``slot_seconds``
    integrates ready replicas x concurrency over each bin (the readiness gauge
    averaged over time), up to each version's last readiness change; the
    stretch since then is added when read (:meth:`slot_seconds_in`,
    :meth:`slot_seconds_until`). Utilisation over a window is then service
    seconds over slot-seconds, as ``rate(service_seconds)`` over the slots.
    """

    RESPONSE_CODES = ("200", "500", "503", "504")
    """HTTP status codes of :attr:`responses` (see :meth:`add_responses`)."""

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
        # Requests by the HTTP status their client saw: [bin, version, index in RESPONSE_CODES].
        self.responses = np.zeros((n_bins, n_versions, len(self.RESPONSE_CODES)), dtype=np.int64)
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
        self.service_seconds = np.zeros(shape)
        self.queue_wait_seconds = np.zeros(shape)
        self.services = np.zeros(shape, dtype=np.int64)
        self.slot_seconds = np.zeros(shape)
        # Slots (ready replicas x concurrency) of each version now, and since when (seconds).
        self.slots = np.zeros(n_versions)
        self.slots_since = np.zeros(n_versions)

    def quantiles(self, histograms: np.ndarray, q: float) -> np.ndarray:
        """``histogram_quantile`` of each histogram (buckets on the last axis), seconds; NaN where empty."""
        return histogram_quantiles(histograms, self.bucket_bounds, q)

    def add(self, bins: np.ndarray, version: np.ndarray, failed: np.ndarray, latency: np.ndarray,
            reached: np.ndarray) -> BinnedRequests:
        """Count requests (and their latency, where they reached a replica) in their bins.

        Returns what was counted where (:class:`BinnedRequests`), for callers that count more.
        """
        n_versions = len(self.versions)
        low, high = int(bins.min()), int(bins.max()) + 1
        span = high - low
        flat = (bins - low) * n_versions + version
        size = span * n_versions
        requests = np.bincount(flat, minlength=size).reshape(span, n_versions)
        self.requests[low:high] += requests
        self.failed[low:high] += np.bincount(flat[failed], minlength=size).reshape(span, n_versions)
        latency_sum = np.bincount(flat[reached], weights=latency[reached], minlength=size).reshape(span, n_versions)
        self.latency_sum[low:high] += latency_sum
        self.latency_sum_squares[low:high] += np.bincount(
            flat[reached], weights=latency[reached] ** 2, minlength=size
        ).reshape(span, n_versions)
        bucket = self._bucket_index(latency[reached])
        hist_flat = flat[reached] * self.n_buckets + bucket
        self.histogram[low:high] += np.bincount(
            hist_flat, minlength=size * self.n_buckets
        ).reshape(span, n_versions, self.n_buckets).astype(np.int32)
        return BinnedRequests(low, high, flat, requests, latency_sum)

    def add_labels(self, label_bins: np.ndarray, version: np.ndarray, correct: np.ndarray) -> None:
        """Count labels in the bins of their arrival."""
        n_versions = len(self.versions)
        flat = label_bins * n_versions + version
        size = self.n_bins * n_versions
        self.labelled += np.bincount(flat, minlength=size).reshape(self.n_bins, n_versions)
        self.labelled_correct += np.bincount(
            flat, weights=correct, minlength=size
        ).reshape(self.n_bins, n_versions).astype(np.int64)

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

    def add_shadow(self, flat: np.ndarray, compared: np.ndarray, disagrees: np.ndarray) -> None:
        """Count compared and disagreeing shadow copies (``flat`` = bin x versions + version)."""
        n_versions = len(self.versions)
        size = self.n_bins * n_versions
        self.shadow_compared += np.bincount(flat[compared], minlength=size).reshape(self.n_bins, n_versions)
        self.shadow_disagreements += np.bincount(flat[disagrees], minlength=size).reshape(self.n_bins, n_versions)

    def set_slots(self, version: int, time: float, slots: float) -> None:
        """``version`` has ``slots`` slots (ready replicas x concurrency) from ``time`` (seconds) on."""
        since = float(self.slots_since[version])
        if self.slots[version] > 0 and time > since:
            low, seconds = seconds_in_bins(
                np.array([since]), np.array([time]), float(self.slots[version]), np.array([version]),
                bin_seconds=self.bin_seconds, n_bins=self.n_bins, n_keys=len(self.versions))
            self.slot_seconds[low:low + len(seconds)] += seconds
        self.slots[version] = slots
        self.slots_since[version] = time

    def slot_seconds_in(self, version: int, first: int, last: int) -> float:
        """Slot-seconds of ``version`` in bins ``first .. last - 1``, the stretch since its last change included."""
        closed = float(self.slot_seconds[first:last, version].sum())
        start = max(float(self.slots_since[version]), first * self.bin_seconds)
        return closed + float(self.slots[version]) * max(0.0, last * self.bin_seconds - start)

    def slot_seconds_until(self, until: float) -> np.ndarray:
        """Slot-seconds per ``[bin, version]`` up to ``until`` (seconds), each version's open stretch included."""
        total = self.slot_seconds.copy()
        open_versions = np.flatnonzero(self.slots > 0)
        if len(open_versions):
            low, seconds = seconds_in_bins(
                self.slots_since[open_versions], np.full(len(open_versions), until), self.slots[open_versions],
                open_versions, bin_seconds=self.bin_seconds, n_bins=self.n_bins, n_keys=len(self.versions))
            total[low:low + len(seconds)] += seconds
        return total

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
        # The truth of load, for timelines only: slot-seconds in service, split exactly at bin edges, and the
        # queue waits (seconds) of the requests that started, in the bin of their start.
        self._busy_seconds = np.zeros(shape)
        self._queue_wait_by_start = np.zeros(shape)
        self._started_by_start = np.zeros(shape, dtype=np.int64)
        # Requests whose truth the one pass cannot book (see _record_load), per chunk, until read: start,
        # arrival, client_end, service_end (None: client_end), status (None: all OK), version, client bin, and
        # the time busy time stops (seconds).
        self._exceptions: list[tuple[Any, ...]] = []
        self._aside = 0  # requests in _exceptions
        self.ended_at: float | None = None
        self.shadow_counts = {name: np.zeros(n_versions, dtype=np.int64)
                              for name in ("requests", "failed_requests", "compared", "disagreements")}
        self.synthetic_counts = {name: np.zeros(n_versions, dtype=np.int64)
                                 for name in ("requests", "failed_requests")}
        """Synthetic requests (load tests) per version: sent and failed."""
        self.synthetic_series: dict[str, np.ndarray] = {
            "requests": np.zeros(shape, dtype=np.int64), "failed": np.zeros(shape, dtype=np.int64),
            "histogram": np.zeros((self.n_bins, n_versions, self.series.n_buckets), dtype=np.int32),
        }
        """The synthetic requests among the monitoring series' counts, per ``[bin, version]`` (buckets last)."""
        self._counts = {
            name: np.zeros(n_versions, dtype=np.int64)
            for name in ("requests", "failed_requests", "errors", "timed_out", "dropped", "crashed", "responded",
                         "started", "correct_predictions", "wrong_predictions", "excess_failed", "excess_wrong",
                         "slow_requests")
        }
        self._sums = {name: np.zeros(n_versions) for name in ("latency_sum_s", "queue_wait_sum_s")}
        self.fine_histogram = np.zeros((n_versions, _FINE_BINS_PER_DECADE * _FINE_DECADES + 2), dtype=np.int64)

    # -- recording ---------------------------------------------------------

    def record_slots(self, version: int, time: float, slots: float) -> None:
        """``version`` has ``slots`` slots (ready replicas x concurrency) from ``time`` (seconds) on."""
        self.series.set_slots(version, time, slots)

    def close(self, now: float) -> None:
        """The run ends at ``now`` (seconds): busy time of the requests recorded from here on stops there."""
        self.ended_at = float(now)

    def record(self, done: FinishedRequests) -> None:
        """Add finished requests to the monitoring series and the totals.

        Shadow copies count in the monitoring series of the version that served
        them (its own deployment's metrics, labels included) but not in the
        run's user-visible totals; they are counted apart in ``shadow_counts``.
        Synthetic requests (load tests) likewise, counted apart in
        ``synthetic_counts`` and ``synthetic_series``.
        """
        if len(done.arrival) == 0:
            return
        shadow = done.shadow is not None and bool(done.shadow.any())
        synthetic = done.synthetic is not None and bool(done.synthetic.any())
        if shadow or synthetic:
            self._record_mixed(done, shadow, synthetic)
        else:
            self._record_users(done)

    def _record_mixed(self, done: FinishedRequests, shadow: bool, synthetic: bool) -> None:
        """:meth:`record` for any chunk, array by array; ``shadow``, ``synthetic``: whether it has such requests."""
        n_versions = len(self.versions)
        latency = done.client_end - done.arrival
        reached = done.status != Status.DROPPED
        failed = (done.status != Status.OK) | done.error
        responded = done.status == Status.OK
        bins = np.minimum((done.client_end / self.bin_seconds).astype(np.int64), self.n_bins - 1)
        binned = self.series.add(bins, done.version, failed, latency, reached)
        self.series.add_responses(bins, done.version, done.status, done.error)
        self._record_load(done, bins, binned, responded)
        self._add_labels(done, responded & ~done.error & done.labelled)
        if shadow or synthetic:
            if shadow:
                self._record_shadow(done, bins, failed)
            apart = np.zeros(len(done.arrival), dtype=bool)
            for flags in (done.shadow, done.synthetic):
                if flags is not None:
                    apart |= flags
            if synthetic:
                assert done.synthetic is not None
                self._record_synthetic(done.synthetic, done.version, bins, failed, latency, reached)
            user = ~apart
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

    def _record_users(self, done: FinishedRequests) -> None:
        """:meth:`record` for a chunk of user requests alone (no shadow copy, no synthetic one), in one pass.

        Adds to every array exactly what the general path adds (see
        :mod:`simulator.world.tally`): float sums per chunk from zero, then
        onto the running totals.
        """
        series = self.series
        version = np.asarray(done.version, dtype=np.int64)
        status = np.asarray(done.status, dtype=np.int64)
        client_end, arrival, start = done.client_end, done.arrival, done.start
        every = bool((status == Status.OK).all())
        latency = client_end - arrival
        bucket = series._bucket_index(latency if every else latency[status != Status.DROPPED])
        fine = self._fine_index(latency if every else latency[status == Status.OK])
        # The bins of the first and last response: a request's bin never decreases with its client end.
        last_bin = self.n_bins - 1
        low = min(int(client_end.min() / self.bin_seconds), last_bin)
        high = min(int(client_end.max() / self.bin_seconds), last_bin) + 1
        n_versions = len(self.versions)
        part = (high - low, n_versions)
        latency_part, latency_squares_part, wait_part, service_part, accuracy_part = (
            np.zeros(part) for _ in range(5))
        served_part = np.zeros(part, dtype=np.int64)
        counts = np.zeros((len(TOTAL_COUNTS), n_versions), dtype=np.int64)
        sums_part = np.zeros((len(TOTAL_SUMS), n_versions))
        odd = np.empty(len(client_end), dtype=bool)
        no_values = np.empty(0)
        baseline = done.baseline_failed is not None and done.baseline_correct is not None
        tally_chunk(
            version, status, np.asarray(done.error, dtype=bool), np.asarray(done.correct, dtype=bool),
            np.asarray(done.labelled, dtype=bool), np.asarray(done.user, dtype=np.int64), arrival, start, client_end,
            bucket, fine,
            no_values if done.true_accuracy is None else np.asarray(done.true_accuracy, dtype=np.float64),
            np.asarray(done.baseline_failed, dtype=bool) if baseline else no_values.astype(bool),
            np.asarray(done.baseline_correct, dtype=bool) if baseline else no_values.astype(bool),
            low, last_bin, self.bin_seconds, self.label_delay, math.inf if self.slow_above is None else self.slow_above,
            math.inf if self.ended_at is None else self.ended_at,
            series.requests, series.failed, series.histogram, series.responses, series.labelled,
            series.labelled_correct, self.answered, series.user_last_seen, counts, self.fine_histogram,
            latency_part, latency_squares_part, wait_part, service_part, served_part, accuracy_part, sums_part, odd,
        )
        series.latency_sum[low:high] += latency_part
        series.latency_sum_squares[low:high] += latency_squares_part
        self._add_services(low, high, service_part, wait_part, served_part)
        self._keep_aside(done, None, odd, every)
        if done.true_accuracy is not None:
            self.true_accuracy_sum[low:high] += accuracy_part
        for row, name in enumerate(TOTAL_COUNTS):
            self._counts[name] += counts[row]
        for row, name in enumerate(TOTAL_SUMS):
            self._sums[name] += sums_part[row]

    @property
    def totals(self) -> list[VersionTotals]:
        """Exact totals per version (in the order of ``versions``)."""
        totals = []
        for index in range(len(self.versions)):
            figures: dict[str, int | float] = {name: int(values[index]) for name, values in self._counts.items()}
            figures.update({name: float(values[index]) for name, values in self._sums.items()})
            totals.append(VersionTotals(**figures))  # type: ignore[arg-type]
        return totals

    def _record_load(self, done: FinishedRequests, bins: np.ndarray, binned: BinnedRequests,
                     responded: np.ndarray) -> None:
        """Busy slot-seconds, queue waits by start bin, and the servers' load counters.

        ``bins`` are the requests' bins by ``client_end``, ``binned`` what
        :meth:`MonitoringSeries.add` counted of them. Most requests are served in time inside
        one bin: their service time, queue wait and count go to that bin in one
        pass, for the monitoring counters and the truth alike. The few others
        (served across a bin edge, given up on by their client during
        service, crashed, dropped, or served past the end) are kept aside and
        put right in the truth when it is read, or once
        :data:`SETTLE_AFTER` have gathered (:meth:`_settle`); of them, only services given up on by their client
        change the monitoring counters, at once (:meth:`_count_given_up`).
        """
        n_versions = len(self.versions)
        low, high, flat = binned.low, binned.high, binned.flat
        shape = (high - low, n_versions)
        size = shape[0] * n_versions
        start, client_end = done.start, done.client_end
        every = bool(responded.all())
        if every:  # the common case: every request served in time, so latency is wait plus service
            wait = np.bincount(flat, weights=start - done.arrival, minlength=size).reshape(shape)
            service = binned.latency_sum - wait
            count = binned.requests
        else:
            served = responded.astype(np.float64)
            service = np.bincount(flat, weights=(client_end - start) * served, minlength=size).reshape(shape)
            wait = np.bincount(flat, weights=(start - done.arrival) * served, minlength=size).reshape(shape)
            count = np.bincount(flat, weights=served, minlength=size).reshape(shape).astype(np.int64)
        self._add_services(low, high, service, wait, count)
        if every:
            odd = start < bins * self.bin_seconds
        else:  # status codes from TIMEOUT_SERVING up: given up on during service, dropped, crashed
            odd = (responded & (start < bins * self.bin_seconds)) | (done.status >= Status.TIMEOUT_SERVING)
        if self.ended_at is not None:
            odd |= client_end > self.ended_at
        self._keep_aside(done, bins, odd, every)

    def _add_services(self, low: int, high: int, service: np.ndarray, wait: np.ndarray, count: np.ndarray) -> None:
        """Service seconds, queue waits (seconds) and services per ``[bin, version]`` of bins ``low:high``, to the
        monitoring counters and (before :meth:`_settle` puts the few odd ones right) to the truth alike."""
        series = self.series
        series.service_seconds[low:high] += service
        series.queue_wait_seconds[low:high] += wait
        series.services[low:high] += count
        self._busy_seconds[low:high] += service
        self._queue_wait_by_start[low:high] += wait
        self._started_by_start[low:high] += count

    def _keep_aside(self, done: FinishedRequests, bins: np.ndarray | None, odd: np.ndarray, every: bool) -> None:
        """Keep the ``odd`` requests aside for :meth:`_settle` (``every``: all of the chunk served in time).

        ``bins`` are the requests' bins by client end, or ``None`` to work out those of the odd ones alone.
        """
        start, client_end = done.start, done.client_end
        rows = np.flatnonzero(odd)
        if len(rows) == 0:
            return
        if bins is None:
            row_bins = np.minimum((client_end[rows] / self.bin_seconds).astype(np.int64), self.n_bins - 1)
        else:
            row_bins = bins[rows]
        busy_until = np.inf if self.ended_at is None else self.ended_at
        self._aside += len(rows)
        if every:  # all served in time: their status is OK and their service ends with the response
            self._exceptions.append((start[rows], done.arrival[rows], client_end[rows], None, None,
                                     done.version[rows], row_bins, busy_until))
        else:
            if done.service_end is not None:
                service_end = done.service_end[rows]
            else:
                service_end = client_end[rows]  # without it, a service given up on is cut at the client's timeout
            exception = (start[rows], done.arrival[rows], client_end[rows], service_end, done.status[rows],
                         done.version[rows], row_bins, busy_until)
            self._exceptions.append(exception)
            self._count_given_up(*exception[:6])
        if self._aside >= SETTLE_AFTER:
            self._settle()  # memory stays bounded on long horizons

    def _count_given_up(self, start: np.ndarray, arrival: np.ndarray, client_end: np.ndarray,
                        service_end: np.ndarray, status: np.ndarray, version: np.ndarray) -> None:
        """The monitoring counters of services whose client gave up: counted when the service ends."""
        given_up = status == Status.TIMEOUT_SERVING
        if not given_up.any():
            return
        series = self.series
        end_bins = np.minimum((service_end[given_up] / self.bin_seconds).astype(np.int64), self.n_bins - 1)
        where = (end_bins, version[given_up])
        np.add.at(series.service_seconds, where, service_end[given_up] - start[given_up])
        np.add.at(series.queue_wait_seconds, where, start[given_up] - arrival[given_up])
        np.add.at(series.services, where, 1)

    def _settle(self) -> None:
        """Put right, in the truth, the requests :meth:`_record_load` kept aside: exact busy time and start bins."""
        if not self._exceptions:
            return
        complete = []
        for start, arrival, client_end, service_end, status, version, client_bins, until in self._exceptions:
            complete.append((start, arrival, client_end, client_end if service_end is None else service_end,
                             np.full(len(start), Status.OK) if status is None else status, version, client_bins,
                             np.full(len(start), until)))
        start, arrival, client_end, service_end, status, version, client_bins, busy_until = (
            np.concatenate(parts) for parts in zip(*complete, strict=True))
        self._exceptions, self._aside = [], 0
        n_versions = len(self.versions)
        size = self.n_bins * n_versions
        shape = (self.n_bins, n_versions)
        # Undo what the one pass gave the requests served in time, in their client's bin.
        served = status == Status.OK
        flat = client_bins[served] * n_versions + version[served]
        self._busy_seconds -= np.bincount(flat, weights=client_end[served] - start[served], minlength=size).reshape(
            shape)
        self._queue_wait_by_start -= np.bincount(flat, weights=start[served] - arrival[served],
                                                 minlength=size).reshape(shape)
        self._started_by_start -= np.bincount(flat, minlength=size).reshape(shape)
        # Busy from the start to the service's end (none if it never started), split at bin edges.
        busy_end = np.where(status == Status.DROPPED, start, np.minimum(np.maximum(service_end, start), busy_until))
        low, busy = seconds_in_bins(start, busy_end, 1.0, version, bin_seconds=self.bin_seconds, n_bins=self.n_bins,
                                    n_keys=n_versions)
        self._busy_seconds[low:low + len(busy)] += busy
        started = served | (status == Status.TIMEOUT_SERVING)
        start_bins = np.minimum((start[started] / self.bin_seconds).astype(np.int64), self.n_bins - 1)
        flat = start_bins * n_versions + version[started]
        self._queue_wait_by_start += np.bincount(flat, weights=start[started] - arrival[started],
                                                 minlength=size).reshape(shape)
        self._started_by_start += np.bincount(flat, minlength=size).reshape(shape)

    @property
    def busy_seconds(self) -> np.ndarray:
        """Slot-seconds in service per ``[bin, version]``, each request's service split exactly at bin edges."""
        self._settle()
        return self._busy_seconds

    @property
    def queue_wait_by_start(self) -> np.ndarray:
        """Summed queue wait (seconds) per ``[bin, version]`` of the requests that started service in the bin."""
        self._settle()
        return self._queue_wait_by_start

    @property
    def started_by_start(self) -> np.ndarray:
        """Requests that started service, per ``[bin, version]`` of their start."""
        self._settle()
        return self._started_by_start

    def load_totals(self, version_index: int) -> tuple[float, float]:
        """Busy and slot seconds of a version over the run, up to where it ended (``close``), seconds."""
        until = self.ended_at if self.ended_at is not None else self.n_bins * self.bin_seconds
        bins = int(math.ceil(until / self.bin_seconds))
        slots = self.series.slot_seconds_until(until)
        return float(self.busy_seconds[:bins, version_index].sum()), float(slots[:bins, version_index].sum())

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

    def _record_synthetic(self, synthetic: np.ndarray, version: np.ndarray, bins: np.ndarray, failed: np.ndarray,
                          latency: np.ndarray, reached: np.ndarray) -> None:
        """Count the synthetic requests apart: per version, and per bin as the monitoring series counted them."""
        n_versions = len(self.versions)
        version = version[synthetic]
        counts = self.synthetic_counts
        counts["requests"] += np.bincount(version, minlength=n_versions)
        counts["failed_requests"] += np.bincount(version[failed[synthetic]], minlength=n_versions)
        where = (bins[synthetic], version)
        np.add.at(self.synthetic_series["requests"], where, 1)
        np.add.at(self.synthetic_series["failed"], where, failed[synthetic].astype(np.int64))
        measured = reached[synthetic]
        buckets = self.series._bucket_index(latency[synthetic][measured])
        np.add.at(self.synthetic_series["histogram"], (where[0][measured], version[measured], buckets), 1)

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
