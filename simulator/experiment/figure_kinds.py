"""What kind of quantity each per-run figure is: a yes/no outcome, a share, a count or time, or a signed figure.

Intervals use it to stay within a figure's support: a rate or a share lies in
[0, 1], a count or a duration is never negative, a difference from a baseline
(``excess_*``, ``extra_*``) may be either sign. A figure not named here is
taken as unbounded, so nothing is clipped that might truly be negative.
"""

from __future__ import annotations

import math

__all__ = ["RATES", "SHARES", "NON_NEGATIVE", "UNBOUNDED", "support_of", "difference_support"]

RATES = ("promoted", "rolled_back", "incomplete", "right_decision", "false_rollback", "missed_regression",
         "drift_detected")
"""Yes/no outcomes of a run; their mean over runs is a rate (fraction 0-1)."""

SHARES = ("candidate_share", "blast_radius_users", "blast_radius_requests")
"""Per-run fractions (0-1)."""

NON_NEGATIVE = ("decision_time_s", "duration_s", "window_s", "requests", "failed_requests", "candidate_requests",
                "candidate_failed_requests", "wrong_predictions", "slow_requests", "replica_seconds",
                "slo_violation_minutes")
"""Per-run counts (requests, predictions), times (seconds, minutes) and replica-seconds: never below 0."""

UNBOUNDED = (-math.inf, math.inf)
"""The support of a figure that may take any real value."""


def support_of(figure: str) -> tuple[float, float]:
    """The range (low, high) a per-run value of ``figure`` can take, in the figure's own unit.

    A region's figure (``regions.NAME.FIGURE``) is of the same kind as the run's ``FIGURE``.
    """
    if figure.startswith("regions."):
        figure = figure.rsplit(".", 1)[-1]
    if figure in RATES or figure in SHARES:
        return (0.0, 1.0)
    if figure in NON_NEGATIVE:
        return (0.0, math.inf)
    return UNBOUNDED


def difference_support(figure: str) -> tuple[float, float]:
    """The range a difference of two per-run values of ``figure`` can take (A - B)."""
    low, high = support_of(figure)
    return (low - high, high - low)
