"""``report.md``: the experiment summary as Markdown (fits a CI job summary)."""

from __future__ import annotations

import pandas as pd

from simulator.experiment.decision_table import Decision
from simulator.report.decision import COMPARISON_HEADER, DECISION_HEADER, comparison_cells, decision_cells
from simulator.report.region_cells import REGIONS_NOTE, region_cells, region_header
from simulator.report.summary_cells import PAIRED_HEADER, SUMMARY_NOTE, paired_cells, summary_cells, summary_header

__all__ = ["experiment_markdown", "decision_markdown"]


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    return (["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
            + ["| " + " | ".join(_cell(cell) for cell in row) + " |" for row in rows])


def decision_markdown(decision: Decision) -> str:
    """The decision table (one row per criterion, lower is better) and the recommendation, as Markdown."""
    lines = ["## Decision", ""]
    if decision.truth:
        lines += [f"Outcomes are scored against the {decision.truth}.", ""]
        lines += [f"**Warning:** {warning}." for warning in decision.truth_warnings]
        lines += [""] if decision.truth_warnings else []
    lines += [f"**Recommendation.** {decision.recommendation}", ""]
    if not decision.table.empty:
        lines += [f"Per criterion (lower is better), the best strategy and its runner-up over "
                  f"{decision.seeds} seeds; \"beats\" needs a paired difference significant after Holm's "
                  "correction. Yardsticks (what-if runs) are never ranked.", ""]
        lines += _table(DECISION_HEADER, decision_cells(decision.table))
    return "\n".join(lines) + "\n"


def experiment_markdown(name: str, summary: pd.DataFrame, paired: pd.DataFrame,
                        decision: Decision | None = None) -> str:
    """Tables of outcome rates, figures and paired differences, with 95 % intervals.

    With ``decision``, the report opens with the decision table and the
    recommendation, and the paired differences shown are those of the
    criteria's figures (the comparisons the table rests on).
    """
    lines = [f"# {name}", ""]
    if decision is not None:
        lines += [decision_markdown(decision)]
    lines += [SUMMARY_NOTE, ""]
    lines += _table(summary_header(summary), summary_cells(summary))
    regional = region_cells(summary)
    if regional:
        lines += ["", "## Regions", "", REGIONS_NOTE, ""]
        lines += _table(region_header(summary), regional)
    if decision is not None:
        if not decision.comparisons.empty:
            lines += ["", "## Paired differences of the criteria (A - B, same seeds)", ""]
            lines += _table(COMPARISON_HEADER, comparison_cells(decision))
    elif not paired.empty:
        lines += ["", "## Paired differences (A - B, same seeds)", ""]
        lines += _table(PAIRED_HEADER, paired_cells(paired))
    return "\n".join(lines) + "\n"
