"""Time spent inside monitoring bins: busy slot-seconds and slot-seconds, vectorised.

Utilisation is a ratio of two integrals over a bin: the time-average number
of requests in service (``busy`` seconds: each request's service interval,
split exactly at bin edges) over the time-average number of slots (ready
replicas x concurrency, a step function of time). Both integrals are sums of
intervals ``[start, end)`` cut at the bin edges, which
:func:`seconds_in_bins` does for a whole array of intervals at once, with no
loop per interval.
"""

from __future__ import annotations

import numpy as np

__all__ = ["seconds_in_bins"]


def seconds_in_bins(start: np.ndarray, end: np.ndarray, weight: np.ndarray | float, key: np.ndarray, *,
                    bin_seconds: float, n_bins: int, n_keys: int) -> tuple[int, np.ndarray]:
    """``weight x`` the seconds each interval ``[start, end)`` spends in each bin, summed per bin and key.

    Bin ``k`` covers ``[k * bin_seconds, (k + 1) * bin_seconds)``; times are
    seconds. Intervals are clipped to ``[0, n_bins * bin_seconds]``; empty or
    reversed ones (``end <= start``) add nothing. ``key`` (integers in
    ``[0, n_keys)``, e.g. the version index) picks the column. Returns
    ``(low, sums)``: ``sums[i, j]`` belongs to bin ``low + i`` and key ``j``,
    for the bins the intervals touch (``sums`` is empty when none does), so a
    caller adds it to ``array[low:low + len(sums)]``.

    An interval inside one bin adds ``weight x (end - start)`` there; one
    across several adds the part up to its first bin's end, ``bin_seconds``
    to each bin it covers whole (through a running sum of +1 / -1 marks,
    not a loop), and the part after its last bin's start.
    """
    horizon = n_bins * bin_seconds
    start = np.clip(np.asarray(start, dtype=float), 0.0, horizon)
    end = np.clip(np.asarray(end, dtype=float), 0.0, horizon)
    keep = end > start
    if not keep.all():
        start, end, key = start[keep], end[keep], np.asarray(key)[keep]
        weight = np.asarray(weight)[keep] if np.ndim(weight) else weight
    if len(start) == 0:
        return 0, np.zeros((0, n_keys))
    weights = np.broadcast_to(np.asarray(weight, dtype=float), start.shape)
    first = np.minimum((start / bin_seconds).astype(np.int64), n_bins - 1)
    last = np.minimum((end / bin_seconds).astype(np.int64), n_bins - 1)
    low, high = int(first.min()), int(last.max()) + 1
    span = high - low
    size = span * n_keys
    same = first == last
    # Within one bin: the whole interval. Across bins: the head in the first, the tail in the last.
    head = np.where(same, end - start, (first + 1) * bin_seconds - start)
    tail = np.where(same, 0.0, end - last * bin_seconds)
    sums: np.ndarray = np.bincount((first - low) * n_keys + key, weights=weights * head, minlength=size)
    sums = sums + np.bincount((last - low) * n_keys + key, weights=weights * tail, minlength=size)
    across = ~same
    if across.any():
        # Whole bins first + 1 .. last - 1: +weight from first + 1, -weight from last, then a running sum.
        marks = np.bincount((first[across] + 1 - low) * n_keys + key[across], weights=weights[across],
                            minlength=size + n_keys)
        marks -= np.bincount((last[across] - low) * n_keys + key[across], weights=weights[across],
                             minlength=size + n_keys)
        sums = sums + np.cumsum(marks.reshape(span + 1, n_keys), axis=0)[:span].ravel() * bin_seconds
    return low, sums.reshape(span, n_keys)
