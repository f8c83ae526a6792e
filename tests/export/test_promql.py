"""The PromQL building blocks, evaluated by the simulated Prometheus over series whose answers are known by hand.

The counters grow linearly (a constant rate), so ``rate()`` over any window
is that rate exactly and every figure can be worked out on paper: the
error rate from the share of failed requests, a quantile by interpolating
inside its bucket, the mean from ``_sum / _count``, accuracy from the
correct labels.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from simulator.export import promql
from simulator.export.promql import HTTP_SERIES, Side
from simulator.prometheus import SimulatedPrometheus, parse_query
from simulator.prometheus.series import Series, SeriesSet

SCRAPE = 15.0
END = 1200.0
CANDIDATE = Side(matchers='service="c"', prediction_matchers='service="c"')
STABLE = Side(matchers='service="s"', prediction_matchers='service="s"')

BOUNDS = ("0.1", "0.2", "0.4", "+Inf")
CANDIDATE_SHARES = (0.5, 0.9, 1.0, 1.0)  # cumulative share of requests at or below each bound
STABLE_SHARES = (0.9, 1.0, 1.0, 1.0)


def _counter(labels: dict[str, str], per_second: float, *, until: float = END, silent_from: float = math.inf) -> Series:
    """A counter growing by ``per_second`` each second, flat from ``silent_from`` on."""
    times = np.arange(0.0, until + SCRAPE / 2, SCRAPE)
    values = per_second * np.minimum(times, silent_from)
    return Series(tuple(sorted(labels.items())), (times * 1000).astype(np.int64), values)


def _version(service: str, rate: float, failed: float, shares: tuple[float, ...], mean: float, correct: float,
             *, silent_from: float = math.inf) -> list[Series]:
    """The series of one version: ``rate`` requests/s, a ``failed`` share, latency buckets, labelled predictions."""
    series = [
        _counter({"__name__": "http_requests_total", "service": service, "status": "200"}, rate * (1 - failed),
                 silent_from=silent_from),
        _counter({"__name__": "http_requests_total", "service": service, "status": "500"}, rate * failed,
                 silent_from=silent_from),
        _counter({"__name__": "http_request_duration_seconds_sum", "service": service}, rate * mean,
                 silent_from=silent_from),
        _counter({"__name__": "http_request_duration_seconds_count", "service": service}, rate,
                 silent_from=silent_from),
        _counter({"__name__": "model_predictions_total", "service": service, "result": "correct"}, rate * correct,
                 silent_from=silent_from),
        _counter({"__name__": "model_predictions_total", "service": service, "result": "wrong"},
                 rate * (1 - correct), silent_from=silent_from),
    ]
    for bound, share in zip(BOUNDS, shares, strict=True):
        series.append(_counter({"__name__": "http_request_duration_seconds_bucket", "service": service, "le": bound},
                               rate * share, silent_from=silent_from))
    return series


def _prometheus(*, stable_silent_from: float = math.inf) -> SimulatedPrometheus:
    return SimulatedPrometheus(SeriesSet([
        *_version("c", 20.0, 0.05, CANDIDATE_SHARES, 0.12, 0.8),
        *_version("s", 80.0, 0.01, STABLE_SHARES, 0.06, 0.9, silent_from=stable_silent_from),
    ]))


def _value(query: str, prometheus: SimulatedPrometheus | None = None, at: float = END) -> list[float]:
    parse_query(query)  # every query is one the parser takes
    return (prometheus or _prometheus()).query(query, at).values


@pytest.mark.parametrize(("seconds", "written"), [(0.25, "250ms"), (30, "30s"), (90, "90s"), (300, "5m"),
                                                  (3600, "1h"), (5400, "90m")])
def test_a_duration_is_written_in_one_unit(seconds: float, written: str) -> None:
    assert promql.promql_duration(seconds) == written


@pytest.mark.parametrize(("value", "written"), [(0.01, "0.01"), (1e-05, "0.00001"), (1.5, "1.5"), (2000.0, "2000"),
                                                (300, "300")])
def test_a_number_is_written_without_an_exponent(value: float, written: str) -> None:
    assert promql.number(value) == written
    assert float(written) == value


def test_the_figures_are_the_ones_worked_out_by_hand() -> None:
    window = 300.0
    assert _value(promql.error_rate(HTTP_SERIES, CANDIDATE, window)) == pytest.approx([0.05])
    assert _value(promql.request_count(HTTP_SERIES, CANDIDATE, window)) == pytest.approx([20.0 * window])
    # p99 of the candidate: rank 0.99 falls in (0.2, 0.4], 90 % below: 0.2 + 0.2 x (0.99 - 0.9) / 0.1
    assert _value(promql.latency_statistic(HTTP_SERIES, CANDIDATE, window, "p99")) == pytest.approx([0.38])
    # p50 of the stable version: in (0, 0.1], 0.5 / 0.9 of the way up
    assert _value(promql.latency_statistic(HTTP_SERIES, STABLE, window, "p50")) == pytest.approx([0.1 * 0.5 / 0.9])
    assert _value(promql.latency_statistic(HTTP_SERIES, CANDIDATE, window, "mean")) == pytest.approx([0.12])
    assert _value(promql.accuracy(HTTP_SERIES, STABLE, window)) == pytest.approx([0.9])
    assert _value(promql.label_count(HTTP_SERIES, STABLE, window)) == pytest.approx([80.0 * window])


def test_a_version_that_never_failed_has_an_error_rate_of_zero_not_none() -> None:
    perfect = SimulatedPrometheus(SeriesSet([
        _counter({"__name__": "http_requests_total", "service": "c", "status": "200"}, 10.0)]))
    assert _value(promql.error_rate(HTTP_SERIES, CANDIDATE, 60.0), perfect) == pytest.approx([0.0])


def test_a_gate_leaves_the_result_empty_until_it_holds() -> None:
    count = promql.request_count(HTTP_SERIES, CANDIDATE, 60.0)  # 1200 requests a minute
    value = promql.error_rate(HTTP_SERIES, CANDIDATE, 60.0)
    assert _value(promql.guarded(value, [promql.at_least(count, "1200")])) == pytest.approx([0.05])
    assert _value(promql.guarded(value, [promql.at_least(count, "1201")])) == []
    assert _value(promql.guarded(value, [promql.at_least(count, "scalar(vector(1300))")])) == []


def test_a_window_without_traffic_is_empty_not_nan() -> None:
    silent = _prometheus(stable_silent_from=600.0)
    ratio = (f"{promql.latency_statistic(HTTP_SERIES, CANDIDATE, 300.0, 'p99')} / "
             f"{promql.latency_statistic(HTTP_SERIES, STABLE, 300.0, 'p99')}")
    assert all(math.isnan(value) for value in _value(ratio, silent))  # unguarded: NaN, which no check may read
    assert _value(promql.guarded(ratio, []), silent) == []


def test_an_offset_reads_the_window_before_a_change() -> None:
    silent = _prometheus(stable_silent_from=600.0)  # the stable version serves nothing after 600 s
    assert _value(promql.error_rate(HTTP_SERIES, STABLE, 300.0, 600.0), silent) == pytest.approx([0.01])
    assert _value(promql.request_count(HTTP_SERIES, STABLE, 300.0, 600.0), silent) == pytest.approx([80.0 * 300])
    assert _value(promql.request_count(HTTP_SERIES, STABLE, 300.0), silent) == pytest.approx([0.0])


def test_the_larger_of_two_vectors() -> None:
    assert _value(promql.largest("vector(3)", "vector(5)")) == pytest.approx([5.0])
    assert _value(promql.largest("vector(7)", "vector(5)")) == pytest.approx([7.0])


def test_an_unknown_latency_statistic_is_refused() -> None:
    with pytest.raises(ValueError, match="p42"):
        promql.latency_statistic(HTTP_SERIES, CANDIDATE, 60.0, "p42")
