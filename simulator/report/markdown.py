"""``report.md``: the experiment summary as Markdown (fits a CI job summary)."""

from __future__ import annotations

import math

import pandas as pd

__all__ = ["experiment_markdown"]


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


def experiment_markdown(name: str, summary: pd.DataFrame, paired: pd.DataFrame) -> str:
    """Tables of outcome rates, figures and paired differences, with 95 % intervals."""
    groups = [c for c in summary.columns if c == "strategy" or c.startswith("param:")]
    lines = [f"# {name}", "",
             "Outcome rates and figures per strategy, 95 % intervals (Wilson for rates, t for means).", ""]
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
    if not paired.empty:
        lines += ["", "## Paired differences (A - B, same seeds)", "",
                  "| A | B | figure | difference | 95 % interval | p | significant |", "|---|---|---|---|---|---|---|"]
        for _, row in paired.iterrows():
            lines.append(
                f"| {row['a']} | {row['b']} | {row['figure']} | {row['difference']:,.4g} | "
                f"[{row['low']:,.4g}, {row['high']:,.4g}] | {row['p_value']:.3g} | "
                f"{'yes' if row['significant'] else 'no'} |"
            )
    return "\n".join(lines) + "\n"
