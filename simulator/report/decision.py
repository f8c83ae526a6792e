"""The decision table as cells of text, shared by the Markdown, HTML and terminal renderers."""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from simulator.experiment.decision_table import Decision, format_value

__all__ = ["DECISION_HEADER", "decision_cells", "comparison_cells", "COMPARISON_HEADER"]

DECISION_HEADER = ["criterion", "runs scored", "best", "value [95 % interval]", "runner-up", "value [95 % interval]",
                   "best - runner-up (paired) [95 %]", "p (Holm)", "best beats runner-up?", "yardsticks"]
"""Column headings of :func:`decision_cells`."""

COMPARISON_HEADER = ["criterion", "A", "B", "seeds", "A - B", "95 % interval", "p", "p (Holm)", "significant",
                     "from"]
"""Column headings of :func:`comparison_cells`."""


def _kind(figure: str) -> tuple[str, str]:
    """(rate or mean, unit) of a criterion's figure, as the table's values are given."""
    if figure in ("false_rollback", "missed_regression"):
        return "rate", ""
    return "mean", "seconds" if figure == "duration_s" else ""


def _finite(value: Any) -> bool:
    return value is not None and not (isinstance(value, float) and math.isnan(value))


def _with_interval(value: Any, low: Any, high: Any, kind: str, unit: str) -> str:
    if not _finite(value):
        return "-"
    text = format_value(float(value), kind, unit)
    if not _finite(low) or not _finite(high):
        return f"{text} (too few runs for an interval)"
    return f"{text} [{format_value(float(low), kind, unit)}, {format_value(float(high), kind, unit)}]"


def _difference(row: pd.Series, kind: str, unit: str) -> str:
    if not _finite(row["difference"]):
        return "-"
    if kind == "rate":
        points = f"{row['difference'] * 100:+.0f} points"
        if _finite(row["difference_low"]):
            points += f" [{row['difference_low'] * 100:+.0f}, {row['difference_high'] * 100:+.0f}]"
        return points
    sign = "-" if row["difference"] < 0 else "+"
    text = sign + format_value(abs(float(row["difference"])), kind, unit)
    if _finite(row["difference_low"]) and _finite(row["difference_high"]):
        text += f" [{float(row['difference_low']):,.4g}, {float(row['difference_high']):,.4g}]"
    return text


def _verdict(row: pd.Series) -> str:
    if row["beats_runner_up"]:
        return "yes"
    return {"tied": "no: tied", "not distinguishable": "no: not distinguishable",
            "too few runs to compare": "cannot tell: too few runs"}.get(str(row["verdict"]), "-")


def _yardsticks(row: pd.Series, kind: str, unit: str) -> str:
    found = row["yardsticks"] if isinstance(row["yardsticks"], dict) else {}
    return "; ".join(f"{label} {format_value(float(value), kind, unit)}" for label, value in found.items()
                     if _finite(value)) or "-"


def decision_cells(table: pd.DataFrame) -> list[list[str]]:
    """One list of cells per criterion, under :data:`DECISION_HEADER`."""
    cells = []
    for _, row in table.iterrows():
        kind, unit = _kind(str(row["figure"]))
        cells.append([
            str(row["criterion"]), str(row["runs_of"]), str(row["best"]),
            _with_interval(row["value"], row["low"], row["high"], kind, unit),
            str(row["runner_up"]) if _finite(row["runner_up"]) else "-",
            _with_interval(row["runner_up_value"], row["runner_up_low"], row["runner_up_high"], kind, unit)
            if _finite(row["runner_up"]) else "-",
            _difference(row, kind, unit),
            f"{row['p_holm']:.3g}" if _finite(row["p_holm"]) else "-",
            _verdict(row), _yardsticks(row, kind, unit),
        ])
    return cells


def comparison_cells(decision: Decision) -> list[list[str]]:
    """The paired comparisons behind the table (criteria figures only), under :data:`COMPARISON_HEADER`."""
    return [
        [str(row["criterion"]), str(row["a"]), str(row["b"]), str(row["seeds"]), f"{row['difference']:,.4g}",
         f"[{row['low']:,.4g}, {row['high']:,.4g}]", f"{row['p_value']:.3g}", f"{row['p_holm']:.3g}",
         "yes" if row["significant"] else "no",
         "paired frame" if row["source"] == "paired" else "computed for the table"]
        for _, row in decision.comparisons.iterrows()
    ]
