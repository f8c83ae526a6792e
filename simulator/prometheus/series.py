"""Time series as a Prometheus stores them, and where the evaluator gets them from.

A :class:`Series` is one label set (metric name included) with samples at
integer millisecond timestamps, as Prometheus keeps them. A
:class:`MetricFamily` groups the series of one metric with its type, as an
exposition format does. Anything with a ``select`` method
(:class:`SeriesSource`) can feed the evaluator; :class:`SeriesSet` is the
in-memory one, and :class:`~simulator.prometheus.exposition.MonitoringSource`
builds the series of a run on demand.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

import numpy as np

from simulator.prometheus.labels import METRIC_NAME, LabelMatcher, Labels, get

__all__ = ["Series", "MetricFamily", "SeriesSource", "SeriesSet", "sample_names"]

MetricType = Literal["counter", "histogram", "gauge"]


@dataclass(frozen=True, slots=True, eq=False)
class Series:
    """One series: its label set (``__name__`` included) and samples.

    ``timestamps`` are integer milliseconds, strictly increasing; ``values``
    the sample values at them (float64).
    """

    labels: Labels
    timestamps: np.ndarray
    values: np.ndarray

    def __post_init__(self) -> None:
        timestamps = np.asarray(self.timestamps, dtype=np.int64)
        values = np.asarray(self.values, dtype=np.float64)
        if timestamps.shape != values.shape or timestamps.ndim != 1:
            raise ValueError(f"series {self.labels}: {timestamps.shape} timestamps but {values.shape} values; "
                             "expected one value per timestamp")
        if len(timestamps) > 1 and not np.all(np.diff(timestamps) > 0):
            raise ValueError(f"series {self.labels}: timestamps not strictly increasing")
        if not get(self.labels, METRIC_NAME):
            raise ValueError(f"series {self.labels} has no {METRIC_NAME} label; expected a metric name")
        object.__setattr__(self, "timestamps", timestamps)
        object.__setattr__(self, "values", values)

    @property
    def name(self) -> str:
        """The metric name."""
        return get(self.labels, METRIC_NAME)


def sample_names(family: str, kind: MetricType) -> tuple[str, ...]:
    """Names the samples of a family carry: ``x_total`` for a counter ``x``; ``_bucket``, ``_sum``, ``_count``."""
    if kind == "counter":
        return (f"{family}_total",)
    if kind == "histogram":
        return (f"{family}_bucket", f"{family}_sum", f"{family}_count")
    return (family,)


@dataclass(frozen=True, slots=True)
class MetricFamily:
    """The series of one metric, with its OpenMetrics type and help text.

    ``name`` is the family name: without ``_total`` for a counter, without
    ``_bucket``/``_sum``/``_count`` for a histogram.
    """

    name: str
    type: MetricType
    help: str
    series: tuple[Series, ...]

    def __post_init__(self) -> None:
        allowed = sample_names(self.name, self.type)
        for series in self.series:
            if series.name not in allowed:
                raise ValueError(f"series {series.name!r} in {self.type} family {self.name!r}; "
                                 f"expected one of {', '.join(allowed)}")


class SeriesSource(Protocol):
    """Where the evaluator reads series from."""

    def select(self, matchers: Sequence[LabelMatcher], until: int) -> list[Series]:
        """Series satisfying every matcher, sorted by label set.

        The evaluator reads no sample later than ``until`` (milliseconds); a
        source may leave later ones out, or keep them.
        """
        ...


class SeriesSet:
    """A fixed set of series (implements :class:`SeriesSource`), indexed by metric name."""

    def __init__(self, series: Iterable[Series | MetricFamily]) -> None:
        by_name: dict[str, list[Series]] = {}
        seen: set[Labels] = set()
        for item in series:
            for one in item.series if isinstance(item, MetricFamily) else (item,):
                if one.labels in seen:
                    raise ValueError(f"two series with the label set {one.labels}; expected each once")
                seen.add(one.labels)
                by_name.setdefault(one.name, []).append(one)
        self._by_name = {name: sorted(found, key=lambda s: s.labels) for name, found in by_name.items()}

    def __len__(self) -> int:
        return sum(len(found) for found in self._by_name.values())

    def __iter__(self) -> Iterator[Series]:
        for name in sorted(self._by_name):
            yield from self._by_name[name]

    def select(self, matchers: Sequence[LabelMatcher], until: int) -> list[Series]:
        """Series satisfying every matcher, sorted by label set (``until`` is not needed here)."""
        names = [name for name in self._by_name
                 if all(m.matches(name) for m in matchers if m.name == METRIC_NAME)]
        chosen = [s for name in names for s in self._by_name[name]
                  if all(m.selects(s.labels) for m in matchers if m.name != METRIC_NAME)]
        return sorted(chosen, key=lambda s: s.labels)
