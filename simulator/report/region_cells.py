"""The regions' table of an experiment with regions, as cells of text: blast radius and figures per region.

One row per strategy (or sweep point) for all regions together, then one
per region: the blast radius (the share of users and of requests that met
the candidate before the decision) and the mean candidate and all requests,
each with its 95 % interval. Shared by the terminal, Markdown and HTML
renderers; empty for an experiment without regions.
"""

from __future__ import annotations

import math

import pandas as pd

from simulator.report.summary_cells import mean_cell

__all__ = ["REGIONS_NOTE", "region_header", "region_cells"]

REGIONS_NOTE = ("By region, means with 95 % intervals; blast radius: the share of users and of requests that met "
                "the candidate before the decision.")
"""The sentence that introduces the regions' table."""


def _groups(summary: pd.DataFrame) -> list[str]:
    return [c for c in summary.columns if c == "strategy" or c.startswith("param:")]


def _regions(summary: pd.DataFrame) -> list[str]:
    """The regions named by the summary's ``regions.NAME.requests_mean`` columns, in order."""
    return [column.split(".")[1] for column in summary.columns
            if column.startswith("regions.") and column.endswith(".requests_mean")]


def _share(row: pd.Series, name: str) -> str:
    key = f"{name}_mean"
    if key not in row or pd.isna(row[key]):
        return "-"
    low, high = row[f"{name}_low"], row[f"{name}_high"]
    interval = "" if math.isnan(low) else f" [{low:.1%}, {high:.1%}]"
    return f"{row[key]:.1%}{interval}"


def region_header(summary: pd.DataFrame) -> list[str]:
    """Column headings of :func:`region_cells`."""
    return [g.removeprefix("param:") for g in _groups(summary)] + [
        "region", "users met", "requests met", "candidate requests", "requests"]


def region_cells(summary: pd.DataFrame) -> list[list[str]]:
    """The rows of the regions' table (none for an experiment without regions)."""
    regions = _regions(summary)
    if not regions:
        return []
    groups = _groups(summary)
    rows = []
    for _, row in summary.iterrows():
        if pd.isna(row.get("regions." + regions[0] + ".requests_mean")):
            continue  # a yardstick or a point that ran nothing
        head = [str(row[g]) for g in groups]
        rows.append(head + ["all", _share(row, "blast_radius_users"), _share(row, "blast_radius_requests"),
                            mean_cell(row, "candidate_requests"), mean_cell(row, "requests")])
        for region in regions:
            prefix = f"regions.{region}."
            rows.append(head + [region, _share(row, prefix + "blast_radius_users"),
                                _share(row, prefix + "blast_radius_requests"),
                                mean_cell(row, prefix + "candidate_requests"), mean_cell(row, prefix + "requests")])
    return rows
