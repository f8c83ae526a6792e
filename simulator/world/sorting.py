"""Sorting arrival times drawn uniformly on an interval, in linear time, compiled with numba.

The result is exactly ``np.sort(values)`` (a sorted array is unique), only
faster for values spread evenly over ``[low, high)``: each value goes to one
of ``len(values)`` equal buckets by where it lies in the interval, and each
bucket, a handful of values on average, is sorted by insertion. The bucket
index never decreases as the value grows, so the buckets laid end to end are
in order. Values outside the interval go to the first or last bucket, which
keeps the result right, only slower.
"""

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = ["sort_uniform"]


def sort_uniform(values: np.ndarray, low: float, high: float) -> np.ndarray:
    """``values`` (float64, drawn on ``[low, high)``) in ascending order, as a new array: ``np.sort(values)``."""
    if len(values) == 0 or not high > low or np.isnan(values).any():
        return np.sort(values)
    return _bucket_sort(np.ascontiguousarray(values, dtype=np.float64), float(low), float(high))


@njit(cache=True, nogil=True)
def _bucket_sort(values: np.ndarray, low: float, high: float) -> np.ndarray:  # pragma: no cover - compiled
    n = values.shape[0]
    scale = n / (high - low)
    bucket = np.empty(n, dtype=np.int64)
    first = np.zeros(n + 1, dtype=np.int64)  # first[b]: where bucket b starts in the output
    for i in range(n):
        b = int((values[i] - low) * scale)
        if b < 0:
            b = 0
        elif b >= n:
            b = n - 1
        bucket[i] = b
        first[b + 1] += 1
    for b in range(n):
        first[b + 1] += first[b]
    position = first[:n].copy()
    out = np.empty(n, dtype=np.float64)
    for i in range(n):
        b = bucket[i]
        out[position[b]] = values[i]
        position[b] += 1
    for b in range(n):
        for i in range(first[b] + 1, first[b + 1]):
            value = out[i]
            j = i - 1
            while j >= first[b] and out[j] > value:
                out[j + 1] = out[j]
                j -= 1
            out[j + 1] = value
    return out
