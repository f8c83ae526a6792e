"""The summary table (one row per strategy or sweep point) and the paired differences as cells of text.

Shared by the Markdown and terminal renderers, so ``report.md`` and what
``rollout-sim compare`` prints say the same.
"""

from __future__ import annotations

import math

import pandas as pd

__all__ = ["SUMMARY_NOTE", "summary_header", "summary_cells", "PAIRED_HEADER", "paired_cells", "mean_cell"]

SUMMARY_NOTE = ("Outcome rates and figures per strategy, 95 % intervals (Wilson for rates; for means, t with a "
                "skewness correction, kept within what the figure can be).")
"""The sentence that introduces the summary table."""

_FIGURES = ["runs", "promoted", "rolled back", "right decision", "decision time (s)", "candidate requests",
            "failed requests"]

PAIRED_HEADER = ["A", "B", "figure", "difference", "95 % interval", "p", "significant"]
"""Column headings of :func:`paired_cells`."""


def _groups(summary: pd.DataFrame) -> list[str]:
    return [c for c in summary.columns if c == "strategy" or c.startswith("param:")]


def _rate(row: pd.Series, name: str) -> str:
    if name not in row or pd.isna(row[name]):
        return "-"
    return f"{row[name]:.0%} [{row[f'{name}_low']:.0%}, {row[f'{name}_high']:.0%}]"


def mean_cell(row: pd.Series, name: str) -> str:
    """``name``'s mean with its interval, whole numbers with thousands separators (``-`` without one)."""
    key = f"{name}_mean"
    if key not in row or pd.isna(row[key]):
        return "-"
    low, high = row[f"{name}_low"], row[f"{name}_high"]
    interval = "" if math.isnan(low) else f" [{low:,.0f}, {high:,.0f}]"
    return f"{row[key]:,.0f}{interval}"


def summary_header(summary: pd.DataFrame) -> list[str]:
    """Column headings of :func:`summary_cells`: the strategy, each swept parameter's path, then the figures."""
    return [group.removeprefix("param:") for group in _groups(summary)] + _FIGURES


def summary_cells(summary: pd.DataFrame) -> list[list[str]]:
    """One list of cells per row of ``summary``: rates as percentages and means (seconds, requests) as whole
    numbers, each with its 95 % interval."""
    groups = _groups(summary)
    return [
        [str(row[g]) for g in groups] + [
            f"{row['runs']}" + (f" ({row['errors']} failed)" if row["errors"] else ""),
            _rate(row, "promoted"), _rate(row, "rolled_back"), _rate(row, "right_decision"),
            mean_cell(row, "decision_time_s"), mean_cell(row, "candidate_requests"), mean_cell(row, "failed_requests"),
        ]
        for _, row in summary.iterrows()
    ]


def paired_cells(paired: pd.DataFrame) -> list[list[str]]:
    """One list of cells per pair and figure of ``paired`` (A - B on the same seeds), under :data:`PAIRED_HEADER`."""
    return [
        [str(row["a"]), str(row["b"]), str(row["figure"]), f"{row['difference']:,.4g}",
         f"[{row['low']:,.4g}, {row['high']:,.4g}]", f"{row['p_value']:.3g}", "yes" if row["significant"] else "no"]
        for _, row in paired.iterrows()
    ]
