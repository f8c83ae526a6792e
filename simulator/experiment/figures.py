"""One flat row of figures per run, and the ground truth they are scored against."""

from __future__ import annotations

from typing import Any

from simulator.result import RunResult
from simulator.scenario.model import Scenario
from simulator.world.truth import Truth, candidate_truth, explain_truth

__all__ = ["Truth", "explain_truth", "candidate_truth", "run_figures", "FIGURES"]

FIGURES = (
    "decision_time_s", "duration_s", "window_s", "requests", "failed_requests", "candidate_requests",
    "candidate_share", "candidate_failed_requests", "excess_failed_requests", "wrong_predictions",
    "excess_wrong_predictions", "slow_requests", "replica_seconds", "extra_replica_seconds", "slo_violation_minutes",
)
"""Numeric per-run figures that summaries and paired comparisons cover."""


def run_figures(result: RunResult, scenario: Scenario, truth: str | None) -> dict[str, Any]:
    """The figures of one run as a flat mapping (JSON and Parquet friendly)."""
    correct: bool | None = None
    if truth is not None and result.outcome != "incomplete":
        correct = (result.outcome == "promoted") == (truth == "good")
    return {
        "strategy": result.strategy,
        "kind": result.kind,
        "seed": result.seed,
        "outcome": result.outcome,
        "promoted": result.outcome == "promoted",
        "rolled_back": result.outcome == "rolled_back",
        "incomplete": result.outcome == "incomplete",
        "truth": truth,
        "right_decision": correct,
        "false_rollback": truth == "good" and result.outcome == "rolled_back",
        "missed_regression": truth == "bad" and result.outcome == "promoted",
        "drift_detected": bool(result.drift and result.drift["detections"]),
        "decision_time_s": result.decision_time_s,
        "duration_s": result.duration_s,
        "window_s": result.window_s,
        "requests": result.requests,
        "failed_requests": result.failed_requests,
        "candidate_requests": result.candidate_requests,
        "candidate_share": result.candidate_requests / result.requests if result.requests else 0.0,
        "candidate_failed_requests": result.candidate_failed_requests,
        "excess_failed_requests": result.excess_failed_requests,
        "wrong_predictions": result.wrong_predictions,
        "excess_wrong_predictions": result.excess_wrong_predictions,
        "slow_requests": result.slow_requests,
        "replica_seconds": result.replica_seconds,
        "extra_replica_seconds": result.replica_seconds - scenario.service.replicas * result.window_s,
        "slo_violation_minutes": None if result.slo_violation_s is None else result.slo_violation_s / 60.0,
        "reason": result.reason,
        "error": None,
    }
