"""OpenMetrics text of a few series, exactly."""

from __future__ import annotations

import math

import numpy as np
import pytest

from simulator.prometheus import MetricFamily, Series, render_openmetrics
from simulator.prometheus.labels import labels_of
from simulator.prometheus.openmetrics import format_value


def _series(name: str, stamps_ms, values, **labels: str) -> Series:
    return Series(labels_of({"__name__": name, **labels}), np.array(stamps_ms, dtype=np.int64),
                  np.array(values, dtype=float))


def test_families_with_types_timestamps_shifted_and_eof() -> None:
    families = [
        MetricFamily("http_requests", "counter", "Requests.", (
            _series("http_requests_total", [15_000, 30_500], [3, 7], service="a", status="200"),)),
        MetricFamily("latency_seconds", "histogram", "Latency, seconds.", (
            _series("latency_seconds_bucket", [15_000], [1], le="0.1"),
            _series("latency_seconds_bucket", [15_000], [2], le="+Inf"),
            _series("latency_seconds_sum", [15_000], [0.30000000000000004]),
            _series("latency_seconds_count", [15_000], [2]))),
        MetricFamily("nothing", "gauge", "No series: left out.", ()),
        MetricFamily("odd", "gauge", 'Quotes " and \\ escaped.', (
            _series("odd", [0], [math.nan], text='say "hi"\\'),)),
    ]
    assert render_openmetrics(families, epoch=1_700_000_000) == (
        "# TYPE http_requests counter\n"
        "# HELP http_requests Requests.\n"
        'http_requests_total{service="a",status="200"} 3 1700000015\n'
        'http_requests_total{service="a",status="200"} 7 1700000030.500\n'
        "# TYPE latency_seconds histogram\n"
        "# HELP latency_seconds Latency, seconds.\n"
        'latency_seconds_bucket{le="0.1"} 1 1700000015\n'
        'latency_seconds_bucket{le="+Inf"} 2 1700000015\n'
        "latency_seconds_sum 0.30000000000000004 1700000015\n"
        "latency_seconds_count 2 1700000015\n"
        "# TYPE odd gauge\n"
        '# HELP odd Quotes \\" and \\\\ escaped.\n'  # OpenMetrics escapes help text as label values
        'odd{text="say \\"hi\\"\\\\"} NaN 1700000000\n'
        "# EOF\n"
    )


@pytest.mark.parametrize(("value", "text"), [
    (3.0, "3"), (-2.0, "-2"), (0.1, "0.1"), (1e300, "1e+300"), (math.inf, "+Inf"), (-math.inf, "-Inf"),
    (2.0 ** 60, "1.152921504606847e+18"),
])
def test_values_read_back_exactly(value: float, text: str) -> None:
    assert format_value(value) == text
    assert float(text) == value


def test_a_family_refuses_series_of_another_name() -> None:
    with pytest.raises(ValueError, match="expected one of http_requests_total"):
        MetricFamily("http_requests", "counter", "", (_series("http_requests", [0], [1]),))
    with pytest.raises(ValueError, match="not strictly increasing"):
        _series("x", [10, 10], [1, 2])
