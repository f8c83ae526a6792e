"""``report.md``: the experiment summary as Markdown (fits a CI job summary)."""

from __future__ import annotations

import math

import pandas as pd

from simulator.experiment.decision_table import Decision
from simulator.report.decision import COMPARISON_HEADER, DECISION_HEADER, comparison_cells, decision_cells

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


def _rate(row: pd.Series, name: str) -> str:
    if name not in row or pd.isna(row[name]):
        return "-"
    return f"{row[name]:.0%} [{row[f'{name}_low']:.0%}, {row[f'{name}_high']:.0%}]"


def _mean(row: pd.Series, name: str, scale: float = 1.0, unit: str = "") -> str:
    key = f"{name}_mean"
    if key not in row or pd.isna(row[key]):
        return "-"
    low, high = row[f"{name}_low"], row[f"{name}_high"]
    interval = "" if math.isnan(low) else f" [{low / scale:,.0f}, {high / scale:,.0f}]"
    return f"{row[key] / scale:,.0f}{unit}{interval}"


def experiment_markdown(name: str, summary: pd.DataFrame, paired: pd.DataFrame,
                        decision: Decision | None = None) -> str:
    """Tables of outcome rates, figures and paired differences, with 95 % intervals.

    With ``decision``, the report opens with the decision table and the
    recommendation, and the paired differences shown are those of the
    criteria's figures (the comparisons the table rests on).
    """
    groups = [c for c in summary.columns if c == "strategy" or c.startswith("param:")]
    lines = [f"# {name}", ""]
    if decision is not None:
        lines += [decision_markdown(decision)]
    lines += ["Outcome rates and figures per strategy, 95 % intervals (Wilson for rates; for means, t with a "
              "skewness correction, kept within what the figure can be).", ""]
    header = groups + ["runs", "promoted", "rolled back", "right decision", "decision time (s)",
                       "candidate requests", "failed requests"]
    lines.append("| " + " | ".join(h.removeprefix("param:") for h in header) + " |")
    lines.append("|" + "---|" * len(header))
    for _, row in summary.iterrows():
        cells = [str(row[g]) for g in groups] + [
            f"{row['runs']}" + (f" ({row['errors']} failed)" if row["errors"] else ""),
            _rate(row, "promoted"), _rate(row, "rolled_back"), _rate(row, "right_decision"),
            _mean(row, "decision_time_s"), _mean(row, "candidate_requests"), _mean(row, "failed_requests"),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    if decision is not None:
        if not decision.comparisons.empty:
            lines += ["", "## Paired differences of the criteria (A - B, same seeds)", ""]
            lines += _table(COMPARISON_HEADER, comparison_cells(decision))
    elif not paired.empty:
        lines += ["", "## Paired differences (A - B, same seeds)", "",
                  "| A | B | figure | difference | 95 % interval | p | significant |", "|---|---|---|---|---|---|---|"]
        for _, row in paired.iterrows():
            lines.append(
                f"| {row['a']} | {row['b']} | {row['figure']} | {row['difference']:,.4g} | "
                f"[{row['low']:,.4g}, {row['high']:,.4g}] | {row['p_value']:.3g} | "
                f"{'yes' if row['significant'] else 'no'} |"
            )
    return "\n".join(lines) + "\n"
