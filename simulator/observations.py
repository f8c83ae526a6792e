"""What a strategy sees: frozen observations of the deployment and its metrics.

These are plain data. A strategy reads them and returns commands
(:mod:`simulator.commands`); it never reads the world's truth.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal, Protocol

import numpy as np

__all__ = [
    "WindowStats",
    "MetricSeries",
    "MetricsReader",
    "QueryFailure",
    "PrometheusReader",
    "JobRunner",
    "DeploymentStatus",
    "SmokeTestResult",
    "ModelTestResult",
    "TestSuiteResult",
    "Observation",
]


@dataclass(frozen=True, slots=True, kw_only=True)
class WindowStats:
    """Metrics of one version over one window, as the monitoring stack reports them.

    ``start`` and ``end`` are the scrape times bounding the window (seconds);
    ``staleness`` is how old the newest delivered scrape is (seconds). Rates
    are fractions 0-1, latencies seconds; ``None`` where there is no data.
    ``utilisation`` is the share of the version's slots (ready replicas x
    concurrency) busy over the window, 0-1, from the model servers' service
    time counters over the slot-seconds readiness reports;
    ``queue_wait_mean`` the mean time its completed services waited in the
    queue, seconds.

    ``latency_mean_variance`` is the variance of ``latency_mean`` (s²)
    estimated across the window's ``latency_intervals`` scrape intervals
    with latency samples: each interval's latency sum against its count (the
    cluster-robust, or delta-method, variance of a ratio of sums). Requests
    queued together wait together, so their latencies are correlated, and
    ``latency_std`` over the request count understates that variance under
    load; intervals much longer than a queue's memory are close to
    independent. ``None`` with fewer than two such intervals.
    """

    version: str
    start: float
    end: float
    staleness: float
    requests: int
    failed: int
    latency_mean: float | None
    latency_std: float | None
    latency_p50: float | None
    latency_p90: float | None
    latency_p95: float | None
    latency_p99: float | None
    labelled: int
    correct: int
    latency_samples: int = 0
    shadow_compared: int = 0
    shadow_disagreements: int = 0
    utilisation: float | None = None
    queue_wait_mean: float | None = None
    latency_mean_variance: float | None = None
    latency_intervals: int = 0

    @property
    def divergence(self) -> float | None:
        """Share of shadow predictions that differed from production's, or ``None`` without any."""
        return self.shadow_disagreements / self.shadow_compared if self.shadow_compared else None

    @property
    def has_data(self) -> bool:
        """Whether the window holds at least one request."""
        return self.requests > 0

    @property
    def error_rate(self) -> float | None:
        """Failed / requests, or ``None`` without requests."""
        return self.failed / self.requests if self.requests else None

    @property
    def accuracy(self) -> float | None:
        """Correct / labelled predictions, or ``None`` without labels."""
        return self.correct / self.labelled if self.labelled else None

    def latency(self, metric: str) -> float | None:
        """The latency statistic ``metric`` (``mean``, ``p50``, ``p90``, ``p95``, ``p99``), seconds."""
        value = getattr(self, f"latency_{metric}")
        return None if value is None or math.isnan(value) else value

    @classmethod
    def empty(cls, version: str, staleness: float = math.inf) -> WindowStats:
        """A window without any data."""
        return cls(
            version=version, start=math.nan, end=math.nan, staleness=staleness, requests=0, failed=0,
            latency_mean=None, latency_std=None, latency_p50=None, latency_p90=None, latency_p95=None, latency_p99=None,
            labelled=0, correct=0,
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class MetricSeries:
    """One version's metrics per scrape interval over a window (arrays of equal length).

    Intervals without requests hold NaN rates and latencies; ``accuracy`` is
    NaN where no label arrived.
    """

    version: str
    requests: np.ndarray
    error_rate: np.ndarray
    latency_p50: np.ndarray
    latency_p99: np.ndarray
    labelled: np.ndarray
    accuracy: np.ndarray


class MetricsReader(Protocol):
    """Read-only access to monitoring data as of the observation time.

    ``scrape_interval`` is seconds between scrapes; ``label_delay`` how long
    after a response its label arrives, seconds (a known property of the
    labelling pipeline, as an operator would know it).
    """

    scrape_interval: float
    label_delay: float

    def window(self, version: str, duration: float, quantiles: bool = True) -> WindowStats:
        """``version``'s metrics over the last ``duration`` seconds of delivered scrapes.

        With ``quantiles=False`` the latency quantiles are left out (cheaper).
        """
        ...

    def window_since(self, version: str, since: float, quantiles: bool = True) -> WindowStats:
        """``version``'s metrics from the first scrape at or after ``since`` (seconds) to the newest."""
        ...

    def users_since(self, version: str, since: float) -> int:
        """Distinct users ``version`` has answered since ``since`` (seconds), from experiment logs."""
        ...

    def series(self, version: str, duration: float) -> MetricSeries:
        """``version``'s metrics per scrape interval over the last ``duration`` seconds."""
        ...


@dataclass(frozen=True, slots=True)
class QueryFailure:
    """A PromQL query that got no value: the server failed it (``message`` says why, as its API would)."""

    message: str


class PrometheusReader(Protocol):
    """Instant PromQL queries against the run's simulated Prometheus, as of the observation time.

    What a manifest's analysis measures: Argo Rollouts ``AnalysisTemplate``
    and Flagger ``MetricTemplate`` queries, over the Services in front of
    each version. ``query`` answers with a scalar's value (a float), a
    vector's values in label-set order (a list, empty when no series
    matched: what that means is the caller's rule), or a
    :class:`QueryFailure` where the server fails the query on its data. A
    query that does not parse or uses what is not supported is bad input
    and raises (a ``ScenarioError``).
    """

    def query(self, query: str) -> float | list[float] | QueryFailure:
        """The value of ``query`` at the observation time."""
        ...


class JobRunner(Protocol):
    """Runs of a Kubernetes Job an analysis starts, which pass or fail by chance in the simulated world.

    A strategy draws no random numbers: the world does, from its own named
    stream (``jobs``), one draw per run in the order the runs are asked for.
    """

    def run(self, failure_probability: float) -> bool:
        """Whether one run of a Job that fails with ``failure_probability`` (0-1) succeeded."""
        ...


@dataclass(frozen=True, slots=True, kw_only=True)
class DeploymentStatus:
    """Replicas of one version: wanted, serving, starting up, crashed."""

    version: str
    desired: int
    ready: int
    starting: int
    crashed: int


@dataclass(frozen=True, slots=True, kw_only=True)
class SmokeTestResult:
    """Outcome of synthetic requests sent to one version before it takes traffic."""

    version: str
    samples: int
    failed: int
    labelled: int
    correct: int
    latency_mean: float | None
    latency_p99: float | None
    latency_p50: float | None = None
    latency_p90: float | None = None
    latency_p95: float | None = None
    compatibility: float | None = None
    """Share of the API contract the version keeps, 0-1, as its schema check reports it; ``None`` if not checked."""

    @property
    def error_rate(self) -> float | None:
        """Failed / samples."""
        return self.failed / self.samples if self.samples else None

    @property
    def accuracy(self) -> float | None:
        """Correct / labelled samples."""
        return self.correct / self.labelled if self.labelled else None


@dataclass(frozen=True, slots=True, kw_only=True)
class ModelTestResult:
    """One test of a model test suite: its ``score`` against its ``threshold``.

    ``limit`` says which side passes: ``minimum`` (score >= threshold:
    accuracy, precision, recall, F1, a drift test's KS p-value) or
    ``maximum`` (score <= threshold: a bias test's accuracy difference).
    Scores and thresholds are fractions 0-1.
    """

    name: str
    score: float
    threshold: float
    passed: bool
    limit: Literal["minimum", "maximum"] = "minimum"

    def describe(self) -> str:
        """``accuracy 0.7120 < 0.8000`` (failed) or ``bias_plan 0.0310 <= 0.1000`` (passed)."""
        if self.limit == "minimum":
            sign = ">=" if self.passed else "<"
        else:
            sign = "<=" if self.passed else ">"
        return f"{self.name} {self.score:.4f} {sign} {self.threshold:.4f}"


@dataclass(frozen=True, slots=True, kw_only=True)
class TestSuiteResult:
    """Outcome of a model test suite run on ``version`` before deployment, over ``samples`` labelled examples."""

    __test__ = False  # not a pytest test class

    version: str
    samples: int
    tests: tuple[ModelTestResult, ...]

    @property
    def passed(self) -> bool:
        """Whether every test passed."""
        return all(test.passed for test in self.tests)

    @property
    def failed(self) -> tuple[ModelTestResult, ...]:
        """The tests that failed, in the suite's order."""
        return tuple(test for test in self.tests if not test.passed)

    def scores(self) -> dict[str, float]:
        """Each test's score by name, JSON-ready."""
        return {test.name: test.score for test in self.tests}


@dataclass(frozen=True, slots=True, kw_only=True)
class Observation:
    """Everything a strategy may know when it is asked for its next commands.

    ``now`` is the simulated time in seconds; ``weights`` the router's
    current traffic share per version in percent (``None`` while traffic
    follows ready replicas); ``metrics`` the monitoring data as of ``now``;
    ``drift_scores`` the latest input drift score a drift monitor reported
    for the requests each version serves (absent while none has);
    ``test_suite`` the result of the test suite run just before (if any);
    ``baseline`` the name of the fresh baseline deployment of the stable
    version when the strategy runs one (``baseline: fresh``), else ``None``;
    ``prometheus`` the simulated Prometheus as of ``now``, for strategies
    that run manifests' PromQL queries (``None`` where the run offers none);
    ``jobs`` runs the Jobs an analysis starts (``None`` where the run offers none).

    In a scenario with regions, the figures above are the whole world's
    (deployments summed over the regions, weights as shares of all
    traffic) and ``regions`` holds each region's own observation, by name in
    the order declared (empty without regions); ``woken`` names the branches
    of a :class:`~simulator.commands.WaitAny` whose wait is over, with their
    smoke test or test suite result (``None`` for a plain wait).
    """

    now: float
    stable: str
    candidate: str
    deployments: Mapping[str, DeploymentStatus]
    weights: Mapping[str, float] | None
    metrics: MetricsReader
    smoke_test: SmokeTestResult | None = None
    drift_scores: Mapping[str, float] = field(default_factory=dict)
    test_suite: TestSuiteResult | None = None
    baseline: str | None = None
    prometheus: PrometheusReader | None = None
    jobs: JobRunner | None = None
    regions: Mapping[str, Observation] = field(default_factory=dict)
    woken: Mapping[str, SmokeTestResult | TestSuiteResult | None] = field(default_factory=dict)

    def drift_score(self, version: str) -> float | None:
        """The latest input drift score reported for ``version`` (largest feature PSI), or ``None``."""
        return self.drift_scores.get(version)

    def ready(self, version: str) -> int:
        """Ready replicas of ``version``."""
        status = self.deployments.get(version)
        return status.ready if status else 0

    def desired(self, version: str) -> int:
        """Replicas of ``version`` asked for."""
        status = self.deployments.get(version)
        return status.desired if status else 0
