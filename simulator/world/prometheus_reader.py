"""What a strategy's PromQL queries see: the simulated Prometheus over the run's monitoring counters.

A strategy run from manifests (Argo Rollouts' AnalysisTemplates, Flagger's metrics) measures by
querying Prometheus. :class:`PrometheusView` answers such a query at the
observation's time, over the series a scrape of the run's counters holds
(:mod:`simulator.prometheus`), with the Services that carry each version, and
the scenario's metrics outages as gaps. Queries are evaluated at
``now - monitoring.delay``: what a query would see once the scrapes have
arrived.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from simulator.observations import QueryFailure

if TYPE_CHECKING:
    from simulator.prometheus import SimulatedPrometheus
    from simulator.world.metrics import MonitoringSeries

__all__ = ["PrometheusView", "simulated_prometheus"]


def simulated_prometheus(series: MonitoringSeries, services: Mapping[str, Sequence[str]],
                         outages: Sequence[tuple[float, float]], *, namespace: str = "default",
                         workloads: Mapping[str, str] | None = None) -> SimulatedPrometheus:
    """The Prometheus of one run: ``services`` maps a version to the Kubernetes Services that carry it,
    ``workloads`` to its Deployment (Istio's ``destination_workload``), in ``namespace``."""
    from simulator.prometheus import SimulatedPrometheus

    return SimulatedPrometheus.from_monitoring(series, services, namespace=namespace, workloads=workloads,
                                               outages=outages)


class PrometheusView:
    """The simulated Prometheus as of ``now`` (seconds), for :attr:`Observation.prometheus`."""

    def __init__(self, prometheus: SimulatedPrometheus, now: float, delay: float) -> None:
        self._prometheus = prometheus
        self._at = max(0.0, now - delay)

    def query(self, query: str) -> float | list[float] | QueryFailure:
        """A scalar's value, a vector's values (``[]`` when nothing matched), or the failure of the query."""
        from simulator.prometheus import QueryExecutionError

        try:
            result = self._prometheus.query(query, self._at)
        except QueryExecutionError as error:
            return QueryFailure(str(error))
        if result.kind == "scalar":
            return float(result.values[0])
        return [float(value) for value in result.values]
