"""Counting a chunk of finished requests into the metric arrays in one compiled pass.

:meth:`simulator.world.metrics.MetricStore.record` hands a chunk of user
requests (no shadow copies, no synthetic ones) to :func:`tally_chunk`, which
does in one loop over the requests what would otherwise take some fifty
array operations: the monitoring series' counters, the servers' load
counters, the labels, and the exact per-version totals.

Every figure comes out bit for bit as :func:`numpy.bincount` gives it: a
sum of floats is taken over the chunk, in request order, from zero, into a
scratch array (the ``*_part`` arguments), which the caller then adds to the
running total, as ``total += np.bincount(..., weights=...)`` would. Integer
counts go straight into their arrays. The logarithms behind the latency
buckets are left to numpy (``bucket`` and ``fine`` come in ready), since a
compiled logarithm may round its last bit differently.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from simulator.world.kernel import STATUS_CRASHED as _CRASHED
from simulator.world.kernel import STATUS_DROPPED as _DROPPED
from simulator.world.kernel import STATUS_OK as _OK
from simulator.world.kernel import STATUS_TIMEOUT_QUEUED as _TIMEOUT_QUEUED
from simulator.world.kernel import STATUS_TIMEOUT_SERVING as _TIMEOUT_SERVING

__all__ = ["tally_chunk", "TOTAL_COUNTS", "TOTAL_SUMS"]

TOTAL_COUNTS = (
    "requests", "failed_requests", "errors", "timed_out", "dropped", "crashed", "responded", "started",
    "correct_predictions", "wrong_predictions", "excess_failed", "excess_wrong", "slow_requests",
)
"""Rows of the ``counts`` argument of :func:`tally_chunk`: the integer totals per version."""

TOTAL_SUMS = ("latency_sum_s", "queue_wait_sum_s")
"""Rows of the ``sums_part`` argument of :func:`tally_chunk`: the summed seconds per version."""


@njit(cache=True, nogil=True, inline="always")
def _bin(t: float, bin_seconds: float, last_bin: int) -> int:  # pragma: no cover - compiled
    """The bin of time ``t`` (seconds), ``last_bin`` at most, as numpy's ``astype(int64)`` truncates."""
    b = int(t / bin_seconds)
    return last_bin if b > last_bin else b


@njit(cache=True, nogil=True, inline="always")
def _add_label(labels: np.ndarray, labels_correct: np.ndarray, labelled_at: float, bin_seconds: float, v: int,
               correct: bool) -> None:  # pragma: no cover - compiled
    """Count a label of version ``v`` coming back at ``labelled_at`` (seconds), right or not."""
    label_bin = _bin(labelled_at, bin_seconds, labels.shape[0] - 1)
    labels[label_bin, v] += 1
    if correct:
        labels_correct[label_bin, v] += 1


