"""The result of one run: flat outcome figures, per-version figures, events, timeline."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from simulator.events import Event

__all__ = ["RunResult", "VersionResult", "Decision"]


@dataclass
class Decision:
    """A rollout's decision as it is being taken: filled in by the driver, read into the result.

    ``outcome`` is ``promoted``, ``rolled_back`` or ``incomplete``; ``time``
    (seconds) when it was decided, ``finished_at`` when the rollout ended
    (old version retired); ``analysis`` the figures behind the decision;
    ``candidate`` the version rolled out.
    """

    outcome: str = "incomplete"
    reason: str = ""
    time: float | None = None
    finished_at: float | None = None
    analysis: dict[str, Any] | None = None
    candidate: str | None = None


@dataclass(frozen=True, slots=True)
class VersionResult:
    """What one version did during a run. Latencies in seconds.

    ``excess_failed_requests`` and ``excess_wrong_predictions`` are against
    what the stable version would have done on the same requests (0 for the
    stable version itself); ``slow_requests`` counts answers slower than the
    SLO's latency objective (``None`` without one).

    ``queue_wait_mean_s`` is the mean wait (seconds) of the user requests that
    started service; ``utilisation_mean`` the share of the version's slots
    (ready replicas x concurrency) busy over the time it had ready replicas,
    a fraction 0-1: busy slot-seconds over slot-seconds in the window
    (``None`` if it never had a ready replica). ``replicas_min`` and
    ``replicas_max`` are the fewest and most replicas asked for while the
    version was deployed (``None`` if it never was); ``scale_events`` counts
    its autoscaler's changes (0 without autoscaling).
    """

    requests: int
    failed_requests: int
    errors: int
    timed_out: int
    dropped: int
    crashed: int
    latency_mean_s: float | None
    latency_p50_s: float | None
    latency_p99_s: float | None
    queue_wait_mean_s: float | None
    correct_predictions: int
    wrong_predictions: int
    excess_failed_requests: int = 0
    excess_wrong_predictions: int = 0
    slow_requests: int | None = None
    utilisation_mean: float | None = None
    replicas_min: int | None = None
    replicas_max: int | None = None
    scale_events: int = 0

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready mapping."""
        return {name: getattr(self, name) for name in self.__slots__}


@dataclass(frozen=True)
class RunResult:
    """One (scenario, strategy, seed) run.

    ``outcome`` is ``promoted``, ``rolled_back`` or ``incomplete`` (no
    decision before the window's end, or no rollout at all). Times in seconds
    of simulated time from the start of the run. Every count covers the
    window ``[0, window_s]``, after the decision too; ``duration_s`` is how
    long the rollout itself took (to the window's end if it never finished).
    The harm figures compare each request another version served with what
    the stable version would have done with the same draws:
    ``excess_failed_requests`` (failed beyond the stable version's failures;
    timeouts and drops count in full), ``excess_wrong_predictions`` (wrong
    beyond the stable version's on the requests answered), ``slow_requests``
    (answered slower than the SLO's latency objective; ``None`` without one).
    ``slo_violation_s``: seconds of the window whose scrape intervals missed
    an objective of the scenario's ``slo`` (error rate or p99 latency of all
    user traffic together; ``None`` without an SLO). ``load_tests``: per
    version, the requests a load tester sent it and how many failed; they
    count in no other figure (a version's metrics saw them).

    In a scenario with regions, ``regions`` holds each region's figures by
    name (the same counts as the totals, which they add up to, its versions,
    its replica-seconds and its blast radius), ``blast_radius`` the share of
    users and of requests that met the candidate before the decision (see
    :mod:`simulator.world.blast_radius`), and ``region_timeline`` the
    timeline per region (a ``region`` column first); all ``None`` or empty
    without regions.
    """

    scenario: str
    strategy: str
    kind: str
    seed: int
    outcome: str
    reason: str
    decision_time_s: float | None
    duration_s: float
    requests: int
    failed_requests: int
    candidate_requests: int
    candidate_failed_requests: int
    wrong_predictions: int
    replica_seconds: float
    versions: dict[str, VersionResult]
    events: list[Event]
    data_plane: str
    analysis: dict[str, Any] | None = None
    shadow: dict[str, dict[str, Any]] = field(default_factory=dict)
    registry: dict[str, Any] = field(default_factory=dict)
    drift: dict[str, Any] | None = None
    drift_checks: list[dict[str, Any]] = field(default_factory=list, repr=False, compare=False)
    slo_violation_s: float | None = None
    timeline: dict[str, np.ndarray] = field(default_factory=dict, repr=False, compare=False)
    window_s: float = 0.0
    excess_failed_requests: int = 0
    excess_wrong_predictions: int = 0
    slow_requests: int | None = None
    load_tests: dict[str, dict[str, Any]] = field(default_factory=dict)
    regions: dict[str, dict[str, Any]] | None = None
    blast_radius: dict[str, Any] | None = None
    region_timeline: dict[str, np.ndarray] = field(default_factory=dict, repr=False, compare=False)

    def to_dict(self) -> dict[str, Any]:
        """The ``run --json`` record of this run (``blast_radius`` and ``regions`` only in a run with regions)."""
        record: dict[str, Any] = {
            "strategy": self.strategy,
            "kind": self.kind,
            "seed": self.seed,
            "outcome": self.outcome,
            "reason": self.reason,
            "decision_time_s": self.decision_time_s,
            "duration_s": self.duration_s,
            "window_s": self.window_s,
            "requests": self.requests,
            "failed_requests": self.failed_requests,
            "candidate_requests": self.candidate_requests,
            "candidate_failed_requests": self.candidate_failed_requests,
            "wrong_predictions": self.wrong_predictions,
            "replica_seconds": self.replica_seconds,
            "excess_failed_requests": self.excess_failed_requests,
            "excess_wrong_predictions": self.excess_wrong_predictions,
            "slow_requests": self.slow_requests,
            "data_plane": self.data_plane,
            "analysis": self.analysis,
            "shadow": self.shadow,
            "load_tests": self.load_tests,
            "registry": self.registry,
            "slo_violation_s": self.slo_violation_s,
            "drift_detected": bool(self.drift and self.drift["detections"]),
            "drift": self.drift,
            "versions": {name: version.to_dict() for name, version in self.versions.items()},
            "events": [event.to_dict() for event in self.events],
        }
        if self.regions is not None:
            record["blast_radius"] = self.blast_radius
            record["regions"] = self.regions
        return record

    def timeline_frame(self):  # -> pandas.DataFrame
        """Per scrape interval and version: requests, failures, latency, accuracy and load (a DataFrame)."""
        import pandas as pd

        return pd.DataFrame(self.timeline)

    def region_timeline_frame(self):  # -> pandas.DataFrame
        """Per region, scrape interval and version: the timeline's columns (a DataFrame; empty without regions)."""
        import pandas as pd

        return pd.DataFrame(self.region_timeline)
