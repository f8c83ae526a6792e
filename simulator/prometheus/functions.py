"""The arithmetic of ``rate``, ``increase``, ``irate`` and ``histogram_quantile``, as Prometheus does it.

Timestamps are integer milliseconds. ``dialect`` picks the Prometheus
release line whose rules apply where they differ: ``2`` (as the 2.x
releases, checked against a real 2.42 server) or ``3`` (as the current
source). In ``rate``/``increase`` the two differ in one step: 2.x lets the
extrapolation to the counter's zero point replace the distance to the
window's start before that distance is capped at half a sample interval, 3
caps first. In ``histogram_quantile`` 3 also treats bucket counts within
a relative 1e-12 of each other as equal.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

__all__ = ["extrapolated_rate", "instant_rate", "bucket_quantile"]

_SMALL_DELTA = 1e-12
_MIN_NORMAL = 2.2250738585072014e-308


def extrapolated_rate(timestamps: np.ndarray, values: np.ndarray, range_start: int, range_end: int,
                      range_seconds: float, *, is_rate: bool, dialect: int = 2) -> float | None:
    """``rate`` (per second, ``is_rate``) or ``increase`` of a counter's samples in a window; ``None`` if < 2.

    ``range_start``/``range_end`` bound the window (milliseconds). The
    increase between the first and last sample, with every drop counted as a
    counter reset, is extrapolated towards each edge of the window: all the
    way if the sample nearest that edge is within 1.1 average sample
    intervals of it, else by half an interval; towards the start never
    beyond the time the counter would have been zero.
    """
    count = len(values)
    if count < 2:
        return None
    first_t, last_t = int(timestamps[0]), int(timestamps[-1])
    first_v = float(values[0])
    result = float(values[-1]) - first_v
    previous = values[:-1]
    for reset in np.flatnonzero(values[1:] < previous):  # a drop is a counter reset: add what was lost
        result += float(previous[reset])
    to_start = (first_t - range_start) / 1000
    to_end = (range_end - last_t) / 1000
    sampled = (last_t - first_t) / 1000
    average = sampled / (count - 1)
    threshold = average * 1.1
    if dialect == 2:
        if result > 0 and first_v >= 0:
            to_zero = sampled * (first_v / result)
            if to_zero < to_start:
                to_start = to_zero
        interval = sampled
        interval += to_start if to_start < threshold else average / 2
        interval += to_end if to_end < threshold else average / 2
        result = result * (interval / sampled)
        return result / range_seconds if is_rate else result
    if to_start >= threshold:
        to_start = average / 2
    if result > 0 and first_v >= 0:
        to_zero = sampled * (first_v / result)
        if to_zero < to_start:
            to_start = to_zero
    if to_end >= threshold:
        to_end = average / 2
    factor = (sampled + to_start + to_end) / sampled
    if is_rate:
        factor /= range_seconds
    return result * factor


def instant_rate(timestamps: np.ndarray, values: np.ndarray) -> float | None:
    """``irate``: per-second rate between the last two samples (a drop is a reset); ``None`` if < 2."""
    if len(values) < 2:
        return None
    last, previous = float(values[-1]), float(values[-2])
    interval = int(timestamps[-1]) - int(timestamps[-2])
    if interval == 0:
        return None
    result = last if last < previous else last - previous
    return result / (interval / 1000)


def _almost_equal(a: float, b: float) -> bool:
    if a == b:
        return True
    total = abs(a) + abs(b)
    difference = abs(a - b)
    if a == 0 or b == 0 or total < _MIN_NORMAL:
        return difference < _SMALL_DELTA * _MIN_NORMAL
    return difference / min(total, np.finfo(np.float64).max) < _SMALL_DELTA


def bucket_quantile(q: float, buckets: Sequence[tuple[float, float]], dialect: int = 2) -> float:
    """The ``q``-quantile of a classic histogram's ``(upper bound, cumulative count)`` buckets.

    Linear interpolation inside the bucket the rank ``q x count`` falls in
    (from 0 for the lowest bucket if its bound is positive); a rank in the
    +Inf bucket gives the highest finite bound. NaN without a +Inf bucket,
    with fewer than two bounds, or with no observations; -Inf for ``q < 0``,
    +Inf for ``q > 1``. Buckets of equal bounds are merged and decreasing
    counts raised to the count below them.
    """
    if math.isnan(q):
        return math.nan
    if q < 0:
        return -math.inf
    if q > 1:
        return math.inf
    ordered = sorted(buckets, key=lambda bucket: bucket[0])
    if not ordered or ordered[-1][0] != math.inf:
        return math.nan
    bounds: list[float] = []
    counts: list[float] = []
    for bound, count in ordered:
        if bounds and bounds[-1] == bound:
            counts[-1] += count
        else:
            bounds.append(bound)
            counts.append(count)
    if dialect == 2:
        highest = -math.inf
        for index, count in enumerate(counts):
            if count > highest:
                highest = count
            elif count < highest:
                counts[index] = highest
    else:
        previous = counts[0]
        for index in range(1, len(counts)):
            current = counts[index]
            if current == previous:
                continue
            if _almost_equal(previous, current) or current < previous:
                counts[index] = previous
                continue
            previous = current
    if len(bounds) < 2:
        return math.nan
    observations = counts[-1]
    if observations == 0:
        return math.nan
    rank = q * observations
    # The first bucket (the +Inf one left out of the search) whose count reaches the rank.
    index = _search(counts[:-1], rank)
    if index == len(bounds) - 1:
        return bounds[-2]
    if index == 0 and bounds[0] <= 0:
        return bounds[0]
    start = 0.0
    end = bounds[index]
    count = counts[index]
    if index > 0:
        start = bounds[index - 1]
        count -= counts[index - 1]
        rank -= counts[index - 1]
    return start + (end - start) * (rank / count)


def _search(counts: list[float], rank: float) -> int:
    """Smallest index whose count is >= ``rank`` (``len(counts)`` if none), by Go's ``sort.Search`` bisection."""
    low, high = 0, len(counts)
    while low < high:
        middle = (low + high) // 2
        if not counts[middle] >= rank:
            low = middle + 1
        else:
            high = middle
    return low
