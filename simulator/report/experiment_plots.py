"""Figures of an experiment: timelines of a representative seed, outcome rates, distributions, Pareto view."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from simulator.report.plots import plot_timelines  # noqa: E402

if TYPE_CHECKING:
    from simulator.experiment import ExperimentResult

__all__ = ["experiment_figures", "pareto_front"]


def pareto_front(points: np.ndarray) -> np.ndarray:
    """Mask of the points no other point beats on both coordinates (both to be minimised)."""
    front = np.ones(len(points), dtype=bool)
    for i, point in enumerate(points):
        dominated = np.all(points <= point, axis=1) & np.any(points < point, axis=1)
        front[i] = not dominated.any()
    return front


def _group_names(summary: pd.DataFrame) -> list[str]:
    groups = [c for c in summary.columns if c == "strategy" or c.startswith("param:")]
    return [", ".join(str(row[g]) for g in groups) for _, row in summary.iterrows()]


def experiment_figures(result: ExperimentResult, *, timelines: bool = True) -> list[tuple[str, Any]]:
    """The report's figures as (title, matplotlib figure) pairs, in the report's order (e.g. for notebooks).

    The timelines of the representative runs (requests/s, p99 latency in ms,
    error rate and accuracy over minutes) come first when ``timelines`` and
    the result has them; then outcome rates with Wilson intervals, the
    distributions of exposure (requests) and time to decision (seconds), and
    for a sweep the Pareto view of rollout duration (seconds) against
    exposure to a bad candidate (requests).
    """
    representative = result.representative if timelines else []
    return _figures(result.rows, result.summary, representative, result.parameters)


def _figures(rows: pd.DataFrame, summary: pd.DataFrame, representative: list[Any],
             params: list[str]) -> list[tuple[str, Any]]:
    figures: list[tuple[str, Any]] = []
    if representative:
        figures.append((f"Timeline of seed {representative[0].seed} per strategy (decisions as dashed lines)",
                        plot_timelines(representative)))
    names = _group_names(summary)
    figure, axis = plt.subplots(figsize=(max(5, 1.3 * len(names)), 3.5))
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
    figure, axes = plt.subplots(1, 2, figsize=(11, 3.5))
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
        front = pareto_front(points)
        figure, axis = plt.subplots(figsize=(6, 4))
        axis.scatter(points[~front, 0], points[~front, 1], color="grey", label="dominated")
        axis.scatter(points[front, 0], points[front, 1], color="tab:blue", label="Pareto front")
        for (px, py), name in zip(points, names, strict=True):
            axis.annotate(name, (px, py), fontsize=7)
        axis.set_xlabel("rollout duration (s, mean)")
        axis.set_ylabel("requests served by a bad candidate (mean)")
        axis.legend(fontsize=8)
        figures.append(("Sweep: rollout duration against exposure to a bad candidate", figure))
    return figures
