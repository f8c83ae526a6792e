"""rate, increase, irate and histogram_quantile on hand-made samples, values worked out by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest

from simulator.prometheus.functions import bucket_quantile, extrapolated_rate, instant_rate


def _ms(*seconds: float) -> np.ndarray:
    return np.array([round(s * 1000) for s in seconds], dtype=np.int64)


def _increase(seconds, values, start, end, dialect=2):
    return extrapolated_rate(_ms(*seconds), np.array(values, dtype=float), start * 1000, end * 1000,
                             (end - start), is_rate=False, dialect=dialect)


def test_a_regular_counter_is_extrapolated_to_both_edges() -> None:
    # Samples 15..60 s in the window [0, 60]: 30 counted over 45 s, 15 s to the start (< 1.1 x 15 s), 0 to the end.
    # The zero point (45 s x 10/30 = 15 s back) is not closer than the start: 30 x 60/45 = 40.
    assert _increase([15, 30, 45, 60], [10, 20, 30, 40], 0, 60) == pytest.approx(40.0, rel=1e-15)
    rate = extrapolated_rate(_ms(15, 30, 45, 60), np.array([10.0, 20, 30, 40]), 0, 60_000, 60.0, is_rate=True)
    assert rate == pytest.approx(40.0 / 60, rel=1e-15)


def test_extrapolation_stops_at_the_counters_zero_point() -> None:
    # From 5 at 15 s, at 30 per 45 s the counter was 0 at 7.5 s: extrapolate 7.5 s back, not 15 s.
    assert _increase([15, 30, 45, 60], [5, 15, 25, 35], 0, 60) == pytest.approx(30 * 52.5 / 45, rel=1e-15)


def test_far_edges_get_half_an_interval_only() -> None:
    # Samples at 30, 35, 40 s in [0, 60]: 30 s and 20 s to the edges exceed 1.1 x 5 s, so 2.5 s each way.
    assert _increase([30, 35, 40], [100, 110, 120], 0, 60) == pytest.approx(20 * 15 / 10, rel=1e-15)


def test_a_drop_is_a_counter_reset() -> None:
    # 10 -> 20, reset, 5 -> 15: 5 + 20 + ... = (15 - 10) + 20 = 25 over 45 s; zero point 18 s back is beyond 15 s.
    assert _increase([15, 30, 45, 60], [10, 20, 5, 15], 0, 60) == pytest.approx(25 * 60 / 45, rel=1e-15)
    # Two resets add both values lost.
    assert _increase([15, 30, 45, 60], [10, 4, 3, 9], 0, 60) == pytest.approx((9 - 10 + 10 + 4) * 60 / 45)


def test_the_zero_point_and_the_cap_in_the_order_of_each_release() -> None:
    # A counter appearing at 990 s with 8, +10 per 15 s, window [750, 1050]: 40 over 60 s, 240 s to the start.
    seconds, values = [990, 1005, 1020, 1035, 1050], [8, 18, 28, 38, 48]
    # 2.x: the zero point (60 x 8/40 = 12 s back) replaces the 240 s first, and 12 s < 16.5 s: 40 x 72/60.
    assert _increase(seconds, values, 750, 1050, dialect=2) == pytest.approx(48.0, rel=1e-15)
    # 3: 240 s is capped to 7.5 s first; the zero point, 12 s, is not closer: 40 x 67.5/60.
    assert _increase(seconds, values, 750, 1050, dialect=3) == pytest.approx(45.0, rel=1e-15)


def test_a_falling_first_value_never_uses_the_zero_point() -> None:
    # No increase at all: nothing to extrapolate from, the result stays 0.
    assert _increase([15, 30, 45, 60], [7, 7, 7, 7], 0, 60) == 0.0


def test_fewer_than_two_samples_give_nothing() -> None:
    assert _increase([30], [5], 0, 60) is None
    assert _increase([], [], 0, 60) is None
    assert instant_rate(_ms(30), np.array([5.0])) is None


def test_irate_uses_the_last_two_samples() -> None:
    assert instant_rate(_ms(15, 30, 45), np.array([10.0, 20, 26])) == pytest.approx(6 / 15, rel=1e-15)
    # A reset between them: the last value is all that was counted since.
    assert instant_rate(_ms(15, 30, 45), np.array([10.0, 20, 5])) == pytest.approx(5 / 15, rel=1e-15)


NORMAL = [(0.1, 10.0), (0.5, 30.0), (1.0, 40.0), (math.inf, 50.0)]


@pytest.mark.parametrize(("q", "expected"), [
    (0.5, 0.1 + 0.4 * 15 / 20),  # rank 25 in (0.1, 0.5]: 15 of its 20
    (0.1, 0.1 * 5 / 10),         # rank 5 in the lowest bucket, from 0
    (0.0, 0.0),
    (0.9, 1.0),                  # rank 45 in +Inf: the highest finite bound
    (1.0, 1.0),
    (-0.5, -math.inf),
    (1.5, math.inf),
])
def test_histogram_quantile_interpolates_inside_the_bucket(q: float, expected: float) -> None:
    assert bucket_quantile(q, NORMAL) == pytest.approx(expected, rel=1e-15)


def test_histogram_quantile_nan_cases() -> None:
    assert math.isnan(bucket_quantile(math.nan, NORMAL))
    assert math.isnan(bucket_quantile(0.5, [(1.0, 5.0), (2.0, 10.0)]))            # no +Inf bucket
    assert math.isnan(bucket_quantile(0.5, [(1.0, 0.0), (math.inf, 0.0)]))       # no observations
    assert math.isnan(bucket_quantile(0.5, [(math.inf, 5.0)]))                   # one bucket only
    assert math.isnan(bucket_quantile(0.5, []))


def test_histogram_quantile_buckets_in_any_order_merged_and_made_monotonic() -> None:
    shuffled = [NORMAL[2], NORMAL[0], NORMAL[3], NORMAL[1]]
    assert bucket_quantile(0.5, shuffled) == pytest.approx(0.4, rel=1e-15)
    # Equal bounds ("1" and "1.0") add up: 1 -> 10, rank 6 -> 0.6.
    assert bucket_quantile(0.5, [(1.0, 4.0), (1.0, 6.0), (2.0, 12.0), (math.inf, 12.0)]) == pytest.approx(0.6)
    # 2 -> 8 after 1 -> 10 is raised to 10: rank 12 falls in (2, 3] with 5 of 5 -> 2 + 2/5.
    nonmonotonic = [(1.0, 10.0), (2.0, 8.0), (3.0, 15.0), (math.inf, 15.0)]
    assert bucket_quantile(0.8, nonmonotonic) == pytest.approx(2.4, rel=1e-15)


def test_histogram_quantile_with_a_non_positive_lowest_bound_returns_that_bound() -> None:
    buckets = [(-1.0, 5.0), (0.0, 10.0), (1.0, 20.0), (math.inf, 20.0)]
    assert bucket_quantile(0.1, buckets) == -1.0
    assert bucket_quantile(0.5, buckets) == -1.0 + 1.0 * 5 / 5  # rank 10 in (-1, 0]: 5 of its 5


def test_release_3_ignores_tiny_bucket_differences() -> None:
    # 10 then 10 - 1e-14 then 20: 2.x raises the dip to 10 too, but 3 also treats 10 + 1e-14 as 10.
    buckets = [(1.0, 10.0), (2.0, 10.0 + 1e-14), (3.0, 20.0), (math.inf, 20.0)]
    # rank 10 reaches the first bucket in both: 1.0.
    assert bucket_quantile(0.5, buckets, dialect=2) == pytest.approx(1.0)
    # A rank just above 10: 2.x finds it inside (1, 2] (a bucket of 1e-14); 3 sees (1, 2] empty, moves to (2, 3].
    q = (10.0 + 5e-15) / 20
    assert 1.0 < bucket_quantile(q, buckets, dialect=2) < 2.0
    assert bucket_quantile(q, buckets, dialect=3) == pytest.approx(2.0, rel=1e-9)
