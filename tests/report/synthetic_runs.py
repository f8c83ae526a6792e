"""A run result built by hand, with every mark a timeline draws at a known place (no simulation)."""

from __future__ import annotations

from typing import Any

import numpy as np

from simulator.events import Event
from simulator.result import RunResult

WINDOW_S = 3600.0
DECISION_S = 1260.0
ROLLOUT_END_S = 1500.0
CRASH_AT_S = 2000.0
CRASH_RESTART_S = 45.0

# (time s, data of the check event): one of each verdict, in-step or not, and one without a verdict.
CHECKS: list[tuple[float, dict[str, Any]]] = [
    (300.0, {"step": 1, "in_step": True, "verdict": "pass"}),
    (330.0, {"step": 1, "in_step": True, "verdict": "inconclusive"}),
    (600.0, {"step": 1, "in_step": False, "verdict": "pass"}),
    (900.0, {"step": 2, "in_step": True, "verdict": "marginal"}),
    (1200.0, {"step": 2, "in_step": False, "verdict": "fail"}),
    (1400.0, {"phase": "watch", "passed": False}),
]

# As in a results directory's scenario.json (``model_dump(by_alias=True)``).
SCENARIO_DATA: dict[str, Any] = {
    "name": "synthetic",
    "service": {"replicas": 4, "restart_delay": 30.0},
    "faults": [
        {"kind": "latency", "version": "v2", "at": 600.0, "for": 300.0, "factor": 3.0},
        {"kind": "crash", "version": "v1", "at": CRASH_AT_S, "replicas": 1, "restart_after": None},
        {"kind": "error_rate", "version": "v2", "at": 3000.0, "for": None, "error_rate": 0.1},
        {"kind": "metrics_outage", "at": 4000.0, "for": 60.0},
    ],
}


# Per version: share of slots busy (0-1) and queue wait (seconds) in every interval.
LOAD = {"v1": (0.5, 0.004), "v2": (0.9, 0.18)}


def synthetic_run(*, outcome: str = "rolled_back", decision_s: float | None = DECISION_S,
                  rollout_end_s: float = ROLLOUT_END_S, window_s: float = WINDOW_S, load: bool = True) -> RunResult:
    """Two versions over ``window_s`` seconds, the checks of :data:`CHECKS`, a crash of v1 logged at 2000 s.

    ``load`` adds the timeline's load columns (:data:`LOAD`); without it the
    timeline is as results recorded before load was had it.
    """
    times = np.arange(0.0, window_s, 60.0)
    timeline: dict[str, list[Any]] = {name: [] for name in (
        "t", "version", "requests", "failed", "error_rate", "latency_p50_s", "latency_p99_s", "labelled",
        "measured_accuracy", "true_accuracy")}
    for version, share in (("v1", 0.8), ("v2", 0.2)):
        timeline["t"] += list(times)
        timeline["version"] += [version] * len(times)
        timeline["requests"] += [int(6000 * share)] * len(times)
        timeline["failed"] += [1] * len(times)
        timeline["error_rate"] += [1 / (6000 * share)] * len(times)
        timeline["latency_p50_s"] += [0.05] * len(times)
        timeline["latency_p99_s"] += [0.1] * len(times)
        timeline["labelled"] += [100] * len(times)
        timeline["measured_accuracy"] += [0.9] * len(times)
        timeline["true_accuracy"] += [0.9] * len(times)
        if load:
            timeline.setdefault("utilisation", []).extend([LOAD[version][0]] * len(times))
            timeline.setdefault("queue_wait_mean_s", []).extend([LOAD[version][1]] * len(times))
    events = [Event(0.0, "rollout_start", "rollout", {"candidate": "v2"})]
    events += [Event(t, "check", f"check at {t:g}s", data) for t, data in CHECKS]
    if decision_s is not None:
        events.append(Event(decision_s, outcome, outcome, {"outcome": outcome}))
    events.append(Event(CRASH_AT_S, "fault", "v1 replica 0 crashed", {"fault": "crash", "version": "v1",
                                                                         "replica": 0,
                                                                         "restart_after": CRASH_RESTART_S}))
    return RunResult(
        scenario="synthetic", strategy="canary", kind="canary", seed=7, outcome=outcome, reason="synthetic",
        decision_time_s=decision_s, duration_s=rollout_end_s, requests=0, failed_requests=0,
        candidate_requests=0, candidate_failed_requests=0, wrong_predictions=0, replica_seconds=0.0,
        versions={}, events=events, data_plane="batch",
        timeline={name: np.asarray(values) for name, values in timeline.items()}, window_s=window_s,
    )
