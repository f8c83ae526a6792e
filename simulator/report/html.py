"""``report.html``: a self-contained experiment report (Jinja2, plots embedded as PNG).

Everything taken from scenario files (names, labels, reasons) is escaped.
"""

from __future__ import annotations

import base64
import io
import math
from typing import Any

import pandas as pd
from jinja2 import Environment, PackageLoader, select_autoescape

from simulator.experiment.decision_table import Decision
from simulator.report.decision import COMPARISON_HEADER, DECISION_HEADER, comparison_cells, decision_cells
from simulator.report.region_cells import REGIONS_NOTE, region_cells, region_header

__all__ = ["experiment_html"]


def _png(figure: Any) -> str:
    # Figure.savefig draws with the canvas the format needs: no pyplot, no backend chosen.
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=100, bbox_inches="tight")
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def _rate(row: pd.Series, name: str) -> str:
    if name not in row or pd.isna(row[name]):
        return "–"
    return f"{row[name]:.0%} [{row[f'{name}_low']:.0%}, {row[f'{name}_high']:.0%}]"


def _mean(row: pd.Series, name: str) -> str:
    key = f"{name}_mean"
    if key not in row or pd.isna(row[key]):
        return "–"
    low = row[f"{name}_low"]
    interval = "" if math.isnan(low) else f" [{low:,.0f}, {row[f'{name}_high']:,.0f}]"
    return f"{row[key]:,.0f}{interval}"


def experiment_html(name: str, description: str, rows: pd.DataFrame, summary: pd.DataFrame,
                    paired: pd.DataFrame, figures: list[tuple[str, Any]], decision: Decision | None = None) -> str:
    """The report: outcome table, ``figures`` (title, matplotlib figure) embedded as PNG, paired differences.

    With ``decision``, the report opens with the decision table and the
    recommendation (above the outcome table and the first figure), and the
    paired differences shown are those the table rests on (the criteria's
    figures only).
    """
    groups = [c for c in summary.columns if c == "strategy" or c.startswith("param:")]
    columns = [g.removeprefix("param:") for g in groups] + [
        "runs", "promoted", "rolled back", "right decision", "time to decision (s)", "candidate requests",
        "failed requests"]
    table = [
        [str(row[g]) for g in groups] + [
            str(row["runs"]), _rate(row, "promoted"), _rate(row, "rolled_back"), _rate(row, "right_decision"),
            _mean(row, "decision_time_s"), _mean(row, "candidate_requests"), _mean(row, "failed_requests"),
        ]
        for _, row in summary.iterrows()
    ]
    embedded = [{"title": title, "png": _png(figure)} for title, figure in figures]
    paired_rows = [
        {"a": row["a"], "b": row["b"], "figure": row["figure"], "difference": f"{row['difference']:,.4g}",
         "interval": f"[{row['low']:,.4g}, {row['high']:,.4g}]", "p": f"{row['p_value']:.3g}",
         "significant": bool(row["significant"])}
        for _, row in paired.iterrows()
    ] if not paired.empty and decision is None else []
    decision_view = None
    if decision is not None:
        decision_view = {"recommendation": decision.recommendation, "seeds": decision.seeds,
                         "truth": decision.truth, "truth_warnings": list(decision.truth_warnings),
                         "header": DECISION_HEADER, "rows": decision_cells(decision.table),
                         "comparison_header": COMPARISON_HEADER, "comparisons": comparison_cells(decision)}
    environment = Environment(loader=PackageLoader("simulator.report", "templates"),
                              autoescape=select_autoescape(["html", "j2"]))
    return environment.get_template("report.html.j2").render(
        name=name, description=description, runs=len(rows), errors=int(rows["error"].notna().sum()),
        columns=columns, table=table, figures=embedded, paired=paired_rows, decision=decision_view,
        regions={"note": REGIONS_NOTE, "header": region_header(summary), "rows": region_cells(summary)},
    )
