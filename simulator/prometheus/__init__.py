"""A simulated Prometheus: a run's metrics as scraped series, queried with PromQL.

* :class:`SimulatedPrometheus` answers instant queries at a simulated time
  (:meth:`~SimulatedPrometheus.query` returns a :class:`QueryResult`);
  :meth:`SimulatedPrometheus.from_monitoring` builds it over a run's
  ``MonitoringSeries`` with the Services in front of each version.
* :func:`parse_query` checks a query up front (a manifest's, before a run).
* :class:`MonitoringSource` gives the run's series as :class:`MetricFamily`
  objects; :func:`render_openmetrics` writes them for a real Prometheus.

Names are imported on first use, so importing this package loads neither
numpy-heavy modules nor the PromQL parser until they are needed. See
docs/prometheus.md for the metrics, the PromQL supported and how exact it is.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from simulator.lazy_names import lazy_names

if TYPE_CHECKING:
    from simulator.prometheus.errors import (
        PromQLError,
        PromQLSyntaxError,
        QueryExecutionError,
        UnsupportedPromQLError,
    )
    from simulator.prometheus.exposition import METRIC_FAMILIES, MonitoringCounters, MonitoringSource
    from simulator.prometheus.labels import LabelMatcher, Labels
    from simulator.prometheus.openmetrics import render_openmetrics
    from simulator.prometheus.promql import AGGREGATIONS, FUNCTIONS, ParsedQuery, parse_query
    from simulator.prometheus.series import MetricFamily, Series, SeriesSet, SeriesSource
    from simulator.prometheus.server import QueryResult, Sample, SimulatedPrometheus

__all__ = [
    "SimulatedPrometheus",
    "QueryResult",
    "Sample",
    "parse_query",
    "ParsedQuery",
    "FUNCTIONS",
    "AGGREGATIONS",
    "MonitoringSource",
    "MonitoringCounters",
    "METRIC_FAMILIES",
    "Series",
    "SeriesSet",
    "SeriesSource",
    "MetricFamily",
    "Labels",
    "LabelMatcher",
    "render_openmetrics",
    "PromQLError",
    "PromQLSyntaxError",
    "UnsupportedPromQLError",
    "QueryExecutionError",
]

_ORIGINS = {
    "SimulatedPrometheus": "simulator.prometheus.server",
    "QueryResult": "simulator.prometheus.server",
    "Sample": "simulator.prometheus.server",
    "parse_query": "simulator.prometheus.promql",
    "ParsedQuery": "simulator.prometheus.promql",
    "FUNCTIONS": "simulator.prometheus.promql",
    "AGGREGATIONS": "simulator.prometheus.promql",
    "MonitoringSource": "simulator.prometheus.exposition",
    "MonitoringCounters": "simulator.prometheus.exposition",
    "METRIC_FAMILIES": "simulator.prometheus.exposition",
    "Series": "simulator.prometheus.series",
    "SeriesSet": "simulator.prometheus.series",
    "SeriesSource": "simulator.prometheus.series",
    "MetricFamily": "simulator.prometheus.series",
    "Labels": "simulator.prometheus.labels",
    "LabelMatcher": "simulator.prometheus.labels",
    "render_openmetrics": "simulator.prometheus.openmetrics",
    "PromQLError": "simulator.prometheus.errors",
    "PromQLSyntaxError": "simulator.prometheus.errors",
    "UnsupportedPromQLError": "simulator.prometheus.errors",
    "QueryExecutionError": "simulator.prometheus.errors",
}

__getattr__, __dir__ = lazy_names(__name__, globals(), _ORIGINS, __all__)
