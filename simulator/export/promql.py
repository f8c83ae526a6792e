"""PromQL building blocks: the figures our rollback rules read, as queries over a monitoring stack's series.

Each rule of :class:`~simulator.scenario.rollback_thresholds.RollbackThresholds`
compares figures of one window: the candidate's error rate, a latency
statistic, the accuracy of labelled predictions, request and label counts.
Here each figure is a PromQL expression over the series a cluster exposes
(and the simulated Prometheus holds, see ``docs/prometheus.md``):

* **requests** ``<requests>{...}`` by status (``http_requests_total`` with
  ``status``, or Istio's ``istio_requests_total`` with ``response_code``);
  the error rate is ``1 - success / all``, so that a version that never
  failed (no series for any error status yet) still has a rate of 0;
* **latency** from the histogram ``<latency>_bucket`` (a quantile by
  ``histogram_quantile``) or ``_sum / _count`` (the mean), in the
  histogram's unit (seconds, or Istio's milliseconds);
* **accuracy** from ``model_predictions_total{result="correct"|"wrong"}``,
  counted when a label arrives, as the monitoring view counts it.

Every figure is an aggregate without labels (``sum(...)``), so that two
figures combine one-to-one and a query has a single value. :func:`guarded`
turns a figure into a query whose result is empty unless its gates hold
(enough requests on each side) and the value is not NaN: an empty result is
how a query says "no data", which the manifest's conditions then treat as
the scenario's ``onInconclusive`` says.

Durations are written as PromQL writes them, one unit each (``90s``,
``5m``, ``2h``, ``250ms``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal

__all__ = ["SeriesNames", "Side", "HTTP_SERIES", "ISTIO_SERIES", "promql_duration", "number", "request_count",
           "error_rate", "latency_statistic", "accuracy", "label_count", "at_least", "guarded", "largest",
           "QUANTILES"]

QUANTILES = {"p50": 0.5, "p90": 0.9, "p95": 0.95, "p99": 0.99}
"""Our latency statistics that are quantiles, and their ``histogram_quantile`` argument."""


@dataclass(frozen=True, slots=True, kw_only=True)
class SeriesNames:
    """How a monitoring stack names the series the rules read.

    ``requests`` is a counter of requests by status, ``success`` the
    matcher of the successful ones; ``latency`` the base name of a latency
    histogram (``_bucket``, ``_sum``, ``_count``) whose unit is
    ``latency_unit`` (``s`` or ``ms``); ``predictions`` a counter of
    labelled predictions by ``result``.
    """

    requests: str
    success: str
    latency: str
    latency_unit: str
    predictions: str = "model_predictions_total"

    @property
    def seconds_per_unit(self) -> float:
        """Seconds in one unit of the latency histogram."""
        return 0.001 if self.latency_unit == "ms" else 1.0


HTTP_SERIES = SeriesNames(requests="http_requests_total", success='status="200"',
                          latency="http_request_duration_seconds", latency_unit="s")
"""The application's own series, by Kubernetes Service (``service`` label)."""

ISTIO_SERIES = SeriesNames(requests="istio_requests_total", success='response_code="200"',
                           latency="istio_request_duration_milliseconds", latency_unit="ms")
"""Istio's standard series, by workload (``destination_workload``)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Side:
    """One version's series: the label matchers of its requests and latency, and of its predictions."""

    matchers: str
    prediction_matchers: str


def promql_duration(seconds: float) -> str:
    """``seconds`` as a PromQL duration in one unit: ``250ms``, ``90s``, ``5m``, ``2h``."""
    if not math.isfinite(seconds) or seconds <= 0:
        raise ValueError(f"expected a duration above 0 seconds, got {seconds!r}")
    milliseconds = round(seconds * 1000)
    for unit, size in (("h", 3_600_000), ("m", 60_000), ("s", 1000)):
        if milliseconds % size == 0:
            return f"{milliseconds // size}{unit}"
    return f"{milliseconds}ms"


