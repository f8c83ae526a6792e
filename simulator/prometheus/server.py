"""The simulated Prometheus: series of a run, queried with PromQL at a simulated time.

A :class:`SimulatedPrometheus` built with :meth:`SimulatedPrometheus.from_monitoring`
over a run's ``MonitoringSeries`` and the Services in front of each version
answers ``query(promql, at=seconds)`` with a :class:`QueryResult`: a vector
(possibly empty) or a scalar. Times are simulated seconds from the start of
the run; Prometheus's millisecond timestamps are the same instants times 1000.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from simulator.prometheus.evaluator import evaluate
from simulator.prometheus.exposition import MonitoringCounters, MonitoringSource
from simulator.prometheus.labels import Labels
from simulator.prometheus.promql import parse_query
from simulator.prometheus.series import MetricFamily, Series, SeriesSet, SeriesSource

__all__ = ["SimulatedPrometheus", "QueryResult", "Sample"]


@dataclass(frozen=True, slots=True)
class Sample:
    """One element of an instant vector: its label set and value."""

    labels: Labels
    value: float

    @property
    def metric(self) -> dict[str, str]:
        """The label set as a dict (what Prometheus's HTTP API calls ``metric``)."""
        return dict(self.labels)


@dataclass(frozen=True, slots=True)
class QueryResult:
    """The value of a query at ``time`` (simulated seconds).

    ``kind`` is ``"vector"`` (``samples`` sorted by label set, possibly
    none) or ``"scalar"`` (one sample without labels).
    """

    query: str
    time: float
    kind: Literal["vector", "scalar"]
    samples: tuple[Sample, ...]

    @property
    def values(self) -> list[float]:
        """The sample values, in label-set order."""
        return [sample.value for sample in self.samples]

    @property
    def empty(self) -> bool:
        """Whether the result is an empty vector (no series matched, or none survived)."""
        return self.kind == "vector" and not self.samples

    @property
    def scalar(self) -> float | None:
        """The value of a scalar result, or of a one-element vector; ``None`` otherwise."""
        return self.samples[0].value if len(self.samples) == 1 else None


class SimulatedPrometheus:
    """A PromQL endpoint over simulated series (instant queries only).

    ``lookback`` (seconds) is how old a sample an instant selector still
    takes (Prometheus's ``--query.lookback-delta``, 5 minutes by default);
    ``dialect`` the Prometheus release line whose rules apply where they
    differ (2: closed windows ``[t - d, t]`` and the 2.x rate extrapolation,
    as the real server the tests compare against; 3: left-open windows and
    the current rate and quantile rules).
    """

    def __init__(self, source: SeriesSource | Iterable[Series | MetricFamily], *, lookback: float = 300.0,
                 dialect: int = 2) -> None:
        if dialect not in (2, 3):
            raise ValueError(f"dialect {dialect!r}; expected 2 or 3 (the Prometheus release line)")
        if not lookback > 0:
            raise ValueError(f"lookback {lookback!r} s; expected a positive number of seconds")
        if isinstance(source, (SeriesSet, MonitoringSource)) or hasattr(source, "select"):
            self.source: SeriesSource = source  # type: ignore[assignment]
        else:
            self.source = SeriesSet(source)  # type: ignore[arg-type]
        self.lookback = float(lookback)
        self.dialect = dialect

    @classmethod
    def from_monitoring(
        cls,
        counters: MonitoringCounters,
        services: Mapping[str, Sequence[str]] | None = None,
        *,
        namespace: str = "default",
        workloads: Mapping[str, str] | None = None,
        outages: Sequence[tuple[float, float]] = (),
        initialise_labels: bool = False,
        lookback: float = 300.0,
        dialect: int = 2,
    ) -> SimulatedPrometheus:
        """A Prometheus scraping a run's counters (see :class:`~simulator.prometheus.exposition.MonitoringSource`).

        ``counters`` is the run's ``MonitoringSeries`` (it may still be
        filling); ``services`` maps each version to the Services in front
        of it.
        """
        source = MonitoringSource(counters, services, namespace=namespace, workloads=workloads, outages=outages,
                                  initialise_labels=initialise_labels)
        return cls(source, lookback=lookback, dialect=dialect)

    def query(self, query: str, at: float) -> QueryResult:
        """Evaluate ``query`` at simulated time ``at`` (seconds), as Prometheus's instant query does.

        Raises :class:`~simulator.prometheus.errors.PromQLError` for a query
        that does not parse or uses what is not implemented, and
        :class:`~simulator.prometheus.errors.QueryExecutionError` where
        Prometheus fails the query on its data.
        """
        if not math.isfinite(at):
            raise ValueError(f"query time {at!r}; expected a finite number of seconds")
        parsed = parse_query(query)
        value = evaluate(parsed, self.source, int(round(at * 1000)), lookback=int(round(self.lookback * 1000)),
                         dialect=self.dialect)
        if isinstance(value, float):
            return QueryResult(query, float(at), "scalar", (Sample((), value),))
        samples = tuple(Sample(labels, number) for labels, number in sorted(value, key=lambda item: item[0]))
        return QueryResult(query, float(at), "vector", samples)
