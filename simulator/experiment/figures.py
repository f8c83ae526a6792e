"""One flat row of figures per run, and the ground truth they are scored against."""

from __future__ import annotations

from typing import Any

from simulator.result import RunResult
from simulator.scenario.model import Scenario
from simulator.world.truth import Truth, candidate_truth, explain_truth

__all__ = ["Truth", "explain_truth", "candidate_truth", "run_figures", "region_figure_columns", "FIGURES",
           "REGION_FIGURES"]

FIGURES = (
    "decision_time_s", "duration_s", "window_s", "requests", "failed_requests", "candidate_requests",
    "candidate_share", "candidate_failed_requests", "excess_failed_requests", "wrong_predictions",
    "excess_wrong_predictions", "slow_requests", "replica_seconds", "extra_replica_seconds", "slo_violation_minutes",
    "blast_radius_users", "blast_radius_requests",
)
"""Numeric per-run figures that summaries and paired comparisons cover (the blast radius: runs with regions)."""

REGION_FIGURES = (
    "requests", "failed_requests", "candidate_requests", "candidate_failed_requests", "excess_failed_requests",
    "wrong_predictions", "excess_wrong_predictions", "replica_seconds", "blast_radius_users", "blast_radius_requests",
)
"""Figures each region of a run with regions has, as row columns ``regions.NAME.FIGURE``."""


def region_figure_columns(columns: object) -> list[str]:
    """The ``regions.NAME.FIGURE`` columns among ``columns``, in their order."""
    return [column for column in columns  # type: ignore[attr-defined]
            if isinstance(column, str) and column.startswith("regions.")
            and column.rsplit(".", 1)[-1] in REGION_FIGURES]


def _region_row(result: RunResult) -> dict[str, Any]:
    """The blast radius and each region's figures of a run with regions, as flat columns (none without)."""
    if result.regions is None:
        return {}
    blast = result.blast_radius or {}
    row: dict[str, Any] = {"blast_radius_users": blast.get("users"), "blast_radius_requests": blast.get("requests")}
    for name, region in result.regions.items():
        own = region.get("blast_radius") or {}
        figures = {**region, "blast_radius_users": own.get("users"), "blast_radius_requests": own.get("requests")}
        row.update({f"regions.{name}.{figure}": figures.get(figure) for figure in REGION_FIGURES})
    return row


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
        **_region_row(result),
        "reason": result.reason,
        "error": None,
    }