def number(value: float) -> str:
    """``value`` as a decimal literal without an exponent, exactly (the shortest digits that read back to it).

    PromQL and Argo's condition language both read it: ``0.01``, ``1.5``, ``2000``, ``0.00001``.
    """
    if not math.isfinite(value):
        raise ValueError(f"expected a finite number, got {value!r}")
    if float(value).is_integer():
        return str(int(value))
    return format(Decimal(repr(float(value))), "f")


def _series(metric: str, *matchers: str) -> str:
    return f"{metric}{{{', '.join(matcher for matcher in matchers if matcher)}}}"


def _range(window: float, offset: float) -> str:
    """``[5m]``, or ``[5m] offset 10m`` for a window that ended ``offset`` seconds ago."""
    written = f"[{promql_duration(window)}]"
    return f"{written} offset {promql_duration(offset)}" if offset > 0 else written


def _rate(metric: str, matchers: tuple[str, ...], window: float, offset: float) -> str:
    return f"rate({_series(metric, *matchers)}{_range(window, offset)})"


def request_count(names: SeriesNames, side: Side, window: float, offset: float = 0.0) -> str:
    """Requests ``side`` answered (any status) over ``window`` seconds that ended ``offset`` seconds ago."""
    return f"sum(increase({_series(names.requests, side.matchers)}{_range(window, offset)}))"


def error_rate(names: SeriesNames, side: Side, window: float, offset: float = 0.0) -> str:
    """Share of ``side``'s requests over the window not answered with a success, 0-1."""
    succeeded = _rate(names.requests, (side.matchers, names.success), window, offset)
    answered = _rate(names.requests, (side.matchers,), window, offset)
    return f"(1 - sum({succeeded}) / sum({answered}))"


def latency_statistic(names: SeriesNames, side: Side, window: float, statistic: str, offset: float = 0.0) -> str:
    """``statistic`` (``mean``, ``p50``, ``p90``, ``p95``, ``p99``) of ``side``'s latency, in histogram units."""
    if statistic == "mean":
        total = _rate(f"{names.latency}_sum", (side.matchers,), window, offset)
        count = _rate(f"{names.latency}_count", (side.matchers,), window, offset)
        return f"(sum({total}) / sum({count}))"
    if statistic not in QUANTILES:
        raise ValueError(f"expected a latency statistic among mean, {', '.join(QUANTILES)}; got {statistic!r}")
    buckets = _rate(f"{names.latency}_bucket", (side.matchers,), window, offset)
    return f"histogram_quantile({number(QUANTILES[statistic])}, sum by (le) ({buckets}))"


def accuracy(names: SeriesNames, side: Side, window: float, offset: float = 0.0) -> str:
    """Share of ``side``'s labelled predictions that were correct (labels arrived in the window), 0-1."""
    correct = _rate(names.predictions, (side.prediction_matchers, 'result="correct"'), window, offset)
    labelled = _rate(names.predictions, (side.prediction_matchers,), window, offset)
    return f"(sum({correct}) / sum({labelled}))"


def label_count(names: SeriesNames, side: Side, window: float, offset: float = 0.0) -> str:
    """Labels of ``side``'s predictions that arrived over the window."""
    return f"sum(increase({_series(names.predictions, side.prediction_matchers)}{_range(window, offset)}))"


def at_least(count: str, minimum: str) -> str:
    """A gate: ``count`` (a one-element vector) kept where it is at least ``minimum`` (a number or ``scalar(...)``)."""
    return f"({count} >= {minimum})"


def largest(first: str, second: str) -> str:
    """The larger of two one-element vectors (``clamp_min(a - b, 0) + b``: PromQL has no max of two vectors)."""
    return f"(clamp_min({first} - {second}, 0) + {second})"


def guarded(value: str, gates: list[str]) -> str:
    """``value`` where every gate holds and the value is a number; otherwise an empty result.

    Each gate is a filtering comparison: when it drops its element, the sum
    ``value + 0 * gate`` has nothing to match and the result is empty. The
    final ``>= -Inf`` drops a NaN (0/0 over a window without data), which
    every comparison treats as false.
    """
    lines = [value, *(f"+ 0 * {gate}" for gate in gates)]
    body = "\n  ".join(lines)
    return f"(\n  {body}\n) >= -Inf"