@njit(cache=True, nogil=True)
def tally_chunk(  # one compiled pass takes every array it fills
    version: np.ndarray,
    status: np.ndarray,
    error: np.ndarray,
    correct: np.ndarray,
    labelled: np.ndarray,
    user: np.ndarray,
    arrival: np.ndarray,
    start: np.ndarray,
    client_end: np.ndarray,
    bucket: np.ndarray,
    fine: np.ndarray,
    true_accuracy: np.ndarray,
    baseline_failed: np.ndarray,
    baseline_correct: np.ndarray,
    low: int,
    last_bin: int,
    bin_seconds: float,
    label_delay: float,
    slow_above: float,
    ended_at: float,
    requests: np.ndarray,
    failed: np.ndarray,
    histogram: np.ndarray,
    responses: np.ndarray,
    labels: np.ndarray,
    labels_correct: np.ndarray,
    answered: np.ndarray,
    user_last_seen: np.ndarray,
    counts: np.ndarray,
    fine_histogram: np.ndarray,
    latency_part: np.ndarray,
    latency_squares_part: np.ndarray,
    wait_part: np.ndarray,
    service_part: np.ndarray,
    served_part: np.ndarray,
    accuracy_part: np.ndarray,
    sums_part: np.ndarray,
    odd: np.ndarray,
) -> None:  # pragma: no cover - compiled
    """Count the chunk's requests; see the module's docstring for how sums are kept exact.

    Requests are in chunk order; each one's bin is that of its
    ``client_end`` (times in seconds), ``last_bin`` at most. ``bucket`` holds the histogram bucket
    of each request that reached a replica (status not dropped) and ``fine``
    the fine-histogram bin of each request served in time, in chunk order.
    ``true_accuracy``, ``baseline_failed`` and ``baseline_correct`` are empty
    when the chunk has none. ``slow_above`` and ``ended_at`` (seconds) are
    ``inf`` when unset. Arrays indexed by bin are whole-run arrays except the
    ``*_part`` ones, which start at bin ``low`` (zeroed by the caller).
    ``odd`` comes back marking the requests whose load the one pass cannot
    book (see ``MetricStore._record_load``).
    """
    n = client_end.shape[0]
    has_accuracy = true_accuracy.shape[0] == n
    has_baseline = baseline_failed.shape[0] == n
    every = True
    for i in range(n):
        if status[i] != _OK:
            every = False
            break
    if every:
        # Every request was served in time (the common case): each reached a replica and responded, so
        # ``bucket`` and ``fine`` are indexed like the requests, the status checks fall away, and the counts
        # every request adds to (requests, responded, started) are added once per version at the end. Every
        # float is summed in the order the general loop below sums it, so the bits are the same.
        served = np.zeros(counts.shape[1], dtype=np.int64)
        for i in range(n):
            b = _bin(client_end[i], bin_seconds, last_bin)
            v = version[i]
            row = b - low
            latency = client_end[i] - arrival[i]
            wait = start[i] - arrival[i]
            served[v] += 1
            requests[b, v] += 1
            latency_part[row, v] += latency
            latency_squares_part[row, v] += latency * latency
            histogram[b, v, bucket[i]] += 1
            wait_part[row, v] += wait
            served_part[row, v] += 1
            odd[i] = start[i] < b * bin_seconds or client_end[i] > ended_at
            user_last_seen[v, user[i]] = client_end[i]
            sums_part[0, v] += latency
            fine_histogram[v, fine[i]] += 1
            if latency > slow_above:
                counts[12, v] += 1
            sums_part[1, v] += wait
            if error[i]:  # a model error: HTTP 500, a failure
                failed[b, v] += 1
                counts[1, v] += 1
                counts[2, v] += 1
                responses[b, v, 1] += 1
                if has_baseline:
                    counts[10, v] += 1
            else:
                responses[b, v, 0] += 1
                if labelled[i]:
                    _add_label(labels, labels_correct, client_end[i] + label_delay, bin_seconds, v, correct[i])
                if has_accuracy:
                    answered[b, v] += 1
                    accuracy_part[row, v] += true_accuracy[i]
                if correct[i]:
                    counts[8, v] += 1
                else:
                    counts[9, v] += 1
                    if has_baseline:
                        counts[11, v] += 1
                if has_baseline and not baseline_correct[i]:
                    counts[11, v] -= 1
            if has_baseline and baseline_failed[i]:
                counts[10, v] -= 1
        for v in range(counts.shape[1]):
            counts[0, v] += served[v]
            counts[6, v] += served[v]
            counts[7, v] += served[v]
        for row in range(latency_part.shape[0]):
            for v in range(latency_part.shape[1]):
                service_part[row, v] = latency_part[row, v] - wait_part[row, v]
        return
    n_reached = 0
    n_responded = 0
    for i in range(n):
        b = _bin(client_end[i], bin_seconds, last_bin)
        v = version[i]
        row = b - low
        s = status[i]
        ok = s == _OK
        is_error = error[i]
        is_failed = (not ok) or is_error
        latency = client_end[i] - arrival[i]
        requests[b, v] += 1
        counts[0, v] += 1
        if is_failed:
            failed[b, v] += 1
            counts[1, v] += 1
        if s != _DROPPED:
            latency_part[row, v] += latency
            latency_squares_part[row, v] += latency * latency
            histogram[b, v, bucket[n_reached]] += 1
            n_reached += 1
        # HTTP status: 200, 500 (model error or crash), 503 (dropped), 504 (client timeout)
        if (ok and is_error) or s == _CRASHED:
            responses[b, v, 1] += 1
        elif s == _DROPPED:
            responses[b, v, 2] += 1
        elif s == _TIMEOUT_QUEUED or s == _TIMEOUT_SERVING:
            responses[b, v, 3] += 1
        else:
            responses[b, v, 0] += 1
        wait = start[i] - arrival[i]
        if ok:
            service_part[row, v] += client_end[i] - start[i]
            wait_part[row, v] += wait
            served_part[row, v] += 1
        odd[i] = (ok and start[i] < b * bin_seconds) or s >= _TIMEOUT_SERVING
        if client_end[i] > ended_at:
            odd[i] = True
        success = ok and not is_error
        if success and labelled[i]:
            _add_label(labels, labels_correct, client_end[i] + label_delay, bin_seconds, v, correct[i])
        user_last_seen[v, user[i]] = client_end[i]
        if success and has_accuracy:
            answered[b, v] += 1
            accuracy_part[row, v] += true_accuracy[i]
        if ok and is_error:
            counts[2, v] += 1
        if s == _TIMEOUT_QUEUED or s == _TIMEOUT_SERVING:
            counts[3, v] += 1
        elif s == _DROPPED:
            counts[4, v] += 1
        elif s == _CRASHED:
            counts[5, v] += 1
        if ok:
            counts[6, v] += 1
            sums_part[0, v] += latency
            fine_histogram[v, fine[n_responded]] += 1
            n_responded += 1
            if latency > slow_above:
                counts[12, v] += 1
        if ok or s == _TIMEOUT_SERVING:
            counts[7, v] += 1
            sums_part[1, v] += wait
        if success:
            if correct[i]:
                counts[8, v] += 1
            else:
                counts[9, v] += 1
        if has_baseline:
            # excess = own failures (wrong answers) minus the baseline's on the same requests
            if is_failed:
                counts[10, v] += 1
            if baseline_failed[i]:
                counts[10, v] -= 1
            if success:
                if not correct[i]:
                    counts[11, v] += 1
                if not baseline_correct[i]:
                    counts[11, v] -= 1
