"""Figures of an experiment: timelines of a representative seed, outcome rates, distributions, Pareto view.

Made with the object-oriented API (:class:`matplotlib.figure.Figure`), never
through pyplot, so neither importing this module nor drawing changes the
matplotlib backend (a notebook keeps its inline one).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.transforms import Bbox

from simulator.report.plots import timelines_figure

if TYPE_CHECKING:
    from simulator.experiment import ExperimentResult
    from simulator.scenario.model import Scenario

__all__ = ["experiment_figures", "pareto_front", "pareto_figure"]


def pareto_front(points: np.ndarray) -> np.ndarray:
    """Mask of the points no other point beats on both coordinates (both to be minimised)."""
    front = np.ones(len(points), dtype=bool)
    for i, point in enumerate(points):
        dominated = np.all(points <= point, axis=1) & np.any(points < point, axis=1)
        front[i] = not dominated.any()
    return front


def _figure(**options: Any) -> Figure:
    figure = Figure(**options)
    FigureCanvasAgg(figure)
    return figure


def _group_names(summary: pd.DataFrame) -> list[str]:
    groups = [c for c in summary.columns if c == "strategy" or c.startswith("param:")]
    return [", ".join(str(row[g]) for g in groups) for _, row in summary.iterrows()]


def experiment_figures(result: ExperimentResult, *, timelines: bool = True) -> list[tuple[str, Any]]:
    """The report's figures as (title, :class:`matplotlib.figure.Figure`) pairs, in the report's order.

    For notebooks too: the figures are made without pyplot, so show one as a
    cell's value (or with ``display``). The timelines of the representative
    runs over the whole window (:func:`simulator.report.plots.timelines_figure`:
    requests/s, p99 latency in ms, error rate and accuracy, with the decisions,
    the checks by verdict and the scenario's faults marked) come first when
    ``timelines`` and the result has them; a sweep's are shaded with the faults
    of the scenario before any point is applied. Then outcome rates with Wilson intervals, the
    distributions of exposure (requests) and time to decision (seconds), and
    for a sweep the Pareto view of rollout duration (seconds) against
    exposure to a bad candidate (requests).
    """
    representative = result.representative if timelines else []
    return _figures(result.rows, result.summary, representative, result.parameters, result.scenario)


def _figures(rows: pd.DataFrame, summary: pd.DataFrame, representative: list[Any],
             params: list[str], scenario: Scenario | None = None) -> list[tuple[str, Any]]:
    figures: list[tuple[str, Any]] = []
    if representative:
        figures.append((f"Timeline of seed {representative[0].seed} per strategy over the whole window: "
                        "decisions (dashed), checks (ticks by verdict) and faults (shaded)",
                        timelines_figure(representative, scenario)))
    names = _group_names(summary)
    figure = _figure(figsize=(max(5, 1.3 * len(names)), 3.5), layout="tight")
    axis = figure.subplots()
    x = np.arange(len(names))
    for offset, (rate, colour) in enumerate([("promoted", "tab:green"), ("rolled_back", "tab:red")]):
        if rate not in summary:
            continue
        values = summary[rate].to_numpy(dtype=float)
        errors = np.vstack([values - summary[f"{rate}_low"], summary[f"{rate}_high"] - values])
        axis.bar(x + (offset - 0.5) * 0.38, values, 0.38, yerr=errors, capsize=3, color=colour,
                 label=rate.replace("_", " "))
    axis.set_xticks(x, names, rotation=30, ha="right")
    axis.set_ylim(0, 1.05)
    axis.set_ylabel("share of runs")
    axis.legend(fontsize=8)
    figures.append(("Outcome rates with 95 % Wilson intervals", figure))
    ok = rows[rows["error"].isna()] if "error" in rows else rows
    group_columns = [c for c in summary.columns if c == "strategy" or c.startswith("param:")]
    grouped = list(ok.groupby(group_columns, sort=False))
    figure = _figure(figsize=(11, 3.5), layout="tight")
    axes = figure.subplots(1, 2)
    for axis, (figure_name, label) in zip(axes, [("candidate_requests", "candidate requests (exposure)"),
                                                  ("decision_time_s", "time to decision (s)")], strict=True):
        data = [pd.to_numeric(group[figure_name], errors="coerce").dropna().to_numpy() for _, group in grouped]
        axis.boxplot(data, tick_labels=names[: len(data)])
        axis.set_ylabel(label)
        axis.tick_params(axis="x", rotation=30)
    figures.append(("Distributions of exposure and time to decision", figure))
    if params and "duration_s_mean" in summary:
        bad = ok[ok["truth"] == "bad"] if "truth" in ok else ok.iloc[:0]
        exposure = (bad.groupby(group_columns, sort=False)["candidate_requests"].mean()
                    .reindex(pd.MultiIndex.from_frame(summary[group_columns]) if len(group_columns) > 1
                             else summary[group_columns[0]]))
        points = np.column_stack([summary["duration_s_mean"].to_numpy(dtype=float),
                                  np.nan_to_num(np.asarray(exposure, dtype=float))])
        figures.append(("Sweep: rollout duration against exposure to a bad candidate", pareto_figure(points, names)))
    return figures


def pareto_figure(points: np.ndarray, names: list[str]) -> Figure:
    """Sweep points as (mean rollout duration in seconds, mean requests served by a bad candidate), the Pareto
    front in blue, each point labelled with its name; labels never overlap (:func:`_label_points`)."""
    front = pareto_front(points)
    figure = _figure(figsize=(6, 4), layout="tight")
    axis = figure.subplots()
    axis.scatter(points[~front, 0], points[~front, 1], color="grey", label="dominated")
    axis.scatter(points[front, 0], points[front, 1], color="tab:blue", label="Pareto front")
    axis.set_xlabel("rollout duration (s, mean)")
    axis.set_ylabel("requests served by a bad candidate (mean)")
    axis.legend(fontsize=8)
    _label_points(figure, axis, points, names)
    return figure


_LABEL_OFFSET = 4.0
"""Points (1/72 inch) up and right from a point to its label."""
_LABEL_GAP = 1.0
"""Points between a label moved up and the one below it."""


def _label_points(figure: Figure, axis: Any, points: np.ndarray, names: list[str]) -> None:
    """Label each point up and right of it; a label that would overlap one already placed moves up, just clear of it.

    Deterministic: labels are placed from the lowest point up (ties by x,
    then by name), each clear of all placed before it, with a thin line
    back to its point when it moved. The figure is laid out first and then
    left as it is, so the display coordinates measured here hold when it is
    drawn or saved (offsets are in points, so at any dpi).
    """
    figure.canvas.draw()  # the layout and the axis limits settle here
    figure.set_layout_engine("none")
    renderer = figure.canvas.get_renderer()  # type: ignore[attr-defined]
    pixels_per_point = figure.dpi / 72
    anchors = axis.transData.transform(points)
    placed: list[Bbox] = []
    for index in sorted(range(len(points)), key=lambda i: (anchors[i][1], anchors[i][0], names[i])):
        point = (float(points[index][0]), float(points[index][1]))
        label = axis.annotate(names[index], point, xytext=(_LABEL_OFFSET, _LABEL_OFFSET), textcoords="offset points",
                              fontsize=7)
        box = label.get_window_extent(renderer)
        rise = 0.0  # pixels
        while blocking := [other for other in placed if box.translated(0, rise).overlaps(other)]:
            rise = max(other.y1 for other in blocking) + _LABEL_GAP * pixels_per_point - box.y0
        placed.append(box.translated(0, rise))
        if rise:
            label.xyann = (_LABEL_OFFSET, _LABEL_OFFSET + rise / pixels_per_point)
            axis.annotate("", point, xytext=label.xyann, textcoords="offset points",
                          arrowprops={"arrowstyle": "-", "color": "0.6", "linewidth": 0.5, "shrinkA": 0, "shrinkB": 2})
