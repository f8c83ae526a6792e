"""The evaluator on a few hand-made series, each answer worked out by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest

from simulator.prometheus import QueryExecutionError, Series, SimulatedPrometheus
from simulator.prometheus.labels import labels_of

GRID = np.arange(0, 601, 15)
"""Scrapes every 15 s from 0 to 600 s."""


def _series(name: str, seconds, values, **labels: str) -> Series:
    return Series(labels_of({"__name__": name, **labels}), np.round(np.asarray(seconds) * 1000).astype(np.int64),
                  np.asarray(values, dtype=float))


def _steps(per_scrape: float) -> np.ndarray:
    return per_scrape * np.arange(len(GRID))


SERIES = [
    _series("requests_total", GRID, _steps(10), app="a", code="200"),
    _series("requests_total", GRID, _steps(1), app="a", code="500"),
    _series("requests_total", GRID, _steps(20), app="b", code="200"),
    _series("requests_total", GRID, _steps(0), app="b", code="500"),
    _series("copy_total", GRID, _steps(10), app="a", code="200"),
    _series("temperature", GRID, np.full(len(GRID), 21.5), room="x"),
    _series("temperature", GRID, np.full(len(GRID), -3.0), room="y"),
    _series("temperature", GRID, np.full(len(GRID), math.nan), room="z"),
    _series("old_total", [70, 85, 100], [1, 2, 3], app="a"),
    _series("humidity", GRID, np.full(len(GRID), math.nan), room="a"),
    _series("humidity", GRID, np.full(len(GRID), math.inf), room="b"),
    _series("humidity", GRID, np.full(len(GRID), 40.0), room="c"),
    _series("humidity", GRID, np.full(len(GRID), math.inf), room="d"),
    *(_series("latency_bucket", GRID, _steps(step), le=le) for le, step in
      (("0.1", 1), ("0.5", 3), ("1", 4), ("+Inf", 5))),
]


@pytest.fixture(scope="module")
def prometheus() -> SimulatedPrometheus:
    return SimulatedPrometheus(SERIES)


def values(prometheus: SimulatedPrometheus, query: str, at: float = 300.0) -> dict[tuple[tuple[str, str], ...], float]:
    result = prometheus.query(query, at)
    assert result.kind == "vector"
    return {sample.labels: sample.value for sample in result.samples}


def scalar(prometheus: SimulatedPrometheus, query: str, at: float = 300.0) -> float:
    result = prometheus.query(query, at)
    assert result.kind == "scalar"
    assert result.scalar is not None
    return result.scalar


def L(**labels: str) -> tuple[tuple[str, str], ...]:  # noqa: N802 (reads as a label set)
    return labels_of(labels)


def R(**labels: str) -> tuple[tuple[str, str], ...]:  # noqa: N802
    return labels_of({"__name__": "requests_total", **labels})


# -- selectors ---------------------------------------------------------------------


def test_an_instant_selector_takes_the_latest_sample_and_keeps_the_name(prometheus) -> None:
    assert values(prometheus, 'requests_total{app="a"}') == {R(app="a", code="200"): 200.0,
                                                             R(app="a", code="500"): 20.0}
    # Between scrapes: the last one before.
    assert values(prometheus, 'requests_total{app="a", code="200"}', at=307.5) == {R(app="a", code="200"): 200.0}


def test_matchers(prometheus) -> None:
    assert set(values(prometheus, 'requests_total{app=~"a|b", code!~"5.."}')) == {R(app="a", code="200"),
                                                                                 R(app="b", code="200")}
    assert values(prometheus, 'requests_total{app=~"a."}') == {}  # a regex matches the whole value
    assert set(values(prometheus, 'requests_total{app!="a"}')) == {R(app="b", code="200"), R(app="b", code="500")}
    assert len(values(prometheus, 'temperature{missing=""}')) == 3  # an absent label has the value ""
    assert len(values(prometheus, 'temperature{room!="x"}')) == 2
    assert len(values(prometheus, '{__name__=~"temp.*", room=~"x|y"}')) == 2
    assert values(prometheus, 'requests_total{code=~"20"}') == {}  # not "200": anchored at both ends
    assert len(values(prometheus, 'requests_total{code!~"20"}')) == 4


def test_the_lookback_is_five_minutes_closed_in_release_2_open_in_3() -> None:
    two, three = SimulatedPrometheus(SERIES), SimulatedPrometheus(SERIES, dialect=3)
    named = labels_of({"__name__": "old_total", "app": "a"})
    assert values(two, "old_total", at=400.0) == {named: 3.0}  # the sample at 100 s is exactly 300 s old
    assert values(three, "old_total", at=400.0) == {}
    assert values(two, "old_total", at=400.001) == {}
    assert values(SimulatedPrometheus(SERIES, lookback=60), "old_total", at=161.0) == {}


def test_offset_moves_the_evaluation_time_back(prometheus) -> None:
    assert values(prometheus, 'requests_total{app="a", code="200"} offset 1m') == {R(app="a", code="200"): 160.0}
    assert values(prometheus, 'increase(requests_total{app="a", code="200"}[1m] offset 1m)', at=360) == {
        L(app="a", code="200"): 40.0}


# -- rate, increase, irate -------------------------------------------------------------


def test_rate_and_increase_drop_the_name(prometheus) -> None:
    # [240, 300] holds 240, 255, 270, 285, 300: 40 in 60 s, no extrapolation needed.
    assert values(prometheus, 'rate(requests_total{app="a", code="200"}[1m])') == {
        L(app="a", code="200"): pytest.approx(40 / 60, rel=1e-15)}
    # At 307.5 s: 255..300, 30 in 45 s, 7.5 s to each edge: extrapolated to 60 s -> 40.
    assert values(prometheus, 'increase(requests_total{app="a", code="200"}[1m])', at=307.5) == {
        L(app="a", code="200"): pytest.approx(40.0, rel=1e-15)}


def test_the_range_window_is_closed_in_release_2_left_open_in_3() -> None:
    # At 300 s, [15s]: release 2 sees the samples at 285 and 300 s, release 3 only the one at 300 s.
    query = 'increase(requests_total{app="a", code="200"}[15s])'
    assert values(SimulatedPrometheus(SERIES), query) == {L(app="a", code="200"): 10.0}  # 285 and 300
    assert values(SimulatedPrometheus(SERIES, dialect=3), query) == {}  # only 300: one sample


def test_irate(prometheus) -> None:
    assert values(prometheus, 'irate(requests_total{app="b", code="200"}[1m])') == {
        L(app="b", code="200"): pytest.approx(20 / 15, rel=1e-15)}


# -- aggregation -------------------------------------------------------------------


def test_aggregations_group_by_and_without(prometheus) -> None:
    assert values(prometheus, "sum by (code) (requests_total)") == {L(code="200"): 600.0, L(code="500"): 20.0}
    assert values(prometheus, "sum without (app) (requests_total)") == {L(code="200"): 600.0, L(code="500"): 20.0}
    assert values(prometheus, "sum(requests_total)") == {(): 620.0}
    assert values(prometheus, "count by (app) (requests_total)") == {L(app="a"): 2.0, L(app="b"): 2.0}
    assert values(prometheus, 'avg(temperature{room!="z"})') == {(): 9.25}
    assert values(prometheus, "min(temperature)") == {(): -3.0}  # NaN never wins over a number
    assert values(prometheus, "max(temperature)") == {(): 21.5}
    assert math.isnan(values(prometheus, 'min(temperature{room="z"})')[()])
    assert math.isnan(values(prometheus, "avg(temperature)")[()])
    assert values(prometheus, "sum by (__name__) (old_total)", at=100) == {L(__name__="old_total"): 3.0}
    # In label order NaN (room a) comes first and gives way to the numbers; +Inf (rooms b, d) stays the mean.
    assert values(prometheus, "max(humidity)") == {(): math.inf}
    assert values(prometheus, "min(humidity)") == {(): 40.0}
    assert values(prometheus, 'avg(humidity{room!="a"})') == {(): math.inf}


def test_an_aggregation_of_nothing_is_an_empty_vector(prometheus) -> None:
    result = prometheus.query("sum(rate(nothing_total[5m]))", 300)
    assert result.kind == "vector" and result.empty and result.values == [] and result.scalar is None


# -- operators -------------------------------------------------------------------------


def test_vector_arithmetic_matches_on_all_labels_but_the_name(prometheus) -> None:
    ratio = values(prometheus, "requests_total / requests_total")
    assert ratio[L(app="a", code="200")] == 1.0 and math.isnan(ratio[L(app="b", code="500")])  # 0 / 0
    assert values(prometheus, 'requests_total{code="500"} / ignoring(code) requests_total{code="200"}') == {
        L(app="a"): pytest.approx(0.1, rel=1e-15), L(app="b"): 0.0}
    assert values(prometheus, 'sum by (app) (requests_total) / on(app) requests_total{code="200"}') == {
        L(app="a"): pytest.approx(1.1, rel=1e-15), L(app="b"): 1.0}
    assert values(prometheus, 'requests_total{code="200"} - nothing') == {}
    # Matching ignores the metric name: requests_total meets copy_total.
    assert values(prometheus, 'requests_total{code="200"} / ignoring(code) copy_total') == {L(app="a"): 1.0}


def test_comparisons_filter_and_keep_the_name_unless_bool(prometheus) -> None:
    assert values(prometheus, "requests_total > 100") == {R(app="a", code="200"): 200.0, R(app="b", code="200"): 400.0}
    assert values(prometheus, "100 < requests_total") == {R(app="a", code="200"): 200.0,
                                                         R(app="b", code="200"): 400.0}
    assert values(prometheus, "requests_total > bool 100") == {
        L(app="a", code="200"): 1.0, L(app="a", code="500"): 0.0, L(app="b", code="200"): 1.0,
        L(app="b", code="500"): 0.0}
    assert values(prometheus, 'requests_total{code="200"} > on(app) requests_total{code="500"}') == {
        L(app="a"): 200.0, L(app="b"): 400.0}
    assert values(prometheus, 'requests_total{code="200"} == ignoring(code) requests_total{code="500"}') == {}
    assert values(prometheus, 'requests_total{code="200"} >= ignoring(code) requests_total{code="500"}') == {
        labels_of({"__name__": "requests_total", "app": "a"}): 200.0,
        labels_of({"__name__": "requests_total", "app": "b"}): 400.0}
    assert values(prometheus, 'temperature != 21.5') == {
        labels_of({"__name__": "temperature", "room": "y"}): -3.0,
        labels_of({"__name__": "temperature", "room": "z"}): pytest.approx(math.nan, nan_ok=True)}


def test_scalar_on_the_left(prometheus) -> None:
    assert values(prometheus, '100 - requests_total{app="a"}') == {L(app="a", code="200"): -100.0,
                                                                    L(app="a", code="500"): 80.0}
    assert values(prometheus, '-requests_total{app="a", code="500"}') == {L(app="a", code="500"): -20.0}


@pytest.mark.parametrize(("query", "expected"), [
    ("2 ^ 3 ^ 2", 512.0), ("(1 + 2) * 3", 9.0), ("-2 ^ 2", -4.0), ("-7 % 3", -1.0), ("7.5 % -2", 1.5),
    ("1 / 0", math.inf), ("-1 / 0", -math.inf), ("0 ^ -1", math.inf), ("1 > bool 2", 0.0), ("2 >= bool 2", 1.0),
    ("10 - 4 - 3", 3.0),
])
def test_scalar_arithmetic_as_go_computes_it(prometheus, query: str, expected: float) -> None:
    assert scalar(prometheus, query) == expected


@pytest.mark.parametrize("query", ["0 / 0", "5 % 0", "NaN + 1", "Inf - Inf", "Inf % 2"])
def test_scalar_arithmetic_that_gives_nan(prometheus, query: str) -> None:
    assert math.isnan(scalar(prometheus, query))


def test_one_to_one_matching_errors(prometheus) -> None:
    with pytest.raises(QueryExecutionError, match="duplicate series for the match group"):
        prometheus.query('requests_total{code="200"} + on() requests_total{code="500"}', 300)
    with pytest.raises(QueryExecutionError, match="multiple matches for labels"):
        prometheus.query("requests_total + on(code) sum by (code) (requests_total)", 300)
    with pytest.raises(QueryExecutionError, match="same labelset"):
        prometheus.query('{__name__=~"requests_total|copy_total", app="a", code="200"} * 2', 300)
    with pytest.raises(QueryExecutionError, match="same labelset"):
        prometheus.query('rate({__name__=~"requests_total|copy_total", app="a", code="200"}[1m])', 300)
    # Comparisons without bool keep the name, so the two series stay apart.
    assert len(values(prometheus, '{__name__=~"requests_total|copy_total", app="a", code="200"} > 0')) == 2


# -- functions ---------------------------------------------------------------------------


def test_scalar_and_vector(prometheus) -> None:
    assert math.isnan(scalar(prometheus, "scalar(requests_total)"))  # four elements
    assert scalar(prometheus, "scalar(sum(requests_total))") == 620.0
    assert math.isnan(scalar(prometheus, "scalar(nothing)"))
    assert values(prometheus, "vector(2) * 3") == {(): 6.0}


def test_clamp(prometheus) -> None:
    clamped = values(prometheus, "clamp_min(temperature, 0)")
    assert clamped[L(room="x")] == 21.5 and clamped[L(room="y")] == 0.0 and math.isnan(clamped[L(room="z")])
    assert values(prometheus, 'clamp_max(temperature{room!="z"}, 0)') == {L(room="x"): 0.0, L(room="y"): -3.0}


def test_histogram_quantile_of_rates(prometheus) -> None:
    # Rates in proportion 1 : 3 : 4 : 5; the median's rank 2.5 falls in (0.1, 0.5] with 1.5 of its 2.
    assert values(prometheus, "histogram_quantile(0.5, rate(latency_bucket[1m]))") == {
        (): pytest.approx(0.1 + 0.4 * 1.5 / 2, rel=1e-12)}
    assert values(prometheus, "histogram_quantile(0.99, latency_bucket)") == {(): 1.0}  # in +Inf
    assert values(prometheus, "histogram_quantile(0.5, requests_total)") == {}  # no le label: no buckets
